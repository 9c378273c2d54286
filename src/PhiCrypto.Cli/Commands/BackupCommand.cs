using PhiCrypto.Cli.Backups;
using PhiCrypto.Cli.Reports;
using PhiCrypto.Cli.Streaming;

namespace PhiCrypto.Cli;

/// <summary>`phicrypt backup`: pg_dump, compressed and encrypted, into a file, numbered parts or S3.</summary>
internal static class BackupCommand
{
    public const string Usage = """
        usage: phicrypt backup --pg CONNINFO -o FILE|DIR/|s3://bucket/prefix [options]
          --pg CONNINFO          libpq connection string or URI of the database to dump
          -o FILE|DIR/|s3://...  one file (manifest FILE.manifest.json), a folder of numbered parts
                                 (DIR/part-00001.phi, manifest DIR/manifest.json), or S3 objects under a
                                 prefix (endpoint and credentials from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
                                 AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION; AWS_MAX_ATTEMPTS)
          --pg-dump-args "..."   extra pg_dump arguments (default --format=custom; plain and tar allowed)
          --split SIZE           start a new part every SIZE bytes (K, M, G suffixes), e.g. 1G
          --compress zstd|none   compress before encrypting, in process (ZstdSharp, seekable zstd; default zstd)
          --jobs N               parallel backup: pg_dump --format=directory --jobs=N, then each file (one
                                 per table, and toc.dat) compressed and encrypted as its own message, N at
                                 a time; needs -o DIR/ or s3://. Restore runs pg_restore --jobs. Use it when
                                 pg_dump is the bottleneck: a database of many large tables and idle cores.
                                 The dump is staged in PLAINTEXT in a private (0700) folder until encrypted.
          --temp-dir DIR         where --jobs stages the dump (default TMPDIR): a local, encrypted disk
                                 with room for the whole uncompressed dump
          --keyring/--kek/--passphrase-file  the keyring (or PHICRYPTO_KEYRING; always needed): its active
                                 "backup-signing" version signs the manifest, its active "backups" version
                                 wraps the data key (--purpose P to change that one)
          --key-file FILE        wrap the backup's data key under this raw 32-byte AES key
          --key-name NAME        the key name recorded for --key-file (default "raw")
          --recovery-key PUB.pem wrap the backup's data key to this RSA public key (repeatable)
          --s3-sse AES256|aws:kms  ask S3 to encrypt the objects at rest as well (server-side encryption)
          --s3-sse-kms-key-id ID the KMS key for --s3-sse aws:kms (default: the bucket's or account's)
          --retain-until DATE    S3 Object Lock: no one may delete or overwrite the backup before DATE
                                 (2033-12-01 or an ISO 8601 time; the bucket needs Object Lock enabled)
          --retain-mode governance|compliance  the lock's mode (default governance: users with
                                 s3:BypassGovernanceRetention may lift it; compliance: no one can)
          --json                 also print the report as one JSON object on standard output
          --stdin                encrypt a dump read from stdin instead of running pg_dump (e.g. from
                                 pg_dumpall; give its format with --pg-dump-args "--format=plain")
        Without --jobs (the default) the dump streams through memory and never touches the disk.
        The manifest is written last, only when pg_dump and every part succeeded; on any failure
        nothing is left behind and the exit status is non-zero.
        """;

    public static int Run(CommandArgs c)
    {
        var a = BackupArgs.From(c);
        var m = BackupRun.Run(a);
        if (a.Json) BackupReport.Write("backup", m);
        Console.Error.WriteLine($"backup {m.BackupId}: {m.DumpBytes} dump bytes -> {m.EncryptedBytes} encrypted bytes in {m.StoredParts.Count} part(s), {(m.Completed - m.Created).TotalSeconds:F1} s; signed by {m.Signature!.KeyName} ({m.Signature.Fingerprint})");
        return ExitCodes.Ok;
    }
}

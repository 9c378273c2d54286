using PhiCrypto.Cli.Backups;

namespace PhiCrypto.Cli;

/// <summary>`phicrypt backup`: pg_dump, compressed and encrypted, into a file, numbered parts or S3.</summary>
internal static class BackupCommand
{
    public const string Usage = """
        usage: phicrypt backup --pg CONNINFO -o FILE|DIR/|s3://bucket/prefix [options]
          --pg CONNINFO          libpq connection string or URI of the database to dump
          -o FILE|DIR/|s3://...  one file (manifest FILE.manifest.json), a folder of numbered parts
                                 (DIR/part-00001.phi, manifest DIR/manifest.json), or S3 objects under a
                                 prefix (credentials and endpoint from AWS_* environment variables)
          --pg-dump-args "..."   extra pg_dump arguments (default --format=custom; plain and tar allowed)
          --split SIZE           start a new part every SIZE bytes (K, M, G suffixes), e.g. 1G
          --compress zstd|none   compress with the zstd executable before encrypting (default zstd)
          --keyring/--kek/--passphrase-file  the keyring (or PHICRYPTO_KEYRING; always needed): its active
                                 "backup-signing" version signs the manifest, its active "backups" version
                                 wraps the data key (--purpose P to change that one)
          --key-file FILE        wrap the backup's data key under this raw 32-byte AES key
          --key-name NAME        the key name recorded for --key-file (default "raw")
          --recovery-key PUB.pem wrap the backup's data key to this RSA public key (repeatable)
          --stdin                encrypt a dump read from stdin instead of running pg_dump (e.g. from
                                 pg_dumpall; give its format with --pg-dump-args "--format=plain")
        The manifest is written last, only when pg_dump, zstd and every part succeeded; on any failure
        nothing is left behind and the exit status is non-zero.
        """;

    public static int Run(string[] args)
    {
        var a = BackupArgs.Parse(args, positional: false);
        if (a.Help) { Console.WriteLine(Usage); return ExitCodes.Ok; }
        var m = BackupRun.Run(a);
        Console.Error.WriteLine($"backup {m.BackupId}: {m.DumpBytes} dump bytes -> {m.EncryptedBytes} encrypted bytes in {m.Parts.Count} part(s), {(m.Completed - m.Created).TotalSeconds:F1} s; signed by {m.Signature!.KeyName} ({m.Signature.Fingerprint})");
        return ExitCodes.Ok;
    }
}

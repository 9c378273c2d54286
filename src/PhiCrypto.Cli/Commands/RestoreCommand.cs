using PhiCrypto.Cli.Backups;
using PhiCrypto.Cli.Reports;
using PhiCrypto.Cli.Streaming;

namespace PhiCrypto.Cli;

/// <summary>`phicrypt restore`: decrypt a backup and stream it into pg_restore (or psql for plain dumps).</summary>
internal static class RestoreCommand
{
    public const string Usage = """
        usage: phicrypt restore FILE|DIR|s3://bucket/prefix --pg CONNINFO [options]
          --pg CONNINFO            the (fresh) database to restore into
          --recovery-key PRIV.pem  unwrap with the offline recovery key's private half
          --key-file FILE          or with the raw 32-byte AES key the backup was made with
          --keyring/--kek/...      or with the keyring (any version of "backups" that may still decrypt)
          --pg-restore-args "..."  extra pg_restore arguments (it always gets --exit-on-error)
          --verify-key PUB.pem     the pinned backup verification key (disaster-recovery kit); without it,
                                   the keyring's backup-signing key (the keyring must then be given)
          --jobs N                 a --jobs backup: decrypt N files at a time, then pg_restore --jobs=N
                                   (default: one per core)
          --temp-dir DIR           where a --jobs backup is decrypted for pg_restore (default TMPDIR;
                                   a private 0700 folder, removed afterwards, also on failure)
          --json                   also print the report as one JSON object on standard output
          --allow-unsigned         restore a backup made before signed backups (loud; never a plain dump)
        Nothing starts before the manifest's signature, the message header's signed digest and the
        parts' lengths are checked; plain-format dumps go to `psql -X -v ON_ERROR_STOP=1`, signed only.
        Every part's length is checked first, its SHA-256 as it is read, every frame's tag before its
        bytes reach pg_restore. Run `phicrypt verify` first: a part found damaged midway stops the
        restore with a non-zero status, after what came before it was restored. A --jobs backup is
        decrypted and checked whole (every file the signed manifest lists, nothing missing, extra,
        renamed or swapped) before pg_restore starts.
        """;

    public static int Run(CommandArgs c)
    {
        var a = BackupArgs.From(c);
        var m = RestoreRun.Restore(a);
        if (a.Json) BackupReport.Write("restore", m);
        Console.Error.WriteLine($"restored backup {m.BackupId} ({m.DumpBytes} dump bytes, {m.StoredParts.Count} part(s))");
        return ExitCodes.Ok;
    }
}

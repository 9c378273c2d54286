using PhiCrypto.Cli.Backups;
using PhiCrypto.Cli.Reports;
using PhiCrypto.Cli.Streaming;

namespace PhiCrypto.Cli;

/// <summary>`phicrypt verify`: check a backup end to end (parts, keys, every frame, decompression) without restoring.</summary>
internal static class VerifyCommand
{
    public const string Usage = """
        usage: phicrypt verify FILE|DIR|s3://bucket/prefix [--recovery-key PRIV.pem | --key-file FILE | --keyring ...]
                               [--verify-key backup-signing.pub.pem] [--allow-unsigned]
          checks the manifest's signature against the pinned verification key (--verify-key, else the
          keyring's backup-signing key), every part's length and SHA-256, the message header and whole
          message against their signed digests, unwraps the data key, authenticates every frame,
          decompresses, and compares the dump's length with the manifest. Exit 0 only if all hold.
          --jobs N               a --jobs backup: check N files at a time (default: one per core); every
                                 stored file must be one the signed manifest lists, and every listed one present
          --json                 print the report as one JSON object on standard output instead of the "ok" line
          --allow-unsigned       read a backup made before signed backups (warns; never for plain dumps)
        """;

    public static int Run(CommandArgs c)
    {
        var a = BackupArgs.From(c);
        var (m, bytes, origin) = RestoreRun.Verify(a);
        if (a.Json) { BackupReport.Write("verify", m, origin, bytes); return ExitCodes.Ok; }
        Console.WriteLine($"ok: backup {m.BackupId} from {m.Created:u}, {m.StoredParts.Count} part(s), {m.EncryptedBytes} encrypted bytes, {bytes} dump bytes; {origin}");
        return ExitCodes.Ok;
    }
}

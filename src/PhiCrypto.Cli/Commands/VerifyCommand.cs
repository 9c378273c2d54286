using PhiCrypto.Cli.Backups;

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
          --allow-unsigned       read a backup made before signed backups (warns; never for plain dumps)
        """;

    public static int Run(string[] args)
    {
        var a = BackupArgs.Parse(args, positional: true);
        if (a.Help) { Console.WriteLine(Usage); return ExitCodes.Ok; }
        var (m, bytes, origin) = RestoreRun.Verify(a);
        Console.WriteLine($"ok: backup {m.BackupId} from {m.Created:u}, {m.Parts.Count} part(s), {m.EncryptedBytes} encrypted bytes, {bytes} dump bytes; {origin}");
        return ExitCodes.Ok;
    }
}

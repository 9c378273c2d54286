using PhiCrypto.Cli.Backups;

namespace PhiCrypto.Cli;

/// <summary>`phicrypt verify`: check a backup end to end (parts, keys, every frame, decompression) without restoring.</summary>
internal static class VerifyCommand
{
    public const string Usage = """
        usage: phicrypt verify FILE|DIR|s3://bucket/prefix [--recovery-key PRIV.pem | --key-file FILE | --keyring ...]
          checks every part's length and SHA-256, unwraps the data key, authenticates every frame,
          decompresses, and compares the dump's length with the manifest. Exit 0 only if all hold.
        """;

    public static int Run(string[] args)
    {
        var a = BackupArgs.Parse(args, positional: true);
        if (a.Help) { Console.WriteLine(Usage); return ExitCodes.Ok; }
        var (m, bytes) = RestoreRun.Verify(a);
        Console.WriteLine($"ok: backup {m.BackupId} from {m.Created:u}, {m.Parts.Count} part(s), {m.EncryptedBytes} encrypted bytes, {bytes} dump bytes");
        return ExitCodes.Ok;
    }
}

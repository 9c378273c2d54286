// `phicrypt keys signing-key [-o FILE]`: the backup verification key (the public half of the keyring's
// active "backup-signing" version) as SubjectPublicKeyInfo PEM, and its fingerprint. The file goes into
// the disaster-recovery kit beside recovery.pub.pem; restore and verify pin it with --verify-key.
using PhiCrypto.Cli.Backups;

namespace PhiCrypto.Cli;

internal static class KeysSigningKeyCommand
{
    public const string Usage = "phicrypt keys signing-key [-o FILE]";

    public static int Run(KeyringCli cli, string[] rest)
    {
        var a = new KeysArgs(rest, ["-o", "--output"], []);
        a.Expect(0, Usage);
        var output = a.One("-o") ?? a.One("--output");
        using var keyring = cli.OpenKeyring();
        using var key = BackupSignature.OpenSigningKey(keyring);
        var pem = key.VerificationKey.ToPem() + "\n";
        if (output is null) Console.Out.Write(pem);
        else
        {
            using (var f = new FileStream(output, FileMode.CreateNew, FileAccess.Write)) f.Write(System.Text.Encoding.ASCII.GetBytes(pem));
            Console.Out.WriteLine($"wrote {output}: put it in the disaster-recovery kit beside the recovery public key");
        }
        (output is null ? Console.Error : Console.Out).WriteLine(
            $"backup verification key {key.KeyName}, fingerprint {key.VerificationKey.Fingerprint}");
        return ExitCodes.Ok;
    }
}

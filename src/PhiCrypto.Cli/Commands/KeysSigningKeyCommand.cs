// `phicrypt keys signing-key [-o FILE]`: the backup verification key (the public half of the keyring's
// active "backup-signing" version) as SubjectPublicKeyInfo PEM, and its fingerprint. The file goes into
// the disaster-recovery kit beside recovery.pub.pem; restore and verify pin it with --verify-key.
using PhiCrypto.Cli.Backups;

namespace PhiCrypto.Cli;

internal static class KeysSigningKeyCommand
{
    public const string Usage = "phicrypt keys signing-key [-o FILE] [--json]";

    public static int Run(KeyringCli cli, Streaming.CommandArgs a)
    {
        a.Expect(0, Usage);
        var output = a.Value("--output");
        using var keyring = cli.OpenKeyring();
        using var key = BackupSignature.OpenSigningKey(keyring);
        var pem = key.VerificationKey.ToPem() + "\n";
        if (output is not null)
            using (var f = new FileStream(output, FileMode.CreateNew, FileAccess.Write)) f.Write(System.Text.Encoding.ASCII.GetBytes(pem));
        if (a.Flag("--json")) WriteJson(key, output, pem);
        else if (output is null) Console.Out.Write(pem);
        else Console.Out.WriteLine($"wrote {output}: put it in the disaster-recovery kit beside the recovery public key");
        if (!a.Flag("--json"))
            (output is null ? Console.Error : Console.Out).WriteLine($"backup verification key {key.KeyName}, fingerprint {key.VerificationKey.Fingerprint}");
        return ExitCodes.Ok;
    }

    // The public key in the report itself when no file was asked for: stdout carries only the one object.
    private static void WriteJson(PhiCrypto.Signing.SigningKey key, string? output, string pem) =>
        Reports.JsonReport.Write("keys signing-key", w =>
        {
            w.WriteString("key_name", key.KeyName);
            w.WriteString("fingerprint", key.VerificationKey.Fingerprint);
            if (output is null) w.WriteNull("file"); else w.WriteString("file", output);
            w.WriteString("public_key_pem", pem);
        });
}

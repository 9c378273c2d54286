// `phicrypt keys init`: a new keyring under the chosen KEK, with the given purposes or, without
// --purpose, the ones `encrypt` and `backup` use ("files", "backups", "backup-signing").
using PhiCrypto.Keys;

namespace PhiCrypto.Cli;

internal static class KeysInit
{
    public static int Run(KeyringCli cli, string[] rest)
    {
        var a = new KeysArgs(rest, ["--purpose", "--kdf"], ["--json"]);
        a.Expect(0, "phicrypt keys init [--purpose P]... [--kdf pbkdf2-sha256|argon2id]");
        var purposes = a.All("--purpose").ToArray();
        if (purposes.Length == 0) purposes = KeyringHints.DefaultPurposes;
        foreach (var p in purposes) KeyNames.CheckPurpose(p, "--purpose");
        var store = cli.OpenStore();
        var kek = KeyringCli.CreateKek(cli.KekSpec, store.Load().Settings, cli.PassphraseFile, KeyringCli.PassphraseVariable, a.One("--kdf"));
        using var keyring = Keyring.Initialize(store, kek, new KeyringOptions { DisposeStore = true }, purposes);
        Console.Out.WriteLine($"initialized keyring {keyring.StoreLocation} under KEK {keyring.KekId} (check value {keyring.KekCheckValue})");
        foreach (var p in purposes) Console.Out.WriteLine($"  {p}: v1 active");
        return ExitCodes.Ok;
    }
}

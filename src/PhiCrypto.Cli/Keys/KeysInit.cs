// `phicrypt keys init`: a new keyring under the chosen KEK. Without --purpose it creates the default
// purposes that `encrypt` and `backup` use ("files", "backups", "backup-signing"); with --purpose, exactly those listed;
// --no-default-purposes makes an empty keyring (for `keys import`).
using PhiCrypto.Cli.Reports;
using PhiCrypto.Keys;

namespace PhiCrypto.Cli;

internal static class KeysInit
{
    public static int Run(KeyringCli cli, Streaming.CommandArgs a)
    {
        a.Expect(0, "phicrypt keys init [--purpose P]... [--no-default-purposes] [--kdf pbkdf2-sha256|argon2id] [--json]");
        var given = a.Values("--purpose");
        var purposes = (given.Count > 0 || a.Flag("--no-default-purposes") ? given : Keyring.DefaultPurposes).Distinct().ToArray();
        foreach (var p in purposes) KeyNames.CheckPurpose(p, "--purpose");
        var store = cli.OpenStore();
        // fresh KDF parameters (a new salt), never ones read from the store
        var kek = KeyringCli.CreateKek(cli.KekSpec, new Dictionary<string, string>(), cli.PassphraseFile, KeyringCli.PassphraseVariable, a.Value("--kdf"));
        using var keyring = Keyring.Create(store, kek, new KeyringOptions { DisposeStore = true }, purposes);
        if (a.Flag("--json"))
        {
            KeysReport.Write("keys init", keyring, keyring.Records);
            return ExitCodes.Ok;
        }
        Console.Out.WriteLine($"initialized keyring {keyring.StoreLocation} under KEK {keyring.KekId} (check value {keyring.KekCheckValue})");
        foreach (var p in purposes) Console.Out.WriteLine($"  {p}: v1 active");
        return ExitCodes.Ok;
    }
}

// `phicrypt keys add | rotate | rewrap | state`.
using PhiCrypto.Keys;

namespace PhiCrypto.Cli;

internal static class KeysLifecycle
{
    public const string NewPassphraseVariable = "PHICRYPTO_NEW_KEK_PASSPHRASE";

    public static int Add(KeyringCli cli, string[] rest)
    {
        var a = new KeysArgs(rest, [], []);
        a.Expect(1, "phicrypt keys add PURPOSE");
        var purpose = a.Positional[0];
        KeyNames.CheckPurpose(purpose, "PURPOSE");
        using var keyring = cli.OpenKeyring();
        var r = keyring.AddPurpose(purpose);
        Console.Out.WriteLine($"{purpose}: v{r.Version} {KeyLifecycle.Name(r.State)}");
        return ExitCodes.Ok;
    }

    public static int Rotate(KeyringCli cli, string[] rest)
    {
        var a = new KeysArgs(rest, ["--reason"], ["--pre-active", "--json"]);
        a.Expect(1, "phicrypt keys rotate PURPOSE [--pre-active] [--reason TEXT]");
        var purpose = a.Positional[0];
        KeyNames.CheckPurpose(purpose, "PURPOSE");
        using var keyring = cli.OpenKeyring();
        KeyringHints.RequirePurpose(keyring, purpose);
        var r = keyring.Rotate(purpose, a.One("--reason") ?? "", activate: !a.Flag("--pre-active"));
        var previous = keyring.Versions(purpose).LastOrDefault(v => v.Version < r.Version && v.State == KeyState.Deactivated && v.Deactivated == r.Created);
        Console.Out.WriteLine($"{purpose}: v{r.Version} {KeyLifecycle.Name(r.State)}" + (previous is null ? "" : $" (v{previous.Version} deactivated)"));
        return ExitCodes.Ok;
    }

    public static int Rewrap(KeyringCli cli, string[] rest)
    {
        var a = new KeysArgs(rest, ["--new-kek", "--new-passphrase-file", "--kdf"], []);
        a.Expect(0, "phicrypt keys rewrap --new-kek env:VARIABLE|passphrase|pkcs11:URI [--new-passphrase-file F]");
        var spec = a.One("--new-kek") ?? throw new UsageException("rewrap needs --new-kek (env:VARIABLE, passphrase or pkcs11:URI)");
        using var keyring = cli.OpenKeyring();
        // a new passphrase KEK gets a fresh salt: never reuse the old parameters
        var newKek = KeyringCli.CreateKek(spec, new Dictionary<string, string>(), a.One("--new-passphrase-file"), NewPassphraseVariable, a.One("--kdf"));
        string oldId = keyring.KekId;
        int n;
        try { n = keyring.Rewrap(newKek); }
        catch { newKek.Dispose(); throw; }
        Console.Out.WriteLine($"re-wrapped {n} DEK record(s) from KEK {oldId} to KEK {keyring.KekId} (check value {keyring.KekCheckValue}); no data was re-encrypted");
        Console.Out.WriteLine($"from now on use --kek {(spec.StartsWith("pkcs11:", StringComparison.Ordinal) ? "<the new pkcs11: URI>" : spec)} (or PHICRYPTO_KEK) with this keyring");
        return ExitCodes.Ok;
    }

    public static int State(KeyringCli cli, string[] rest)
    {
        var a = new KeysArgs(rest, ["--reason"], ["--force"]);
        a.Expect(3, "phicrypt keys state PURPOSE VERSION STATE [--force] [--reason TEXT]");
        var purpose = a.Positional[0];
        KeyNames.CheckPurpose(purpose, "PURPOSE");
        if (!uint.TryParse(a.Positional[1].TrimStart('v'), out var version) || version == 0) throw new UsageException("VERSION is a number from 1 (or vN)");
        var state = KeyLifecycle.Parse(a.Positional[2]);
        using var keyring = cli.OpenKeyring();
        var r = keyring.SetState(purpose, version, state, a.Flag("--force"), a.One("--reason") ?? "");
        Console.Out.WriteLine($"{r.KeyName}: {KeyLifecycle.Name(r.State)}");
        return ExitCodes.Ok;
    }
}

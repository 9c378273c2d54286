// `phicrypt keys add | rotate | rewrap | state`.
using PhiCrypto.Cli.Reports;
using PhiCrypto.Keys;

namespace PhiCrypto.Cli;

internal static class KeysLifecycle
{
    public const string NewPassphraseVariable = "PHICRYPTO_NEW_KEK_PASSPHRASE";

    public static int Add(KeyringCli cli, Streaming.CommandArgs a)
    {
        a.Expect(1, "phicrypt keys add PURPOSE [--json]");
        var purpose = a.Positionals[0];
        KeyNames.CheckPurpose(purpose, "PURPOSE");
        using var keyring = cli.OpenKeyring();
        var r = keyring.AddPurpose(purpose);
        if (a.Flag("--json")) KeysReport.Write("keys add", keyring, [r]);
        else Console.Out.WriteLine($"{purpose}: v{r.Version} {KeyLifecycle.Name(r.State)}");
        return ExitCodes.Ok;
    }

    public static int Rotate(KeyringCli cli, Streaming.CommandArgs a)
    {
        a.Expect(1, "phicrypt keys rotate PURPOSE [--pre-active] [--reason TEXT] [--json]");
        var purpose = a.Positionals[0];
        KeyNames.CheckPurpose(purpose, "PURPOSE");
        using var keyring = cli.OpenKeyring();
        KeyringHints.RequirePurpose(keyring, purpose);
        var r = keyring.Rotate(purpose, a.Value("--reason") ?? "", activate: !a.Flag("--pre-active"));
        var previous = keyring.Versions(purpose).LastOrDefault(v => v.Version < r.Version && v.State == KeyState.Deactivated && v.Deactivated == r.Created);
        if (a.Flag("--json")) KeysReport.Write("keys rotate", keyring, previous is null ? [r] : [r, previous]);
        else Console.Out.WriteLine($"{purpose}: v{r.Version} {KeyLifecycle.Name(r.State)}" + (previous is null ? "" : $" (v{previous.Version} deactivated)"));
        return ExitCodes.Ok;
    }

    public static int Rewrap(KeyringCli cli, Streaming.CommandArgs a)
    {
        a.Expect(0, "phicrypt keys rewrap --new-kek env:VARIABLE|passphrase|pkcs11:URI [--new-passphrase-file F] [--json]");
        var spec = a.Value("--new-kek") ?? throw new UsageException("rewrap needs --new-kek (env:VARIABLE, passphrase or pkcs11:URI)");
        using var keyring = cli.OpenKeyring();
        // a new passphrase KEK gets a fresh salt: never reuse the old parameters
        var newKek = KeyringCli.CreateKek(spec, new Dictionary<string, string>(), a.Value("--new-passphrase-file"), NewPassphraseVariable, a.Value("--kdf"));
        string oldId = keyring.KekId;
        int n;
        try { n = keyring.Rewrap(newKek); }
        catch { newKek.Dispose(); throw; }
        if (a.Flag("--json"))
        {
            JsonReport.Write("keys rewrap", w => { KeysReport.Keyring(w, keyring); w.WriteString("previous_kek_id", oldId); w.WriteNumber("rewrapped", n); });
            return ExitCodes.Ok;
        }
        Console.Out.WriteLine($"re-wrapped {n} DEK record(s) from KEK {oldId} to KEK {keyring.KekId} (check value {keyring.KekCheckValue}); no data was re-encrypted");
        Console.Out.WriteLine($"from now on use --kek {(spec.StartsWith("pkcs11:", StringComparison.Ordinal) ? "<the new pkcs11: URI>" : spec)} (or PHICRYPTO_KEK) with this keyring");
        return ExitCodes.Ok;
    }

    public static int State(KeyringCli cli, Streaming.CommandArgs a)
    {
        a.Expect(3, "phicrypt keys state PURPOSE VERSION STATE [--force] [--reason TEXT] [--json]");
        var purpose = a.Positionals[0];
        KeyNames.CheckPurpose(purpose, "PURPOSE");
        if (!uint.TryParse(a.Positionals[1].TrimStart('v'), out var version) || version == 0) throw new UsageException("VERSION is a number from 1 (or vN)");
        var state = KeyLifecycle.Parse(a.Positionals[2]);
        using var keyring = cli.OpenKeyring();
        var r = keyring.SetState(purpose, version, state, a.Flag("--force"), a.Value("--reason") ?? "");
        if (a.Flag("--json")) KeysReport.Write("keys state", keyring, [r]);
        else Console.Out.WriteLine($"{r.KeyName}: {KeyLifecycle.Name(r.State)}");
        return ExitCodes.Ok;
    }
}

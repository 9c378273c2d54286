// What the CLI says when a purpose is missing, and `phicrypt keys add`: every "no keys" error names the
// command that fixes it, and rotating a mistyped purpose is an error naming the known ones (it used
// to create a new purpose silently).
using PhiCrypto.Keys;

namespace PhiCrypto.Cli;

internal static class KeyringHints
{
    /// <summary>What `keys init` creates without --purpose: what `encrypt` and `backup` use by default.</summary>
    public static readonly string[] DefaultPurposes = ["files", "backups", "backup-signing"];

    /// <summary>Throws "no keys for purpose P" with the command that creates it and the purposes there are.</summary>
    public static void RequirePurpose(Keyring keyring, string purpose, string? why = null)
    {
        if (keyring.Purposes.Contains(purpose)) return;
        var known = keyring.Purposes.Count == 0 ? "none" : string.Join(", ", keyring.Purposes);
        throw new KeyNotAvailableException($"no keys for purpose '{purpose}'{(why is null ? "" : $" ({why})")} in {keyring.StoreLocation} "
            + $"(it has: {known}): create it with `phicrypt keys add {purpose}`");
    }

    /// <summary>`phicrypt keys add PURPOSE`.</summary>
    public static int Add(KeyringCli cli, string[] rest)
    {
        var a = new KeysArgs(rest, [], []);
        a.Expect(1, "phicrypt keys add PURPOSE");
        var purpose = a.Positional[0];
        KeyNames.CheckPurpose(purpose, "PURPOSE");
        using var keyring = cli.OpenKeyring();
        if (keyring.Purposes.Contains(purpose)) throw new UsageException($"purpose '{purpose}' already exists: `phicrypt keys rotate {purpose}` makes a new version");
        var r = keyring.AddPurpose(purpose);
        Console.Out.WriteLine($"{purpose}: v{r.Version} {KeyLifecycle.Name(r.State)}");
        return ExitCodes.Ok;
    }
}

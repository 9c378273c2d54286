// What the CLI says when a purpose is missing: every "no keys" error names the
// command that fixes it, and rotating a mistyped purpose is an error naming the known ones (it used
// to create a new purpose silently).
using PhiCrypto.Keys;

namespace PhiCrypto.Cli;

internal static class KeyringHints
{
    /// <summary>Throws "no keys for purpose P" with the command that creates it and the purposes there are.</summary>
    public static void RequirePurpose(Keyring keyring, string purpose, string? why = null)
    {
        if (keyring.Purposes.Contains(purpose)) return;
        var known = keyring.Purposes.Count == 0 ? "none" : string.Join(", ", keyring.Purposes);
        throw new KeyNotAvailableException($"no keys for purpose '{purpose}'{(why is null ? "" : $" ({why})")} in {keyring.StoreLocation} "
            + $"(it has: {known}): create it with `phicrypt keys add {purpose}`");
    }
}

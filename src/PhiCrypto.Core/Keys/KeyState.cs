// Key lifecycle states and their transitions, after NIST SP 800-57 Part 1 Rev. 5, section 7.
// The wire values below are part of the key record format (docs/keyring-format.md): never renumber.
//
//   pre-active ──> active ──> deactivated ──> destroyed
//        │            │            │              ▲
//        └────────────┴────────────┴─> compromised ┘
//   pre-active ──> destroyed (a key never used may be destroyed at once)
namespace PhiCrypto.Keys;

public enum KeyState : byte
{
    PreActive = 0,
    Active = 1,
    Deactivated = 2,
    Compromised = 3,
    Destroyed = 4,
}

public static class KeyLifecycle
{
    /// <summary>True when SP 800-57 allows moving a key from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static bool IsValidTransition(KeyState from, KeyState to) => (from, to) switch
    {
        (KeyState.PreActive, KeyState.Active or KeyState.Compromised or KeyState.Destroyed) => true,
        (KeyState.Active, KeyState.Deactivated or KeyState.Compromised) => true,
        (KeyState.Deactivated, KeyState.Compromised or KeyState.Destroyed) => true,
        (KeyState.Compromised, KeyState.Destroyed) => true,
        _ => false,
    };

    /// <summary>States whose key may still decrypt (a compromised key decrypts only to recover data, on purpose).</summary>
    public static bool CanDecrypt(KeyState state) => state is KeyState.Active or KeyState.Deactivated;

    /// <summary>The lower-case name used in JSON, the CLI and the docs.</summary>
    public static string Name(KeyState state) => state switch
    {
        KeyState.PreActive => "pre-active",
        KeyState.Active => "active",
        KeyState.Deactivated => "deactivated",
        KeyState.Compromised => "compromised",
        KeyState.Destroyed => "destroyed",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    public static bool TryParse(string text, out KeyState state)
    {
        // exact names first: this runs for every record and audit event a keyring loads
        KeyState? exact = text switch
        {
            "pre-active" => KeyState.PreActive,
            "active" => KeyState.Active,
            "deactivated" => KeyState.Deactivated,
            "compromised" => KeyState.Compromised,
            "destroyed" => KeyState.Destroyed,
            _ => null,
        };
        if (exact is { } e) { state = e; return true; }
        foreach (var s in Enum.GetValues<KeyState>())
        {
            if (string.Equals(Name(s), text, StringComparison.OrdinalIgnoreCase) ||
                string.Equals(Name(s).Replace("-", ""), text, StringComparison.OrdinalIgnoreCase))
            { state = s; return true; }
        }
        state = default;
        return false;
    }

    public static KeyState Parse(string text) =>
        TryParse(text, out var s) ? s : throw new ArgumentException($"unknown key state '{text}' (pre-active, active, deactivated, compromised, destroyed)");

    internal static bool IsDefined(byte value) => value <= (byte)KeyState.Destroyed;
}

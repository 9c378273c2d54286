// How phi_keyring_open finds a keyring: the store is a JSON file path or a postgresql:// URL; the KEK
// spec is "env" (PHICRYPTO_MASTER_KEY), "env:VARIABLE", "passphrase" (PBKDF2 or Argon2id with the
// parameters stored in the keyring) or a "pkcs11:" URI (RFC 7512; PIN in PHICRYPTO_PKCS11_PIN).
// The same conventions as the phicrypt CLI's --keyring and --kek.
using PhiCrypto.Keys;
using PhiCrypto.Keys.Hosting;

namespace PhiCrypto.Native;

internal static class KeyringOpener
{
    private const int FlagCreate = AbiConstants.KeyringCreate;

    internal static IKek CreateKek(string spec, IReadOnlyDictionary<string, string> settings, string? passphrase) =>
        KeyringLocator.CreateKek(spec, settings, _ => string.IsNullOrEmpty(passphrase) ? throw new ArgumentException("the passphrase KEK needs a passphrase") : passphrase);

    /// <summary>Opens (or with FlagCreate, initializes when empty) the keyring at <paramref name="location"/>.</summary>
    internal static Keyring Open(string? location, string? kekSpec, string? passphrase, int flags)
    {
        if ((flags & ~FlagCreate) != 0) throw new ArgumentException("unknown flags");
        location = KeyringLocator.ResolveLocation(location);
        kekSpec = KeyringLocator.ResolveKekSpec(kekSpec);
        var keyring = KeyringLocator.TryOpen(location, kekSpec, _ => passphrase ?? "");
        if (keyring is not null) return keyring;
        if ((flags & FlagCreate) == 0)
            throw new KeyNotAvailableException($"no keyring at {KeyringLocator.Describe(location)}: open it with the create flag to start one");
        var store = KeyringLocator.OpenStore(location);
        try
        {
            return Keyring.Initialize(store, CreateKek(kekSpec, new Dictionary<string, string>(), passphrase), new KeyringOptions { DisposeStore = true });
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }
}

// How phi_keyring_open finds a keyring: the store is a JSON file path or a postgresql:// URL; the KEK
// spec is "env" (PHICRYPTO_MASTER_KEY), "env:VARIABLE", "passphrase" (PBKDF2 or Argon2id with the
// parameters stored in the keyring) or a "pkcs11:" URI (RFC 7512; PIN in PHICRYPTO_PKCS11_PIN).
// The same conventions as the phicrypt CLI's --keyring and --kek.
using PhiCrypto.Keys;
using PhiCrypto.Pkcs11;
using PhiCrypto.Postgres;

namespace PhiCrypto.Native;

internal static class KeyringOpener
{
    internal const int FlagCreate = 1;

    internal static string DefaultLocation => Environment.GetEnvironmentVariable("PHICRYPTO_KEYRING") is { Length: > 0 } env
        ? env
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".phicrypto", "keyring.json");

    internal static IKeyStore OpenStore(string location)
    {
        if (PostgresUrl.IsUrl(location)) return new PostgresKeyStore(location);
        var directory = Path.GetDirectoryName(Path.GetFullPath(location));
        if (directory is not null) Directory.CreateDirectory(directory);
        return new JsonFileKeyStore(location);
    }

    internal static IKek CreateKek(string spec, IReadOnlyDictionary<string, string> settings, string? passphrase)
    {
        if (spec == "env") return EnvironmentKek.FromEnvironment();
        if (spec.StartsWith("env:", StringComparison.Ordinal)) return EnvironmentKek.FromEnvironment(spec[4..]);
        if (spec == "passphrase")
        {
            if (string.IsNullOrEmpty(passphrase)) throw new ArgumentException("the passphrase KEK needs a passphrase");
            return PassphraseKek.Create(passphrase, settings);
        }
        if (Pkcs11Uri.IsPkcs11Uri(spec)) return Pkcs11Kek.Open(spec);
        throw new ArgumentException("unknown KEK spec: use env, env:VARIABLE, passphrase or pkcs11:URI");
    }

    /// <summary>Opens (or with FlagCreate, initializes when empty) the keyring at <paramref name="location"/>.</summary>
    internal static Keyring Open(string? location, string? kekSpec, string? passphrase, int flags)
    {
        if ((flags & ~FlagCreate) != 0) throw new ArgumentException("unknown flags");
        location = string.IsNullOrEmpty(location) ? DefaultLocation : location;
        kekSpec = string.IsNullOrEmpty(kekSpec) ? Environment.GetEnvironmentVariable("PHICRYPTO_KEK") is { Length: > 0 } k ? k : "env" : kekSpec;
        var options = new KeyringOptions { DisposeStore = true };
        var keyring = Keyring.Open(OpenStore(location), settings => CreateKek(kekSpec, settings, passphrase), options);
        if (keyring.AuditTrail.Count > 0 || keyring.Records.Count > 0) return keyring;
        keyring.Dispose();
        if ((flags & FlagCreate) == 0)
            throw new KeyNotAvailableException($"no keyring at {location}: open it with the create flag to start one");
        var store = OpenStore(location);
        try
        {
            return Keyring.Initialize(store, CreateKek(kekSpec, new Dictionary<string, string>(), passphrase), options);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }
}

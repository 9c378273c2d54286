// How a host names a keyring, shared by `phicrypt` and the C ABI so both read the same settings:
//   location  a JSON file path or a postgresql:// URL   (else $PHICRYPTO_KEYRING, else ~/.phicrypto/keyring.json)
//   KEK spec  env | env:VARIABLE | passphrase | pkcs11:URI (RFC 7512)   (else $PHICRYPTO_KEK, else env,
//             which reads PHICRYPTO_MASTER_KEY: base64 of 32 bytes)
// Secrets never come from these strings: passphrases come from the host's callback, PINs from
// pin-source or PHICRYPTO_PKCS11_PIN.
using PhiCrypto.Pkcs11;
using PhiCrypto.Postgres;

namespace PhiCrypto.Keys.Hosting;

public static class KeyringLocator
{
    public const string KeyringVariable = "PHICRYPTO_KEYRING";
    public const string KekVariable = "PHICRYPTO_KEK";

    public static string DefaultPath => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".phicrypto", "keyring.json");

    /// <summary>The keyring location to use: the given one, else the environment's, else the default file.</summary>
    public static string ResolveLocation(string? location) =>
        NonEmpty(location) ?? NonEmpty(Environment.GetEnvironmentVariable(KeyringVariable)) ?? DefaultPath;

    /// <summary>The KEK spec to use: the given one, else the environment's, else "env".</summary>
    public static string ResolveKekSpec(string? spec) =>
        NonEmpty(spec) ?? NonEmpty(Environment.GetEnvironmentVariable(KekVariable)) ?? "env";

    /// <summary><paramref name="location"/> fit for a message or a log: a URL's password is never shown.</summary>
    public static string Describe(string location) => PostgresUrl.IsUrl(location) ? PostgresUrl.Display(location) : location;

    /// <summary>The store at <paramref name="location"/>: PostgreSQL for a URL, else a JSON file (its folder created).</summary>
    public static IKeyStore OpenStore(string location)
    {
        if (PostgresUrl.IsUrl(location)) return new PostgresKeyStore(location);
        var directory = Path.GetDirectoryName(Path.GetFullPath(location));
        if (directory is not null) Directory.CreateDirectory(directory);
        return new JsonFileKeyStore(location);
    }

    /// <summary>
    /// The KEK a spec names. <paramref name="passphrase"/> is asked only for a passphrase KEK; its argument
    /// says whether this is a new passphrase (so a prompt should ask twice). <paramref name="kdf"/> picks
    /// the KDF of a new passphrase KEK (pbkdf2 or argon2id); existing ones keep their stored parameters.
    /// </summary>
    public static IKek CreateKek(string spec, IReadOnlyDictionary<string, string> settings, Func<bool, string> passphrase, string? kdf = null)
    {
        if (spec == "env") return EnvironmentKek.FromEnvironment();
        if (spec.StartsWith("env:", StringComparison.Ordinal)) return EnvironmentKek.FromEnvironment(spec[4..]);
        if (spec == "passphrase") return PassphraseKek.Create(passphrase(!PassphraseKek.HasParameters(settings)), settings, kdf);
        if (Pkcs11Uri.IsPkcs11Uri(spec)) return Pkcs11Kek.Open(spec);
        throw new ArgumentException($"unknown KEK '{spec}': use env, env:VARIABLE, passphrase or pkcs11:URI");
    }

    /// <summary>Opens the keyring at <paramref name="location"/> (it owns its store); null when none exists there yet.</summary>
    public static Keyring? TryOpen(string location, string kekSpec, Func<bool, string> passphrase, KeyringOptions? options = null)
    {
        var keyring = Keyring.Open(OpenStore(location), settings => CreateKek(kekSpec, settings, passphrase),
            (options ?? new KeyringOptions()) with { DisposeStore = true });
        if (keyring.AuditTrail.Count > 0 || keyring.Records.Count > 0) return keyring;
        keyring.Dispose();
        return null;
    }

    private static string? NonEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}

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

    /// <summary>Key stores by scheme: the first whose test accepts the location opens it.</summary>
    private static readonly (string Name, Func<string, bool> Accepts, Func<string, IKeyStore> Open)[] Stores =
    [
        ("postgresql", PostgresUrl.IsUrl, location => new PostgresKeyStore(location)),
        ("json file", _ => true, location => new JsonFileKeyStore(location)), // the store creates its folder 0700 on first write
    ];

    /// <summary>KEKs by scheme (the part of the spec before ':'). A factory gets the text after the scheme
    /// (null when there is none), the keyring's settings, the passphrase callback and the KDF of a new passphrase KEK.</summary>
    private delegate IKek KekFactory(string? argument, IReadOnlyDictionary<string, string> settings, Func<bool, string> passphrase, string? kdf);

    private static readonly Dictionary<string, KekFactory> Keks = new(StringComparer.Ordinal)
    {
        ["env"] = (variable, _, _, _) => variable is null ? EnvironmentKek.FromEnvironment() : EnvironmentKek.FromEnvironment(variable),
        ["passphrase"] = (argument, settings, passphrase, kdf) => argument is null
            ? PassphraseKek.Create(passphrase(!PassphraseKek.HasParameters(settings)), settings, kdf)
            : throw new ArgumentException("the passphrase KEK takes no argument: the passphrase comes from a file, PHICRYPTO_KEK_PASSPHRASE or a prompt"),
        ["pkcs11"] = (argument, _, _, _) => Pkcs11Kek.Open("pkcs11:" + argument),
    };

    /// <summary>The store at <paramref name="location"/>: PostgreSQL for a URL, else a JSON file.</summary>
    public static IKeyStore OpenStore(string location) => Stores.First(s => s.Accepts(location)).Open(location);

    /// <summary>
    /// The KEK a spec names. <paramref name="passphrase"/> is asked only for a passphrase KEK; its argument
    /// says whether this is a new passphrase (so a prompt should ask twice). <paramref name="kdf"/> picks
    /// the KDF of a new passphrase KEK (pbkdf2 or argon2id); existing ones keep their stored parameters.
    /// </summary>
    public static IKek CreateKek(string spec, IReadOnlyDictionary<string, string> settings, Func<bool, string> passphrase, string? kdf = null)
    {
        var (factory, argument) = KekScheme(spec);
        return factory(argument, settings, passphrase, kdf);
    }

    private static (KekFactory Factory, string? Argument) KekScheme(string spec)
    {
        int colon = spec.IndexOf(':');
        var scheme = colon < 0 ? spec : spec[..colon];
        return Keks.TryGetValue(scheme, out var factory) && (colon < 0 || colon < spec.Length - 1)
            ? (factory, colon < 0 ? null : spec[(colon + 1)..])
            : throw new ArgumentException($"unknown KEK '{spec}': use env, env:VARIABLE, passphrase or pkcs11:URI");
    }

    /// <summary>Opens the keyring at <paramref name="location"/> (it owns its store); null when none exists there yet.</summary>
    public static Keyring? TryOpen(string location, string kekSpec, Func<bool, string> passphrase, KeyringOptions? options = null)
    {
        try { return Open(location, kekSpec, passphrase, options); }
        catch (KeyringNotFoundException) { return null; }
    }

    /// <summary>Opens the keyring at <paramref name="location"/> (it owns its store); <see cref="KeyringNotFoundException"/>,
    /// which says how to create one, when none exists there. A malformed KEK spec is refused before the store is read.</summary>
    public static Keyring Open(string location, string kekSpec, Func<bool, string> passphrase, KeyringOptions? options = null)
    {
        KekScheme(kekSpec);
        return Keyring.Open(OpenStore(location), settings => CreateKek(kekSpec, settings, passphrase), (options ?? new KeyringOptions()) with { DisposeStore = true });
    }

    private static string? NonEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}

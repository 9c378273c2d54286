// KEK derived from a passphrase: PBKDF2-HMAC-SHA-256 (NIST SP 800-132, FIPS-approved) or Argon2id
// (RFC 9106, not FIPS-approved). The KDF, salt (16 random bytes) and cost are stored with the keyring
// as settings, never the passphrase or the key. Passphrases are taken as UTF-8 bytes.
// The store is untrusted, so parameters read from it must lie between floors (OWASP 2023: PBKDF2 600,000
// iterations; Argon2id 19 MiB) and ceilings (so a store writer cannot make every open burn minutes of CPU
// or gigabytes of memory); new parameters are checked the same way.
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using PhiCrypto.Primitives;

namespace PhiCrypto.Keys;

public static class PassphraseKek
{
    public const string KdfSetting = "kek.passphrase.kdf";
    public const string SaltSetting = "kek.passphrase.salt";
    public const string IterationsSetting = "kek.passphrase.iterations";
    public const string MemorySetting = "kek.passphrase.memory-kib";
    public const string Pbkdf2Name = "pbkdf2-sha256";
    public const string Argon2idName = "argon2id";

    /// <summary>OWASP's 2023 figure for PBKDF2-HMAC-SHA-256.</summary>
    public const int DefaultPbkdf2Iterations = 600_000;
    public const int DefaultArgon2Passes = 3;
    public const int DefaultArgon2MemoryKib = 64 * 1024;
    public const int SaltSize = 16;

    public const int MinPbkdf2Iterations = 600_000, MaxPbkdf2Iterations = 20_000_000;
    public const int MinArgon2MemoryKib = 19 * 1024, MaxArgon2MemoryKib = 4 * 1024 * 1024;
    public const int MinArgon2Passes = 1, MaxArgon2Passes = 16;

    /// <summary>True when <paramref name="settings"/> hold passphrase KEK parameters.</summary>
    public static bool HasParameters(IReadOnlyDictionary<string, string> settings) => settings.ContainsKey(KdfSetting);

    /// <summary>Rebuilds the KEK from the stored parameters, or makes new ones (fresh salt) when none are stored.</summary>
    public static SoftwareKek Create(ReadOnlySpan<char> passphrase, IReadOnlyDictionary<string, string> settings, string? newKdf = null, int? newCost = null)
    {
        if (passphrase.IsEmpty) throw new ArgumentException("the passphrase is empty", nameof(passphrase));
        var p = HasParameters(settings) ? Parameters.Read(settings) : Parameters.New(newKdf ?? DefaultKdf, newCost);
        Span<byte> key = stackalloc byte[32];
        byte[] secret = new byte[Encoding.UTF8.GetByteCount(passphrase)];
        try
        {
            Encoding.UTF8.GetBytes(passphrase, secret);
            Derive(p, secret, key);
            return new SoftwareKek($"passphrase:{p.Kdf}", key, p.ToSettings());
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    private static string DefaultKdf => Pbkdf2Name;

    /// <summary>The one place the KDF is called, so the primitives' Pbkdf2/Argon2id classes can replace it.</summary>
    internal static void Derive(Parameters p, ReadOnlySpan<byte> passphrase, Span<byte> key)
    {
        if (p.Kdf == Pbkdf2Name) Pbkdf2.DeriveBytes(passphrase, p.Salt, p.Cost, key);
        else Argon2id.DeriveBytes(passphrase, p.Salt, p.MemoryKib, p.Cost, key);
    }

    internal sealed record Parameters(string Kdf, byte[] Salt, int Cost, int MemoryKib)
    {
        public static Parameters New(string kdf, int? cost)
        {
            var salt = RandomNumberGenerator.GetBytes(SaltSize);
            var p = kdf switch
            {
                Pbkdf2Name => new Parameters(kdf, salt, cost ?? DefaultPbkdf2Iterations, 0),
                Argon2idName => new Parameters(kdf, salt, cost ?? DefaultArgon2Passes, DefaultArgon2MemoryKib),
                _ => throw new ArgumentException($"unknown passphrase KDF '{kdf}' ({Pbkdf2Name} or {Argon2idName})"),
            };
            return p.OutOfBounds() is { } problem ? throw new ArgumentException(problem) : p;
        }

        /// <summary>Why these parameters are below a floor or above a ceiling, or null when they are within.</summary>
        public string? OutOfBounds() => Kdf == Pbkdf2Name
            ? Cost is < MinPbkdf2Iterations or > MaxPbkdf2Iterations ? $"PBKDF2 iterations must be {MinPbkdf2Iterations} to {MaxPbkdf2Iterations} (got {Cost})" : null
            : MemoryKib is < MinArgon2MemoryKib or > MaxArgon2MemoryKib ? $"Argon2id memory must be {MinArgon2MemoryKib} to {MaxArgon2MemoryKib} KiB (got {MemoryKib})"
            : Cost is < MinArgon2Passes or > MaxArgon2Passes ? $"Argon2id passes must be {MinArgon2Passes} to {MaxArgon2Passes} (got {Cost})" : null;

        public static Parameters Read(IReadOnlyDictionary<string, string> s)
        {
            try
            {
                var kdf = s[KdfSetting];
                if (kdf is not (Pbkdf2Name or Argon2idName)) throw new FormatException();
                var salt = Convert.FromBase64String(s[SaltSetting]);
                int cost = int.Parse(s[IterationsSetting], NumberStyles.None, CultureInfo.InvariantCulture);
                int mem = kdf == Argon2idName ? int.Parse(s[MemorySetting], NumberStyles.None, CultureInfo.InvariantCulture) : 0;
                if (salt.Length != SaltSize) throw new FormatException();
                var p = new Parameters(kdf, salt, cost, mem);
                return p.OutOfBounds() is { } problem
                    ? throw new PolicyViolationException($"the keyring's passphrase KEK parameters are out of bounds: {problem}; the store may have been tampered with")
                    : p;
            }
            catch (Exception e) when (e is FormatException or KeyNotFoundException or OverflowException)
            {
                throw new MalformedDataException("the keyring's passphrase KEK parameters are missing or malformed");
            }
        }

        public IReadOnlyDictionary<string, string> ToSettings()
        {
            var d = new Dictionary<string, string>
            {
                [KdfSetting] = Kdf,
                [SaltSetting] = Convert.ToBase64String(Salt),
                [IterationsSetting] = Cost.ToString(CultureInfo.InvariantCulture),
            };
            if (Kdf == Argon2idName) d[MemorySetting] = MemoryKib.ToString(CultureInfo.InvariantCulture);
            return d;
        }
    }
}

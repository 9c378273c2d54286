// Argon2id, RFC 9106, through libsodium (NSec). Not FIPS-approved: refused when FIPS mode is on.
// Limits (libsodium): parallelism 1 only, salt exactly 16 bytes, passes >= 1, memory >= 8 KiB,
// output 16 to 64 bytes here (a SecretKey). Defaults: 64 MiB and 3 passes (RFC 9106 section 4,
// second recommended option, with the lanes libsodium supports).
using System.Security.Cryptography;
using NSec.Cryptography;

namespace PhiCrypto.Primitives;

public static class Argon2id
{
    public const string AlgorithmName = "Argon2id";
    public const int SaltSize = 16;
    public const int DefaultMemoryKib = 64 * 1024;
    public const int DefaultPasses = 3;

    /// <summary>Fresh parameters with a random salt. Throws <see cref="PolicyViolationException"/> in FIPS mode.</summary>
    public static Argon2idParameters CreateParameters(int memoryKib = DefaultMemoryKib, int passes = DefaultPasses)
    {
        CryptoPolicy.RequireApproved(AlgorithmName, approved: false);
        var salt = new byte[SaltSize];
        SecureRandom.Fill(salt);
        return new Argon2idParameters(memoryKib, passes, salt);
    }

    /// <summary>Argon2id(password, salt) into <paramref name="output"/>.</summary>
    public static void DeriveBytes(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, int memoryKib, int passes, Span<byte> output)
    {
        CryptoPolicy.RequireApproved(AlgorithmName, approved: false);
        if (salt.Length != SaltSize) throw new ArgumentException("Argon2id salt must be 16 bytes", nameof(salt));
        if (memoryKib < 8) throw new ArgumentOutOfRangeException(nameof(memoryKib), "memory must be at least 8 KiB");
        if (passes < 1) throw new ArgumentOutOfRangeException(nameof(passes), "passes must be 1 or more");
        if (output.Length is < 16 or > SecretKey.MaxSize) throw new ArgumentException("output must be 16 to 64 bytes", nameof(output));
        var algorithm = PasswordBasedKeyDerivationAlgorithm.Argon2id(new Argon2Parameters
        {
            DegreeOfParallelism = 1,
            MemorySize = memoryKib,
            NumberOfPasses = passes,
        });
        algorithm.DeriveBytes(password, salt, output);
    }
}

/// <summary>Argon2id parameters to store with what the derived key protects.</summary>
public sealed record Argon2idParameters : PassphraseKdfParameters
{
    public Argon2idParameters(int memoryKib, int passes, byte[] salt) : base(salt)
    {
        ArgumentNullException.ThrowIfNull(salt);
        if (salt.Length != Argon2id.SaltSize) throw new ArgumentException("Argon2id salt must be 16 bytes", nameof(salt));
        if (memoryKib < 8) throw new ArgumentOutOfRangeException(nameof(memoryKib), "memory must be at least 8 KiB");
        if (passes < 1) throw new ArgumentOutOfRangeException(nameof(passes), "passes must be 1 or more");
        MemoryKib = memoryKib;
        Passes = passes;
    }

    public override string Algorithm => Argon2id.AlgorithmName;

    public int MemoryKib { get; }
    public int Passes { get; }

    public override SecretKey DeriveKey(ReadOnlySpan<byte> passphrase, int size = 32)
    {
        if (size is < 16 or > SecretKey.MaxSize) throw new ArgumentOutOfRangeException(nameof(size), "key size must be 16 to 64 bytes");
        Span<byte> raw = stackalloc byte[SecretKey.MaxSize];
        try
        {
            Argon2id.DeriveBytes(passphrase, Salt, MemoryKib, Passes, raw[..size]);
            return SecretKey.Import(raw[..size]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(raw);
        }
    }

    public override string ToString() => $"{Algorithm}({MemoryKib} KiB, {Passes} passes, {Salt.Length}-byte salt)";
}

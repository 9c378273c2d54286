// The field subkeys of one DEK version. One 32-byte DEK serves both modes without the modes sharing
// key material: HKDF-SHA-256 (RFC 5869, empty salt) derives a 32-byte AES-256-GCM key with info
// "phicrypto/field/v1/aes-256-gcm" and a 64-byte AES-256-SIV key with info
// "phicrypto/field/v1/aes-256-siv". Key schedules are set up once here, not per field.
using System.Security.Cryptography;
using PhiCrypto.Primitives;

namespace PhiCrypto.Fields;

/// <summary>Resolves the field key a stored envelope names (a keyring implements it per purpose).</summary>
public interface IFieldKeyResolver
{
    /// <summary>The key of <paramref name="version"/>, or null when it is unknown or may not decrypt.</summary>
    FieldKey? FindFieldKey(uint version);
}

/// <summary>Field-encryption subkeys derived from one DEK version. Thread-safe; dispose to zero them.</summary>
public sealed class FieldKey : IFieldKeyResolver, IDisposable
{
    internal static ReadOnlySpan<byte> GcmInfo => "phicrypto/field/v1/aes-256-gcm"u8;
    internal static ReadOnlySpan<byte> SivInfo => "phicrypto/field/v1/aes-256-siv"u8;

    /// <summary>SP 800-38D 8.3 allows 2^32 random-nonce encryptions per key; stop well before.</summary>
    public const long DefaultUsageLimit = 1L << 31;

    private long _randomizedEncryptions;

    private FieldKey(uint version, Aes256Gcm gcm, Aes256Siv siv)
    {
        Version = version;
        Gcm = gcm;
        Siv = siv;
    }

    /// <summary>Derives the subkeys of <paramref name="dek"/> (32 bytes) for key version <paramref name="version"/> (1 or more).</summary>
    public static FieldKey Create(ReadOnlySpan<byte> dek, uint version, AeadBackend? backend = null)
    {
        if (dek.Length != 32) throw new ArgumentException("a DEK is 32 bytes", nameof(dek));
        if (version == 0) throw new ArgumentOutOfRangeException(nameof(version), "key versions start at 1");
        Span<byte> subkeys = stackalloc byte[Aes256Gcm.KeySize + Aes256Siv.KeySize];
        try
        {
            var gcmKey = subkeys[..Aes256Gcm.KeySize];
            var sivKey = subkeys[Aes256Gcm.KeySize..];
            Hkdf.DeriveKey(HashAlgorithmName.SHA256, dek, gcmKey, salt: default, GcmInfo);
            Hkdf.DeriveKey(HashAlgorithmName.SHA256, dek, sivKey, salt: default, SivInfo);
            return new FieldKey(version, Aes256Gcm.Create(gcmKey, backend), Aes256Siv.Create(sivKey));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(subkeys);
        }
    }

    public static FieldKey Create(SecretKey dek, uint version, AeadBackend? backend = null) => Create(dek.Span, version, backend);

    /// <summary>The key version that envelopes written with this key carry in their header.</summary>
    public uint Version { get; }

    /// <summary>Randomized encryptions done with this key in this process.</summary>
    public long RandomizedEncryptions => Interlocked.Read(ref _randomizedEncryptions);

    /// <summary>Randomized encryptions allowed before <see cref="PolicyViolationException"/> (the keyring sets it).</summary>
    public long UsageLimit { get; set; } = DefaultUsageLimit;

    internal Aes256Gcm Gcm { get; }
    internal Aes256Siv Siv { get; }

    /// <summary>Counts one random-nonce encryption against the usage limit.</summary>
    internal void CountRandomizedEncryption()
    {
        if (Interlocked.Increment(ref _randomizedEncryptions) > UsageLimit)
            throw new PolicyViolationException($"key version {Version} reached its usage limit of {UsageLimit} randomized encryptions; rotate the key");
    }

    FieldKey? IFieldKeyResolver.FindFieldKey(uint version) => version == Version ? this : null;

    public void Dispose()
    {
        Gcm.Dispose();
        Siv.Dispose();
    }

    public override string ToString() => $"FieldKey(version {Version})";
}

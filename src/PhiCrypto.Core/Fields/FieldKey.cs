// The field subkeys of one DEK version. One 32-byte DEK serves both modes without the modes sharing
// key material: HKDF-SHA-256 (RFC 5869, empty salt) derives a 32-byte AES-256-GCM key with info
// "phicrypto/field/v1/aes-256-gcm" and a 64-byte AES-256-SIV key with info
// "phicrypto/field/v1/aes-256-siv". Key schedules are set up once here, not per field.
// Lifetime: every field operation holds a lease (KeyLifetime), so Dispose, from a keyring's snapshot
// swap or a C host freeing its key, zeroes the subkeys only after the operations in flight end, and
// every later operation throws ObjectDisposedException. The version is not an HKDF input, so
// ForVersion gives views of the same subkeys (one lifetime, one usage count) for other versions.
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

    private readonly Subkeys _subkeys;
    private readonly bool _ownsSubkeys;
    private volatile bool _disposed;

    private FieldKey(uint version, Subkeys subkeys, bool ownsSubkeys)
    {
        Version = version;
        _subkeys = subkeys;
        _ownsSubkeys = ownsSubkeys;
    }

    /// <summary>Derives the subkeys of <paramref name="dek"/> (32 bytes) for key version <paramref name="version"/> (1 or more).</summary>
    public static FieldKey Create(ReadOnlySpan<byte> dek, uint version, AeadBackend? backend = null)
    {
        if (dek.Length != 32) throw new ArgumentException("a DEK is 32 bytes", nameof(dek));
        CheckVersion(version);
        Span<byte> subkeys = stackalloc byte[Aes256Gcm.KeySize + Aes256Siv.KeySize];
        try
        {
            var gcmKey = subkeys[..Aes256Gcm.KeySize];
            var sivKey = subkeys[Aes256Gcm.KeySize..];
            Hkdf.DeriveKey(HashAlgorithmName.SHA256, dek, gcmKey, salt: default, GcmInfo);
            Hkdf.DeriveKey(HashAlgorithmName.SHA256, dek, sivKey, salt: default, SivInfo);
            return new FieldKey(version, new Subkeys(Aes256Gcm.Create(gcmKey, backend), Aes256Siv.Create(sivKey)), ownsSubkeys: true);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(subkeys);
        }
    }

    public static FieldKey Create(SecretKey dek, uint version, AeadBackend? backend = null)
    {
        using var lease = dek.Lease();
        return Create(dek.Span, version, backend);
    }

    /// <summary>The same subkeys writing <paramref name="version"/> in their envelopes: no new key material.
    /// The view shares this key's lifetime and usage count; disposing the view leaves the subkeys alone.</summary>
    public FieldKey ForVersion(uint version)
    {
        CheckVersion(version);
        ObjectDisposedException.ThrowIf(_disposed || _subkeys.Lifetime.IsClosed, this);
        return version == Version ? this : new FieldKey(version, _subkeys, ownsSubkeys: false);
    }

    /// <summary>The key version that envelopes written with this key carry in their header.</summary>
    public uint Version { get; }

    /// <summary>Randomized encryptions done with these subkeys in this process.</summary>
    public long RandomizedEncryptions => Interlocked.Read(ref _subkeys.RandomizedEncryptions);

    /// <summary>Randomized encryptions allowed before <see cref="PolicyViolationException"/> (the keyring sets it).</summary>
    public long UsageLimit
    {
        get => Volatile.Read(ref _subkeys.UsageLimit);
        set => Volatile.Write(ref _subkeys.UsageLimit, value);
    }

    internal Aes256Gcm Gcm => _subkeys.Gcm;
    internal Aes256Siv Siv => _subkeys.Siv;

    /// <summary>Holds the subkeys intact for one operation (or one batch); throws once disposed.</summary>
    internal KeyLease Lease()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _subkeys.Lifetime.Lease();
    }

    /// <summary>Counts one random-nonce encryption against the usage limit.</summary>
    internal void CountRandomizedEncryption()
    {
        if (Interlocked.Increment(ref _subkeys.RandomizedEncryptions) > UsageLimit)
            throw new PolicyViolationException($"key version {Version} reached its usage limit of {UsageLimit} randomized encryptions; rotate the key");
    }

    FieldKey? IFieldKeyResolver.FindFieldKey(uint version) => version == Version ? this : null;

    public void Dispose()
    {
        _disposed = true;
        if (_ownsSubkeys) _subkeys.Lifetime.Close();
    }

    public override string ToString() => $"FieldKey(version {Version})";

    private static void CheckVersion(uint version)
    {
        if (version == 0) throw new ArgumentOutOfRangeException(nameof(version), "key versions start at 1");
    }

    private sealed class Subkeys
    {
        public readonly Aes256Gcm Gcm;
        public readonly Aes256Siv Siv;
        public readonly KeyLifetime Lifetime;
        public long RandomizedEncryptions;
        public long UsageLimit = DefaultUsageLimit;

        public Subkeys(Aes256Gcm gcm, Aes256Siv siv)
        {
            Gcm = gcm;
            Siv = siv;
            Lifetime = new KeyLifetime(nameof(FieldKey), () => { Gcm.Dispose(); Siv.Dispose(); });
        }
    }
}

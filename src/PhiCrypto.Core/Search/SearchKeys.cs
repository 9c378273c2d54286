// The search keys of one DEK version of one purpose: blind indexes (BlindIndexKey: HKDF label
// "phicrypto/blind-index/v1") and FF1 (NIST SP 800-38G Rev. 1) under its own derived key:
//   K_ff1 = HKDF-SHA-256(IKM = DEK, salt = empty, L = 32,
//             info = "phicrypto/ff1/v1" || 0x00 || u32be(version) || u16be(len(purpose)) || purpose)
// The label differs from the field subkeys' and the index keys', so FF1 output says nothing about
// them (RFC 5869 section 3.2). Key schedules are set up once per version and kept here (index HMAC
// states per definition, at most MaxCachedIndexes of them; one FF1 instance per radix).
// Lifetime: every operation holds a lease (KeyLifetime); Dispose (the version was dropped, the source
// or keyring freed) zeroes the keys after the operations in flight end, and later ones throw.
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using PhiCrypto.Primitives;

namespace PhiCrypto.Search;

internal sealed class SearchKeys : IDisposable
{
    /// <summary>Distinct index definitions kept with their key schedules; others are derived per call.</summary>
    internal const int MaxCachedIndexes = 64;
    internal static ReadOnlySpan<byte> Ff1Label => "phicrypto/ff1/v1"u8;

    private readonly byte[] _dek = GC.AllocateArray<byte>(32, pinned: true);
    private readonly byte[] _ff1Key = GC.AllocateArray<byte>(32, pinned: true);
    private readonly ConcurrentDictionary<BlindIndexDefinition, BlindIndex> _indexes = new();
    private readonly Ff1?[] _ff1 = new Ff1?[Primitives.Ff1.MaxRadix + 1];
    private readonly KeyLifetime _lifetime;

    private SearchKeys(ReadOnlySpan<byte> dek, uint version, string purpose)
    {
        Version = version;
        Purpose = purpose;
        dek.CopyTo(_dek);
        Hkdf.DeriveKey(HashAlgorithmName.SHA256, dek, _ff1Key, salt: default, BlindIndexKey.Info(Ff1Label, version, purpose, name: null));
        _lifetime = new KeyLifetime(nameof(SearchKeys), ZeroKeys);
    }

    /// <summary>The search keys of <paramref name="dek"/> (32 bytes), version <paramref name="version"/> of <paramref name="purpose"/>.</summary>
    public static SearchKeys Create(SecretKey dek, uint version, string purpose)
    {
        using var lease = dek.Lease();
        if (dek.Size != 32) throw new ArgumentException("blind indexes and FF1 through a key source need a 32-byte key");
        return new SearchKeys(dek.Span, version, purpose);
    }

    public uint Version { get; }
    public string Purpose { get; }

    /// <summary>Holds the keys intact for one operation; throws once disposed.</summary>
    public KeyLease Lease() => _lifetime.Lease();

    /// <summary>The index of <paramref name="definition"/> under this version. Call under a lease; when
    /// <paramref name="transient"/> is set the caller disposes it (the cache was full).</summary>
    public BlindIndex Index(BlindIndexDefinition definition, out bool transient)
    {
        transient = false;
        if (_indexes.TryGetValue(definition, out var index)) return index;
        var created = BlindIndex.Create(definition, _dek, Version, Purpose);
        if (_indexes.Count >= MaxCachedIndexes)
        {
            transient = true;
            return created;
        }
        var kept = _indexes.GetOrAdd(definition, created);
        if (!ReferenceEquals(kept, created)) created.Dispose();
        return kept;
    }

    /// <summary>FF1 of <paramref name="radix"/> under K_ff1. Call under a lease.</summary>
    public Ff1 Ff1(int radix)
    {
        if (radix is < Primitives.Ff1.MinRadix or > Primitives.Ff1.MaxRadix)
            throw new ArgumentOutOfRangeException(nameof(radix), $"FF1 radix must be {Primitives.Ff1.MinRadix} to {Primitives.Ff1.MaxRadix}");
        if (Volatile.Read(ref _ff1[radix]) is { } ff1) return ff1;
        var created = Primitives.Ff1.Create(_ff1Key, radix);
        var kept = Interlocked.CompareExchange(ref _ff1[radix], created, null);
        if (kept is null) return created;
        created.Dispose();
        return kept;
    }

    private void ZeroKeys()
    {
        foreach (var index in _indexes.Values) index.Dispose();
        _indexes.Clear();
        for (int i = 0; i < _ff1.Length; i++) Interlocked.Exchange(ref _ff1[i], null)?.Dispose();
        CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(_dek.AsSpan()));
        CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(_ff1Key.AsSpan()));
    }

    public void Dispose() => _lifetime.Close();

    public override string ToString() => $"SearchKeys({Purpose}, version {Version})";
}

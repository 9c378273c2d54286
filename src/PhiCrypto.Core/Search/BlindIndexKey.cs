// The HMAC key of one blind index, derived per purpose, per key version and per index name from the
// purpose's DEK of that version, so rotating the DEK re-indexes the way it re-encrypts:
//   K_index = HKDF-SHA-256(IKM = DEK, salt = empty, L = 32,
//               info = "phicrypto/blind-index/v1" || 0x00 || u32be(version)
//                      || u16be(len(purpose)) || purpose || u16be(len(name)) || name)
// purpose and name in UTF-8. The label differs from the field subkeys' ("phicrypto/field/v1/..."), so
// an index key is independent of the keys that encrypt the same column (RFC 5869 section 3.2). The
// version and purpose in the info make keys independent even if a caller passed one DEK for several.
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using PhiCrypto.Primitives;

namespace PhiCrypto.Search;

/// <summary>A derived blind-index key: pinned, zeroed on dispose, never printed.</summary>
public sealed class BlindIndexKey : IDisposable
{
    public const int KeySize = 32;
    public const int MaxPurposeLength = 1024;
    internal static ReadOnlySpan<byte> Label => "phicrypto/blind-index/v1"u8;

    private readonly byte[] _key = GC.AllocateArray<byte>(KeySize, pinned: true);
    private int _disposed;

    private BlindIndexKey(uint version, string purpose, string indexName)
    {
        Version = version;
        Purpose = purpose;
        IndexName = indexName;
    }

    /// <summary>Derives the key of index <paramref name="indexName"/> of <paramref name="purpose"/> from the
    /// purpose's DEK (32 bytes) of key version <paramref name="version"/> (1 or more).</summary>
    public static BlindIndexKey Derive(ReadOnlySpan<byte> dek, uint version, string purpose, string indexName)
    {
        if (dek.Length != 32) throw new ArgumentException("a DEK is 32 bytes", nameof(dek));
        if (version == 0) throw new ArgumentOutOfRangeException(nameof(version), "key versions start at 1");
        ArgumentNullException.ThrowIfNull(purpose);
        ArgumentNullException.ThrowIfNull(indexName);
        byte[] info = Info(Label, version, purpose, indexName);
        var key = new BlindIndexKey(version, purpose, indexName);
        Hkdf.DeriveKey(HashAlgorithmName.SHA256, dek, key._key, salt: default, info);
        return key;
    }

    public static BlindIndexKey Derive(SecretKey dek, uint version, string purpose, string indexName) => Derive(dek.Span, version, purpose, indexName);

    /// <summary>label || 0x00 || u32be(version) || u16be(len purpose) || purpose [|| u16be(len name) || name].</summary>
    internal static byte[] Info(ReadOnlySpan<byte> label, uint version, string purpose, string? name)
    {
        int purposeLength = Utf8Length(purpose, MaxPurposeLength, nameof(purpose));
        int nameLength = name is null ? 0 : Utf8Length(name, BlindIndexDefinition.MaxNameLength * 4, "indexName");
        var info = new byte[label.Length + 1 + 4 + 2 + purposeLength + (name is null ? 0 : 2 + nameLength)];
        var w = info.AsSpan();
        label.CopyTo(w);
        w = w[(label.Length + 1)..]; // 0x00 separator
        BinaryPrimitives.WriteUInt32BigEndian(w, version);
        BinaryPrimitives.WriteUInt16BigEndian(w[4..], (ushort)purposeLength);
        Encoding.UTF8.GetBytes(purpose, w[6..]);
        if (name is null) return info;
        w = w[(6 + purposeLength)..];
        BinaryPrimitives.WriteUInt16BigEndian(w, (ushort)nameLength);
        Encoding.UTF8.GetBytes(name, w[2..]);
        return info;
    }

    private static int Utf8Length(string s, int max, string name)
    {
        int n = Strict.GetByteCount(s);
        if (n == 0 || n > max) throw new ArgumentException($"{name} must be 1 to {max} bytes of UTF-8", name);
        return n;
    }

    internal static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public uint Version { get; }
    public string Purpose { get; }
    public string IndexName { get; }

    internal ReadOnlySpan<byte> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return _key;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(_key.AsSpan()));
    }

    public override string ToString() => $"BlindIndexKey({Purpose}/{IndexName}, version {Version})";
}

// Blind indexes after CipherSweet (paragonie.com/blog/2019/01/ciphersweet-searchable-encryption-doesn-t-have-be-bitter):
// index = the leftmost `bits` bits of HMAC-SHA-256(K_index, message) (FIPS 198-1; truncation per
// SP 800-107 section 5.3.3), the trailing bits of the last byte zeroed. K_index: see BlindIndexKey.
// The message (format 1) binds the kind, the normalization and, for prefixes, the prefix length:
//   exact:    0x01 || 0x01 || norm || UTF-8(normalized value)
//   prefix:   0x01 || 0x02 || norm || u16be(k) || UTF-8(first k scalar values of the normalized value)
//   compound: 0x01 || 0x03 || count || per field: norm || 0x00 (NULL)  or  norm || 0x01 || u32be(len) || UTF-8
// Length prefixes make compound messages unambiguous ("ab"+"c" differs from "a"+"bc"). A value is at
// most MaxValueBytes of UTF-8; text that is not valid UTF-16 is refused rather than replaced.
// Thread-safe: keyed HMAC states (IncrementalHash) come from a small pool, so a value costs the HMAC
// itself, not OpenSSL's MAC fetch and key setup. docs/search.md says what each kind reveals.
using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using PhiCrypto.Primitives;

namespace PhiCrypto.Search;

/// <summary>One prefix length's index value.</summary>
public readonly record struct PrefixIndexValue(int Length, byte[] Value);

/// <summary>A blind index ready to compute: a definition and its derived key.</summary>
public sealed class BlindIndex : IDisposable
{
    public const int MaxValueBytes = 64 * 1024;
    private const byte MessageFormat = 1;
    private const int StackMessage = 256;

    private readonly BlindIndexKey _key;
    private readonly InstancePool<IncrementalHash> _macs;

    private BlindIndex(BlindIndexDefinition definition, BlindIndexKey key)
    {
        Definition = definition;
        _key = key;
        _macs = new InstancePool<IncrementalHash>(() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key.Span));
    }

    /// <summary>Derives the index key from <paramref name="dek"/> (the purpose's DEK of <paramref name="version"/>)
    /// for <paramref name="definition"/>'s name; see <see cref="BlindIndexKey"/>.</summary>
    public static BlindIndex Create(BlindIndexDefinition definition, ReadOnlySpan<byte> dek, uint version, string purpose)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return new BlindIndex(definition, BlindIndexKey.Derive(dek, version, purpose, definition.Name));
    }

    public BlindIndexDefinition Definition { get; }
    public uint Version => _key.Version;
    public string Purpose => _key.Purpose;

    /// <summary>The index value of <paramref name="value"/> (an exact index) into <paramref name="output"/> (ValueLength bytes).</summary>
    public void Compute(string value, Span<byte> output)
    {
        Require(BlindIndexKind.Exact, "Compute");
        CheckOutput(output);
        var normalization = Definition.Normalizations[0];
        string normalized = TextNormalizer.Normalize(value, normalization);
        Span<byte> head = [MessageFormat, (byte)BlindIndexKind.Exact, (byte)normalization];
        Mac(head, normalized, output);
    }

    public byte[] Compute(string value)
    {
        var output = new byte[Definition.ValueLength];
        Compute(value, output);
        return output;
    }

    /// <summary>Many exact-index values into <paramref name="output"/>: value i at i * ValueLength.</summary>
    public void ComputeBatch(IReadOnlyList<string> values, Span<byte> output)
    {
        ArgumentNullException.ThrowIfNull(values);
        int n = Definition.ValueLength;
        if (output.Length != (long)values.Count * n) throw new ArgumentException("output must be count * ValueLength bytes", nameof(output));
        for (int i = 0; i < values.Count; i++) Compute(values[i], output.Slice(i * n, n));
    }

    public byte[][] ComputeBatch(IReadOnlyList<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return values.Select(Compute).ToArray();
    }

    /// <summary>Stored side of a prefix index: one value per length from MinPrefix to min(MaxPrefix, the
    /// value's length). A value shorter than MinPrefix gets none.</summary>
    public IReadOnlyList<PrefixIndexValue> ComputePrefixes(string value)
    {
        Require(BlindIndexKind.Prefix, "ComputePrefixes");
        string normalized = TextNormalizer.Normalize(value, Definition.Normalizations[0]);
        int top = Math.Min(Definition.MaxPrefix, TextNormalizer.ScalarCount(normalized));
        var result = new List<PrefixIndexValue>(Math.Max(0, top - Definition.MinPrefix + 1));
        for (int k = Definition.MinPrefix; k <= top; k++) result.Add(PrefixValue(normalized, k));
        return result;
    }

    /// <summary>Query side of a prefix index: the value to look up for `startswith(prefix)`, at length
    /// min(prefix length, MaxPrefix); rows it returns must still be checked after decryption.</summary>
    public PrefixIndexValue ComputePrefixQuery(string prefix)
    {
        Require(BlindIndexKind.Prefix, "ComputePrefixQuery");
        string normalized = TextNormalizer.NormalizePrefixQuery(prefix, Definition.Normalizations[0]);
        int length = TextNormalizer.ScalarCount(normalized);
        if (length < Definition.MinPrefix)
            throw new ArgumentException($"index '{Definition.Name}' serves prefixes of {Definition.MinPrefix} characters or more", nameof(prefix));
        return PrefixValue(normalized, Math.Min(length, Definition.MaxPrefix));
    }

    private PrefixIndexValue PrefixValue(string normalized, int k)
    {
        var output = new byte[Definition.ValueLength];
        Span<byte> head = [MessageFormat, (byte)BlindIndexKind.Prefix, (byte)Definition.Normalizations[0], (byte)(k >> 8), (byte)k];
        Mac(head, TextNormalizer.Prefix(normalized, k)!, output);
        return new PrefixIndexValue(k, output);
    }

    /// <summary>The compound index value of <paramref name="fields"/> (one per defined field, null allowed).</summary>
    public void ComputeCompound(IReadOnlyList<string?> fields, Span<byte> output)
    {
        Require(BlindIndexKind.Compound, "ComputeCompound");
        ArgumentNullException.ThrowIfNull(fields);
        if (fields.Count != Definition.Normalizations.Count)
            throw new ArgumentException($"index '{Definition.Name}' covers {Definition.Normalizations.Count} fields", nameof(fields));
        CheckOutput(output);
        var normalized = new string?[fields.Count];
        for (int i = 0; i < fields.Count; i++)
            normalized[i] = fields[i] is { } f ? TextNormalizer.Normalize(f, Definition.Normalizations[i]) : null;
        int length = 3;
        foreach (var f in normalized) length = checked(length + 2 + (f is null ? 0 : 4 + Utf8Count(f)));
        byte[]? rented = null;
        Span<byte> message = length <= StackMessage ? stackalloc byte[StackMessage] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            message[0] = MessageFormat;
            message[1] = (byte)BlindIndexKind.Compound;
            message[2] = (byte)normalized.Length;
            int at = 3;
            for (int i = 0; i < normalized.Length; i++)
            {
                message[at++] = (byte)Definition.Normalizations[i];
                message[at++] = normalized[i] is null ? (byte)0 : (byte)1;
                if (normalized[i] is not { } f) continue;
                int n = BlindIndexKey.Strict.GetBytes(f, message[(at + 4)..]);
                BinaryPrimitives.WriteUInt32BigEndian(message[at..], (uint)n);
                at += 4 + n;
            }
            MacTruncated(message[..at], output);
        }
        finally
        {
            Release(message[..length], rented);
        }
    }

    public byte[] ComputeCompound(params string?[] fields)
    {
        var output = new byte[Definition.ValueLength];
        ComputeCompound(fields, output);
        return output;
    }

    // output = leftmost Bits of HMAC-SHA-256(K, head || UTF-8(text)).
    private void Mac(ReadOnlySpan<byte> head, string text, Span<byte> output)
    {
        int length = checked(head.Length + Utf8Count(text));
        byte[]? rented = null;
        Span<byte> message = length <= StackMessage ? stackalloc byte[StackMessage] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            head.CopyTo(message);
            int n = head.Length + BlindIndexKey.Strict.GetBytes(text, message[head.Length..]);
            MacTruncated(message[..n], output);
        }
        finally
        {
            Release(message[..length], rented);
        }
    }

    private void MacTruncated(ReadOnlySpan<byte> message, Span<byte> output)
    {
        Span<byte> mac = stackalloc byte[32];
        var hmac = _macs.Rent();
        try
        {
            hmac.AppendData(message);
            hmac.GetHashAndReset(mac);
        }
        finally
        {
            _macs.Return(hmac);
        }
        Truncate(mac, Definition.Bits, output);
        CryptographicOperations.ZeroMemory(mac);
    }

    // The message holds plaintext: zeroed before the buffer goes back.
    private static void Release(Span<byte> message, byte[]? rented)
    {
        CryptographicOperations.ZeroMemory(message);
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
    }

    /// <summary>The leftmost <paramref name="bits"/> bits of <paramref name="mac"/>, the rest of the last byte zero.</summary>
    internal static void Truncate(ReadOnlySpan<byte> mac, int bits, Span<byte> output)
    {
        int n = (bits + 7) / 8;
        mac[..n].CopyTo(output);
        if (bits % 8 != 0) output[n - 1] &= (byte)(0xFF << (8 - bits % 8));
    }

    private static int Utf8Count(string text)
    {
        int n;
        try { n = BlindIndexKey.Strict.GetByteCount(text); }
        catch (EncoderFallbackException) { throw new ArgumentException("value is not valid Unicode text (unpaired surrogate)"); }
        if (n > MaxValueBytes) throw new ArgumentException($"indexed values are limited to {MaxValueBytes} bytes of UTF-8");
        return n;
    }

    private void Require(BlindIndexKind kind, string method)
    {
        if (Definition.Kind != kind)
            throw new InvalidOperationException($"index '{Definition.Name}' is a {Definition.Kind} index; {method} serves {kind} indexes");
    }

    private void CheckOutput(Span<byte> output)
    {
        if (output.Length != Definition.ValueLength) throw new ArgumentException($"output must be {Definition.ValueLength} bytes", nameof(output));
    }

    public void Dispose()
    {
        _macs.Dispose();
        _key.Dispose();
    }

    public override string ToString() => $"BlindIndex({Purpose}/{Definition.Name}, {Definition.Kind}, {Definition.Bits} bits, version {Version})";
}

// Encryption context serialization, aws-encryption-sdk-specification framework/structures.md "Serialization":
//   empty context -> zero bytes; otherwise
//   count u16 (> 0) || count x ( keyLen u16 || key UTF-8 || valueLen u16 || value UTF-8 )
// entries sorted by key in ascending order of the UTF-8 bytes, no duplicate keys, big-endian lengths.
// The header's AAD field is this serialization prefixed by its own u16 length, so the whole is at most
// 65,535 bytes. Keys starting with "aws-crypto-" are reserved by the SDK (the signed suites store
// "aws-crypto-public-key" there).
using System.Buffers.Binary;
using System.Text;

namespace PhiCrypto.Messages;

/// <summary>Serializes and parses encryption contexts: authenticated, unencrypted key/value metadata.</summary>
public static class EncryptionContextFormat
{
    public const int MaxSerializedLength = ushort.MaxValue;
    public const string ReservedPrefix = "aws-crypto-";
    public const string PublicKeyName = "aws-crypto-public-key";

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>The canonical serialization (sorted by UTF-8 key bytes); empty for an empty context.</summary>
    public static byte[] Serialize(IReadOnlyDictionary<string, string> context)
    {
        if (context.Count == 0) return [];
        if (context.Count > ushort.MaxValue) throw new ArgumentException("encryption context has too many pairs", nameof(context));
        var entries = new List<(byte[] Key, byte[] Value)>(context.Count);
        int size = 2;
        foreach (var (k, v) in context)
        {
            var entry = (Encode(k, nameof(context)), Encode(v, nameof(context)));
            size += 4 + entry.Item1.Length + entry.Item2.Length;
            if (size > MaxSerializedLength) throw new ArgumentException("encryption context exceeds 65,535 bytes serialized", nameof(context));
            entries.Add(entry);
        }
        entries.Sort((a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));
        var output = new byte[size];
        BinaryPrimitives.WriteUInt16BigEndian(output, (ushort)entries.Count);
        int at = 2;
        foreach (var (k, v) in entries)
        {
            at = WriteField(output, at, k);
            at = WriteField(output, at, v);
        }
        return output;
    }

    /// <summary>Parses a serialization; refuses truncation, trailing bytes, invalid UTF-8 and duplicate keys.</summary>
    public static Dictionary<string, string> Parse(ReadOnlySpan<byte> serialized)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (serialized.IsEmpty) return result;
        if (serialized.Length < 2) throw Malformed("encryption context is truncated");
        int count = BinaryPrimitives.ReadUInt16BigEndian(serialized);
        if (count == 0) throw Malformed("encryption context has a zero pair count but a non-zero length");
        int at = 2;
        for (int i = 0; i < count; i++)
        {
            string key = ReadField(serialized, ref at);
            string value = ReadField(serialized, ref at);
            if (!result.TryAdd(key, value)) throw Malformed("encryption context repeats a key");
        }
        if (at != serialized.Length) throw Malformed("encryption context has trailing bytes");
        return result;
    }

    /// <summary>Checks a caller's context: no reserved keys, serializable within the size bound.</summary>
    public static void ValidateCallerContext(IReadOnlyDictionary<string, string> context, string paramName)
    {
        foreach (var key in context.Keys)
            if (key.StartsWith(ReservedPrefix, StringComparison.Ordinal))
                throw new ArgumentException($"encryption context key '{key}' uses the reserved prefix '{ReservedPrefix}'", paramName);
        _ = Serialize(context);
    }

    private static byte[] Encode(string s, string paramName)
    {
        try { return StrictUtf8.GetBytes(s); }
        catch (EncoderFallbackException) { throw new ArgumentException("encryption context holds a string that is not valid Unicode", paramName); }
    }

    private static int WriteField(byte[] output, int at, byte[] field)
    {
        BinaryPrimitives.WriteUInt16BigEndian(output.AsSpan(at), (ushort)field.Length);
        field.CopyTo(output, at + 2);
        return at + 2 + field.Length;
    }

    private static string ReadField(ReadOnlySpan<byte> s, ref int at)
    {
        if (s.Length - at < 2) throw Malformed("encryption context is truncated");
        int len = BinaryPrimitives.ReadUInt16BigEndian(s[at..]);
        at += 2;
        if (s.Length - at < len) throw Malformed("encryption context is truncated");
        string value;
        try { value = StrictUtf8.GetString(s.Slice(at, len)); }
        catch (DecoderFallbackException) { throw Malformed("encryption context holds invalid UTF-8"); }
        at += len;
        return value;
    }

    private static MalformedDataException Malformed(string message) => new(message);
}

// Message header, aws-encryption-sdk-specification data-format/message-header.md. Big-endian.
// v1 body: version 01 | type 80 | suite u16 | message ID (16) | AAD | EDKs | content type | reserved 00000000
//          | IV length u8 (12) | frame length u32;   v1 auth: IV (12) | tag (16)
// v2 body: version 02 | suite u16 | message ID (32) | AAD | EDKs | content type | frame length u32
//          | suite data (32, the commit key);        v2 auth: tag (16)
// AAD  = kvLength u16 | encryption context serialization (kvLength bytes; 0 when the context is empty)
// EDKs = count u16 (> 0) | count x EDK entry
// Content type 01 = non-framed (read only), 02 = framed. Non-framed requires frame length 0.
// Bounds we add so hostile input cannot make us allocate: MaxHeaderLength (whole header) and
// MaxEncryptedDataKeys; every length field is checked against what remains before any allocation.
using System.Buffers.Binary;
using System.Text;

namespace PhiCrypto.Messages;

/// <summary>Content types of the message body.</summary>
public enum ContentType : byte { NonFramed = 1, Framed = 2 }

/// <summary>A parsed or built message header. Nothing in it is trusted until the header tag verifies.</summary>
public sealed class MessageHeader
{
    public const int MinFrameLength = 4096;
    public const int MaxFrameLength = 16 * 1024 * 1024;
    public const int DefaultFrameLength = 64 * 1024;

    public required AlgorithmSuite Suite { get; init; }
    public required byte[] MessageId { get; init; }
    /// <summary>The stored context, as parsed (authenticate-only pairs are not stored).</summary>
    public required IReadOnlyDictionary<string, string> EncryptionContext { get; init; }
    public required IReadOnlyList<EncryptedDataKey> EncryptedDataKeys { get; init; }
    public required ContentType ContentType { get; init; }
    public required uint FrameLength { get; init; }
    /// <summary>v2: the commit key (32 bytes); v1: empty.</summary>
    public required byte[] SuiteData { get; init; }
    /// <summary>v1: the header IV; v2: empty (the IV is zero).</summary>
    public required byte[] HeaderIv { get; init; }
    public required byte[] AuthTag { get; init; }
    /// <summary>The serialized header body: the AAD of the header tag.</summary>
    public required byte[] Body { get; init; }
    public int Version => Suite.MessageFormatVersion;
    /// <summary>Total header length in bytes: body plus authentication.</summary>
    public int Length => Body.Length + HeaderIv.Length + AuthTag.Length;

    /// <summary>Serializes a v2 framed header body (the tag is computed by the caller over it).</summary>
    internal static byte[] BuildBodyV2(AlgorithmSuite suite, ReadOnlySpan<byte> messageId, ReadOnlySpan<byte> serializedContext,
        IReadOnlyList<EncryptedDataKey> edks, uint frameLength, ReadOnlySpan<byte> commitKey)
    {
        var w = new List<byte>(256 + serializedContext.Length);
        w.Add(2);
        U16(w, suite.Id);
        w.AddRange(messageId);
        U16(w, serializedContext.Length);
        w.AddRange(serializedContext);
        U16(w, edks.Count);
        foreach (var e in edks)
        {
            Field(w, Encoding.UTF8.GetBytes(e.ProviderId));
            Field(w, e.ProviderInfo);
            Field(w, e.Ciphertext);
        }
        w.Add((byte)ContentType.Framed);
        U32(w, frameLength);
        w.AddRange(commitKey);
        return [.. w];
    }

    /// <summary>Reads and parses a header from <paramref name="input"/>, consuming exactly its bytes.</summary>
    public static MessageHeader Read(Stream input, int maxHeaderLength = 1024 * 1024, int maxEncryptedDataKeys = 64)
    {
        var r = new BoundedReader(input, maxHeaderLength);
        byte version = r.U8();
        if (version is not (1 or 2)) throw new MalformedDataException($"unknown message format version 0x{version:X2} (this is not an AWS Encryption SDK message)");
        if (version == 1 && r.U8() != 0x80) throw new MalformedDataException("unknown message type (v1 requires 0x80)");
        ushort suiteId = r.U16();
        var suite = AlgorithmSuite.Find(suiteId) ?? throw new MalformedDataException($"unknown or unsupported algorithm suite 0x{suiteId:X4}");
        if (suite.MessageFormatVersion != version) throw new MalformedDataException($"algorithm suite 0x{suiteId:X4} does not belong to message format v{version}");
        var messageId = r.Bytes(suite.MessageIdLength).ToArray();
        int aadLength = r.U16();
        var context = EncryptionContextFormat.Parse(r.Bytes(aadLength));
        var edks = ReadEdks(r, maxEncryptedDataKeys);
        byte contentType = r.U8();
        if (contentType is not (1 or 2)) throw new MalformedDataException($"unknown content type 0x{contentType:X2}");
        if (version == 1)
        {
            if (BinaryPrimitives.ReadUInt32BigEndian(r.Bytes(4)) != 0) throw new MalformedDataException("reserved header bytes are not zero");
            if (r.U8() != AlgorithmSuite.IvLength) throw new MalformedDataException("header IV length does not match the algorithm suite");
        }
        uint frameLength = r.U32();
        if (contentType == 1 && frameLength != 0) throw new MalformedDataException("non-framed message with a non-zero frame length");
        if (contentType == 2 && frameLength == 0) throw new MalformedDataException("framed message with a zero frame length");
        var suiteData = r.Bytes(suite.SuiteDataLength).ToArray();
        var body = r.Consumed.ToArray();
        var iv = version == 1 ? r.Bytes(AlgorithmSuite.IvLength).ToArray() : [];
        var tag = r.Bytes(AlgorithmSuite.TagLength).ToArray();
        return new MessageHeader
        {
            Suite = suite, MessageId = messageId, EncryptionContext = context, EncryptedDataKeys = edks,
            ContentType = (ContentType)contentType, FrameLength = frameLength, SuiteData = suiteData,
            HeaderIv = iv, AuthTag = tag, Body = body,
        };
    }

    /// <summary>The whole serialized header: body, then IV (v1) and tag.</summary>
    public byte[] ToBytes() => [.. Body, .. HeaderIv, .. AuthTag];

    private static List<EncryptedDataKey> ReadEdks(BoundedReader r, int max)
    {
        int count = r.U16();
        if (count == 0) throw new MalformedDataException("message has no encrypted data keys");
        if (count > max) throw new MalformedDataException($"message has {count} encrypted data keys, more than the limit of {max}");
        var edks = new List<EncryptedDataKey>(count);
        var utf8 = new UTF8Encoding(false, true);
        for (int i = 0; i < count; i++)
        {
            string providerId;
            try { providerId = utf8.GetString(r.Bytes(r.U16())); }
            catch (DecoderFallbackException) { throw new MalformedDataException("encrypted data key provider ID is not UTF-8"); }
            var info = r.Bytes(r.U16()).ToArray();
            var ciphertext = r.Bytes(r.U16()).ToArray();
            edks.Add(new EncryptedDataKey(providerId, info, ciphertext));
        }
        return edks;
    }

    private static void U16(List<byte> w, int v) { w.Add((byte)(v >> 8)); w.Add((byte)v); }
    private static void U32(List<byte> w, uint v) { w.Add((byte)(v >> 24)); w.Add((byte)(v >> 16)); w.Add((byte)(v >> 8)); w.Add((byte)v); }

    private static void Field(List<byte> w, byte[] value)
    {
        if (value.Length > ushort.MaxValue) throw new ArgumentException("encrypted data key field exceeds 65,535 bytes");
        U16(w, value.Length);
        w.AddRange(value);
    }

    /// <summary>Reads exactly the requested bytes from a stream into one growing buffer, up to a cap.</summary>
    private sealed class BoundedReader(Stream input, int max)
    {
        private byte[] _buf = new byte[512];
        private int _len;

        public ReadOnlySpan<byte> Consumed => _buf.AsSpan(0, _len);

        public ReadOnlySpan<byte> Bytes(int n)
        {
            if (n > max - _len) throw new MalformedDataException($"message header exceeds the limit of {max} bytes");
            if (_len + n > _buf.Length) Array.Resize(ref _buf, Math.Min(max, Math.Max(_buf.Length * 2, _len + n)));
            int got = input.ReadAtLeast(_buf.AsSpan(_len, n), n, throwOnEndOfStream: false);
            if (got < n) throw new MalformedDataException("message is truncated inside its header");
            _len += n;
            return _buf.AsSpan(_len - n, n);
        }

        public byte U8() => Bytes(1)[0];
        public ushort U16() => BinaryPrimitives.ReadUInt16BigEndian(Bytes(2));
        public uint U32() => BinaryPrimitives.ReadUInt32BigEndian(Bytes(4));
    }
}

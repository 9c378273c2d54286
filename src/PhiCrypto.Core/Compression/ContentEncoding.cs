// Compressed message content, marked in the authenticated encryption context (docs/message-format.md,
// "Compressed content"): "phicrypto:content-encoding" = "zstd-seekable" and "phicrypto:zstd-frame-size" =
// the decimal uncompressed frame size. The message's plaintext is then a zstd seekable stream: any AWS
// Encryption SDK decrypts it to that stream, which a plain `zstd -d` decompresses. A caller asks for
// compression by putting the encoding pair in the context (the frame size is added when absent: the C ABI
// and Python need no new argument); readers decompress unless asked for the stored stream. Whole streams
// compress with SeekableZstdEncoder (parallel), pushed data with SeekableZstdWriter.
using System.Globalization;
using PhiCrypto.Messages;

namespace PhiCrypto.Compression;

/// <summary>Encrypts with compression when the context asks for it; decrypts and reads ranges through it.</summary>
public static class ContentEncoding
{
    public const string EncodingKey = "phicrypto:content-encoding";
    public const string FrameSizeKey = "phicrypto:zstd-frame-size";
    public const string ZstdSeekable = "zstd-seekable";
    public const int DefaultFrameSize = 1024 * 1024;
    public const int DefaultLevel = 3;
    internal const int MaxWindowLog = 24;   // 16 MiB: the largest frame we accept

    /// <summary>The encryption context that asks for zstd-seekable content, added to <paramref name="context"/>.</summary>
    public static Dictionary<string, string> Compressed(IReadOnlyDictionary<string, string> context, int frameSize = DefaultFrameSize)
    {
        CheckFrameSize(frameSize);
        return new Dictionary<string, string>(context, StringComparer.Ordinal)
        {
            [EncodingKey] = ZstdSeekable,
            [FrameSizeKey] = frameSize.ToString(CultureInfo.InvariantCulture),
        };
    }

    /// <summary>The uncompressed frame size if <paramref name="context"/> marks zstd-seekable content, else null.</summary>
    public static int? FrameSizeOf(IReadOnlyDictionary<string, string> context)
    {
        if (!context.TryGetValue(EncodingKey, out var encoding)) return null;
        if (encoding != ZstdSeekable) throw new MalformedDataException($"unsupported content encoding '{encoding}'");
        if (!context.TryGetValue(FrameSizeKey, out var text)
            || !int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int size) || !ValidFrameSize(size))
            throw new MalformedDataException($"{FrameSizeKey} must be a frame size of 4 KiB to 16 MiB");
        return size;
    }

    /// <summary>Encrypts <paramref name="input"/>, compressing first when the options' context asks for it;
    /// returns the uncompressed length read.</summary>
    public static long Encrypt(Stream input, Stream output, MessageEncryptOptions options, PipelineOptions? pipeline = null, IProgress<long>? progress = null)
    {
        var (marked, frameSize) = Prepare(options);
        if (frameSize is not int size) return MessagePipeline.Encrypt(input, output, options, pipeline, progress);
        using var encoder = new SeekableZstdEncoder(input, size, DefaultLevel, pipeline?.Workers ?? 0);
        MessagePipeline.Encrypt(encoder, output, marked, pipeline, progress is null ? null : new UncompressedProgress(progress, encoder));
        return encoder.PlaintextLength;
    }

    /// <summary>The options to encrypt with (the frame size added when the context asks for compression
    /// without one) and the compressed frame size, or null for uncompressed content.</summary>
    public static (MessageEncryptOptions Options, int? FrameSize) Prepare(MessageEncryptOptions options)
    {
        var context = options.EncryptionContext;
        if (!context.ContainsKey(EncodingKey)) return (options, null);
        if (options.AuthenticateOnlyKeys.Contains(EncodingKey) || options.AuthenticateOnlyKeys.Contains(FrameSizeKey))
            throw new ArgumentException("the content encoding must be stored for readers to see it", nameof(options));
        if (!context.ContainsKey(FrameSizeKey)) context = Compressed(context);
        int frameSize = FrameSizeOf(context) ?? DefaultFrameSize;
        return (new MessageEncryptOptions
        {
            Wrappers = options.Wrappers, Suite = options.Suite, FrameLength = options.FrameLength, EncryptionContext = context,
            AuthenticateOnlyKeys = options.AuthenticateOnlyKeys, Backend = options.Backend,
        }, frameSize);
    }

    /// <summary>Decrypts a message; content marked zstd-seekable is decompressed unless <paramref name="decompress"/> is false.</summary>
    public static MessageHeader Decrypt(Stream input, Stream output, MessageDecryptOptions options, bool decompress = true, PipelineOptions? pipeline = null, IProgress<long>? progress = null)
    {
        SeekableZstdDecoder? decoder = null;
        try
        {
            var header = MessagePipeline.Decrypt(input, h => decompress && FrameSizeOf(h.EncryptionContext) is not null ? decoder = new SeekableZstdDecoder(output) : output,
                options, pipeline, progress);
            decoder?.Complete();
            return header;
        }
        finally { decoder?.Dispose(); }
    }

    /// <summary>Reads the content of the decrypted <paramref name="plaintext"/>: decompressed when <paramref name="context"/>
    /// marks it zstd-seekable (a cut-off frame fails at the end; <paramref name="plaintext"/> stays open), else the plaintext itself.</summary>
    public static Stream DecodingReader(Stream plaintext, IReadOnlyDictionary<string, string> context)
    {
        if (FrameSizeOf(context) is null) return plaintext;
        var decompressor = new ZstdSharp.Decompressor();
        decompressor.SetParameter(ZstdSharp.Unsafe.ZSTD_dParameter.ZSTD_d_windowLogMax, MaxWindowLog);
        return new ZstdSharp.DecompressionStream(plaintext, decompressor, 128 * 1024, checkEndOfStream: true, leaveOpen: true, preserveDecompressor: false);
    }

    /// <summary>Random access to the plaintext (decompressed unless <paramref name="decompress"/> is false); <paramref name="input"/> must seek.</summary>
    public static IPlaintextReader OpenRange(Stream input, MessageDecryptOptions options, bool decompress = true, bool leaveOpen = false)
    {
        var reader = new SeekableMessageReader(input, options, leaveOpen);
        try
        {
            int? frameSize = decompress ? FrameSizeOf(reader.Header.EncryptionContext) : null;
            return frameSize is int size ? new DecompressingRangeReader(reader, size) : reader;
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    internal static bool ValidFrameSize(int size) => size >= MessageHeader.MinFrameLength && size <= MessageHeader.MaxFrameLength;

    internal static void CheckFrameSize(int frameSize)
    {
        if (!ValidFrameSize(frameSize)) throw new ArgumentOutOfRangeException(nameof(frameSize), "compressed frame size must be 4 KiB to 16 MiB");
    }

    // The pipeline counts compressed bytes; progress is about the input.
    private sealed class UncompressedProgress(IProgress<long> inner, SeekableZstdEncoder encoder) : IProgress<long>
    {
        public void Report(long value) => inner.Report(encoder.PlaintextLength);
    }
}

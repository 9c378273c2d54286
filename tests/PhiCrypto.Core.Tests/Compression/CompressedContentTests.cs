using System.Diagnostics;
using System.Text;
using PhiCrypto.Compression;
using PhiCrypto.Messages;
using PhiCrypto.Tests.Messages;

namespace PhiCrypto.Tests.Compression;

/// <summary>zstd-seekable message content: round trips, random ranges, tampering, plain zstd compatibility.</summary>
public class CompressedContentTests
{
    private const int Frame = 4096;   // the smallest compressed frame size: many frames from small inputs

    public static TheoryData<int, bool> Sizes() => new()
    {
        { 0, true }, { 1, true }, { Frame - 1, true }, { Frame, true }, { Frame + 1, true }, { 8 * Frame, true },
        { 8 * Frame + 7, true }, { 100_000, false }, { Frame, false }, { 3 * Frame + 1, false }, { 0, false },
    };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void RoundTripsAndMarksTheContext(int length, bool compressible)
    {
        var plaintext = Data(length, compressible);
        var message = Encrypt(plaintext);
        var output = new MemoryStream();
        var header = ContentEncoding.Decrypt(new MemoryStream(message), output, MessageFixture.DecryptOptions(), pipeline: Pipeline);
        Assert.Equal(plaintext, output.ToArray());
        Assert.Equal(ContentEncoding.ZstdSeekable, header.EncryptionContext[ContentEncoding.EncodingKey]);
        Assert.Equal("4096", header.EncryptionContext[ContentEncoding.FrameSizeKey]);
        if (compressible && length > Frame) Assert.True(message.Length < length / 4, $"{message.Length} bytes for {length}");
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void RandomRangesEqualThePlaintextSlice(int length, bool compressible)
    {
        var plaintext = Data(length, compressible);
        using var reader = ContentEncoding.OpenRange(new MemoryStream(Encrypt(plaintext)), MessageFixture.DecryptOptions());
        Assert.Equal(length, reader.PlaintextLength);
        var random = new Random(length);
        for (int i = 0; i < 40; i++)
        {
            int start = random.Next(length + 1), count = random.Next(3 * Frame);
            var slice = new byte[count];
            int n = reader.Read(start, slice);
            Assert.Equal(plaintext.AsSpan(start, Math.Min(count, length - start)).ToArray(), slice[..n]);
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void PushedAndPulledCompressionWriteTheSameStream(int length, bool compressible)
    {
        // The writer (push mode) in uneven writes and the parallel encoder (whole streams) must agree byte for byte.
        var plaintext = Data(length, compressible);
        var pulled = new MemoryStream();
        using (var encoder = new SeekableZstdEncoder(new MemoryStream(plaintext), Frame, parallelism: 3)) encoder.CopyTo(pulled);
        var pushed = new MemoryStream();
        using (var writer = new SeekableZstdWriter(pushed, Frame))
        {
            for (int at = 0, step = 1; at < length; at += step, step = step * 3 % 5000 + 1) writer.Write(plaintext.AsSpan(at, Math.Min(step, length - at)));
            writer.Complete();
        }
        Assert.Equal(pulled.ToArray(), pushed.ToArray());
        Assert.Equal(plaintext, Zstd(pushed.ToArray(), "-d"));
    }

    [Fact]
    public void PlainZstdDecompressesTheStoredStream()
    {
        foreach (int length in new[] { 0, 5 * Frame, 5 * Frame + 3 })
        {
            var plaintext = Data(length, compressible: true);
            var stored = new MemoryStream();
            ContentEncoding.Decrypt(new MemoryStream(Encrypt(plaintext)), stored, MessageFixture.DecryptOptions(), decompress: false);
            Assert.Equal(plaintext, Zstd(stored.ToArray(), "-d"));
        }
    }

    [Fact]
    public void WeDecompressWhatZstdCanRead()
    {
        // The stored stream is a seekable-format stream: zstd lists its frames and its skippable seek table.
        var plaintext = Data(6 * Frame + 1, compressible: true);
        var stored = new MemoryStream();
        ContentEncoding.Decrypt(new MemoryStream(Encrypt(plaintext)), stored, MessageFixture.DecryptOptions(), decompress: false);
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, stored.ToArray());
            var list = Run("zstd", [], "-lv", path);
            Assert.Contains("# Zstandard Frames: 7", Encoding.UTF8.GetString(list));
            Assert.Contains("# Skippable Frames: 1", Encoding.UTF8.GetString(list));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void TamperingStillFails()
    {
        var message = Encrypt(Data(5 * Frame, compressible: true));
        var random = new Random(7);
        for (int i = 0; i < 20; i++)
        {
            var bad = (byte[])message.Clone();
            bad[random.Next(bad.Length)] ^= (byte)(1 << random.Next(8));
            Assert.ThrowsAny<PhiCryptoException>(() => ContentEncoding.Decrypt(new MemoryStream(bad), new MemoryStream(), MessageFixture.DecryptOptions()));
            Assert.ThrowsAny<PhiCryptoException>(() =>
            {
                using var reader = ContentEncoding.OpenRange(new MemoryStream(bad), MessageFixture.DecryptOptions());
                reader.Read(0, new byte[reader.PlaintextLength]);
            });
        }
    }

    [Fact]
    public void AnUnknownEncodingIsRefused()
    {
        var context = new Dictionary<string, string> { [ContentEncoding.EncodingKey] = "brotli" };
        var message = Message.Encrypt(Data(100, true), MessageFixture.EncryptOptions(context: context));
        var e = Assert.Throws<MalformedDataException>(() => ContentEncoding.Decrypt(new MemoryStream(message), new MemoryStream(), MessageFixture.DecryptOptions()));
        Assert.Contains("brotli", e.Message);
    }

    [Fact]
    public void AForgedSeekTableIsRefused()
    {
        // A writer holding the key marks content as compressed but stores a stream whose table lies about frame sizes.
        var table = SeekTable.Serialize([(5, Frame), (5, 10)]);
        var content = new byte[10].Concat(table).ToArray();
        var message = Message.Encrypt(content, MessageFixture.EncryptOptions(context: ContentEncoding.Compressed(new Dictionary<string, string>(), Frame)));
        using var reader = ContentEncoding.OpenRange(new MemoryStream(message), MessageFixture.DecryptOptions());
        Assert.Throws<MalformedDataException>(() => reader.Read(0, new byte[10]));
    }

    [Fact]
    public void TheStoredStreamIsAvailableOnRequest()
    {
        var plaintext = Data(3 * Frame, compressible: true);
        using var reader = ContentEncoding.OpenRange(new MemoryStream(Encrypt(plaintext)), MessageFixture.DecryptOptions(), decompress: false);
        var stored = new byte[reader.PlaintextLength];
        reader.Read(0, stored);
        Assert.Equal(plaintext, Zstd(stored, "-d"));
    }

    private static readonly PipelineOptions Pipeline = new() { Workers = 2, QueueDepth = 2 };

    private static byte[] Encrypt(byte[] plaintext)
    {
        var options = MessageFixture.EncryptOptions(context: ContentEncoding.Compressed(new Dictionary<string, string> { ["patient"] = "P-1" }, Frame));
        var output = new MemoryStream();
        Assert.Equal(plaintext.Length, ContentEncoding.Encrypt(new MemoryStream(plaintext), output, options, Pipeline));
        return output.ToArray();
    }

    private static byte[] Data(int length, bool compressible)
    {
        if (!compressible) return MessageFixture.Plaintext(length);
        var text = new StringBuilder();
        for (int i = 0; text.Length < length; i++) text.Append($"{{\"patient\":\"P-{i % 977}\",\"code\":\"E11.{i % 10}\"}}\n");
        return Encoding.ASCII.GetBytes(text.ToString(0, length));
    }

    private static byte[] Zstd(byte[] input, params string[] args) => Run("zstd", input, [.. args, "-q", "-c"]);

    private static byte[] Run(string program, byte[] input, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stdout = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.BaseStream.Write(input);
        process.StandardInput.Close();
        copy.Wait();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, stderr.Result);
        return stdout.ToArray();
    }
}

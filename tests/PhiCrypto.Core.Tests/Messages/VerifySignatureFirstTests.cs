// Signed messages read with VerifySignatureFirst (issue 12, section 4): a message whose footer
// signature does not verify releases no plaintext at all. The streaming default releases the
// regular frames first (each authenticated by its own tag), which the first test shows.
using PhiCrypto.Messages;
using static PhiCrypto.Tests.Messages.MessageFixture;

namespace PhiCrypto.Tests.Messages;

public class VerifySignatureFirstTests
{
    private static readonly byte[] Body = Plaintext(5 * 4096 + 17);

    private static byte[] BadSignature()
    {
        var message = Encrypt(Body, signed: true);
        message[^5] ^= 1; // inside the footer's DER signature
        return message;
    }

    private static MessageDecryptOptions VerifyFirst => new() { Wrappers = [Keyring], VerifySignatureFirst = true, SpoolDirectory = Path.GetTempPath() };

    [Fact]
    public void By_default_regular_frames_are_released_before_the_signature_fails()
    {
        using var reader = new MessageDecryptStream(new MemoryStream(BadSignature()), DecryptOptions());
        var first = new byte[4096];
        Assert.Equal(4096, reader.ReadAtLeast(first, 4096));
        Assert.Throws<AuthenticationFailedException>(() => reader.CopyTo(Stream.Null));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Verify_first_releases_nothing_from_a_message_whose_signature_fails(bool seekable)
    {
        var message = BadSignature();
        Stream Input() => seekable ? new MemoryStream(message) : new ForwardOnly(message);
        Assert.Throws<AuthenticationFailedException>(() => new MessageDecryptStream(Input(), VerifyFirst));
        using var output = new MemoryStream();
        Assert.Throws<AuthenticationFailedException>(() => MessagePipeline.Decrypt(Input(), output, VerifyFirst));
        Assert.Equal(0, output.Length);
        Assert.DoesNotContain(Directory.GetFiles(Path.GetTempPath(), "phicrypto-spool-*"), f => File.GetLastWriteTimeUtc(f) > DateTime.UtcNow.AddMinutes(-1));
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, true)]
    [InlineData(false, false)]
    public void Verify_first_reads_good_messages_signed_or_not(bool seekable, bool signed)
    {
        var message = Encrypt(Body, signed: signed);
        Stream Input() => seekable ? new MemoryStream(message) : new ForwardOnly(message);
        using (var reader = new MessageDecryptStream(Input(), VerifyFirst))
        using (var plain = new MemoryStream())
        {
            reader.CopyTo(plain);
            Assert.Equal(Body, plain.ToArray());
        }
        using var output = new MemoryStream();
        MessagePipeline.Decrypt(Input(), output, VerifyFirst, new PipelineOptions { Workers = 2, QueueDepth = 2 });
        Assert.Equal(Body, output.ToArray());
    }

    /// <summary>A pipe-like input: reads only.</summary>
    private sealed class ForwardOnly(byte[] data) : Stream
    {
        private readonly MemoryStream _inner = new(data);
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

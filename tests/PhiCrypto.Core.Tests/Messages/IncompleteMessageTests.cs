// A message whose writer failed half-way (issue 12, section 4). The old MessageEncryptStream wrote
// the final frame from Dispose, so `using` around a copy from a source that threw produced a valid,
// shorter message: a truncated backup that every reader accepted. Only FlushFinalBlock completes one.
using PhiCrypto.Messages;
using static PhiCrypto.Tests.Messages.MessageFixture;

namespace PhiCrypto.Tests.Messages;

public class IncompleteMessageTests
{
    private const int FrameLength = 4096;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_source_that_throws_half_way_leaves_a_message_every_reader_refuses(bool signed)
    {
        using var sink = new MemoryStream();
        Assert.Throws<IOException>(() =>
        {
            using var writer = new MessageEncryptStream(sink, EncryptOptions(FrameLength, signed), leaveOpen: true);
            new FailingSource(failAfter: 5 * FrameLength + 100).CopyTo(writer, 1000);
            writer.FlushFinalBlock();
        });
        AssertEveryReaderRefuses(sink.ToArray());
    }

    [Fact]
    public void The_pipeline_writes_no_final_frame_when_its_source_throws()
    {
        using var sink = new MemoryStream();
        Assert.ThrowsAny<IOException>(() => MessagePipeline.Encrypt(new FailingSource(failAfter: 7 * FrameLength), sink, EncryptOptions(FrameLength),
            new PipelineOptions { Workers = 2, QueueDepth = 2 }));
        AssertEveryReaderRefuses(sink.ToArray());
    }

    [Fact]
    public void Dispose_without_completion_writes_nothing_after_the_frames_already_sent()
    {
        using var sink = new MemoryStream();
        using (var writer = new MessageEncryptStream(sink, EncryptOptions(FrameLength), leaveOpen: true)) writer.Write(Plaintext(3 * FrameLength + 5));
        AssertEveryReaderRefuses(sink.ToArray());
    }

    private static void AssertEveryReaderRefuses(byte[] message)
    {
        Assert.True(message.Length > 0);
        AssertTruncated(() => Decrypt(message));
        AssertTruncated(() => DecryptPipelined(message));
        AssertTruncated(() => new MessageDecryptStream(new MemoryStream(message), DecryptOptions()).CopyTo(Stream.Null));
        AssertTruncated(() => new SeekableMessageReader(new MemoryStream(message), DecryptOptions()).ReadRange(0, 10));
        AssertTruncated(() => MessageInspector.Describe(new MemoryStream(message)));
    }

    private static void AssertTruncated(Action read)
    {
        var e = Assert.ThrowsAny<MalformedDataException>(read);
        Assert.Contains("truncated", e.Message);
    }

    /// <summary>Yields pseudo-random bytes, then fails like a broken pipe or disk.</summary>
    private sealed class FailingSource(long failAfter) : Stream
    {
        private long _position;
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_position >= failAfter) throw new IOException("source failed");
            int n = (int)Math.Min(count, failAfter - _position);
            Random.Shared.NextBytes(buffer.AsSpan(offset, n));
            _position += n;
            return n;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

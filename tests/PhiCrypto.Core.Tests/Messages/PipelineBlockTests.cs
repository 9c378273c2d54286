// The pipeline reads, hands to a worker and writes blocks of frames: these put block boundaries, the final
// frame (8 bytes longer than a regular one) and the footer at every place they can fall within a block.
using PhiCrypto.Messages;
using static PhiCrypto.Tests.Messages.MessageFixture;

namespace PhiCrypto.Tests.Messages;

public class PipelineBlockTests
{
    private const int F = 4096;
    private static readonly PipelineOptions ThreeFrames = new() { Workers = 2, QueueDepth = 2, BlockBytes = 3 * F };
    private static readonly PipelineOptions OneWorker = new() { Workers = 1, QueueDepth = 1, BlockBytes = 3 * F };

    public static TheoryData<int, bool> Lengths()
    {
        var data = new TheoryData<int, bool>();
        foreach (int n in new[] { 0, 1, F, 3 * F - 1, 3 * F, 3 * F + 1, 5 * F + 7, 6 * F, 6 * F + 1, 9 * F })
            foreach (bool signed in new[] { false, true }) data.Add(n, signed);
        return data;
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Blocks_round_trip_with_the_frames_a_sequential_writer_makes(int length, bool signed)
    {
        var plaintext = Plaintext(length, length + 3);
        var sequential = Encrypt(plaintext, F, signed);
        foreach (var pipeline in new[] { ThreeFrames, OneWorker })
        {
            using var sink = new MemoryStream();
            Assert.Equal(length, MessagePipeline.Encrypt(new MemoryStream(plaintext), sink, EncryptOptions(F, signed), pipeline));
            var message = sink.ToArray();
            var d = MessageInspector.Describe(new MemoryStream(message));
            Assert.Equal(MessageInspector.Describe(new MemoryStream(sequential)).FrameCount, d.FrameCount);
            Assert.Equal(Math.Max(1, (length + F - 1) / F), d.FrameCount);
            if (!signed) Assert.Equal(sequential.Length, message.Length);   // a signature's DER length varies by a byte or two
            Assert.Equal(plaintext, Decrypt(message));
            Assert.Equal(plaintext, DecryptPipelined(message, pipeline));
            Assert.Equal(plaintext, DecryptPipelined(sequential, pipeline));
        }
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(8, false)]
    [InlineData(F + 32, false)]
    [InlineData(1, true)]
    [InlineData(3 * F, true)]
    public void Trailing_bytes_read_in_the_final_block_are_refused(int extra, bool signed)
    {
        foreach (int length in new[] { 3 * F, 3 * F - 100, 4 * F })
        {
            byte[] message = [.. Encrypt(Plaintext(length), F, signed), .. new byte[extra]];
            Assert.Contains("trailing", Assert.Throws<MalformedDataException>(() => DecryptPipelined(message, ThreeFrames)).Message);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_message_cut_anywhere_in_its_last_two_blocks_is_refused(bool signed)
    {
        var message = Encrypt(Plaintext(5 * F + 10), F, signed);
        int header = MessageInspector.Describe(new MemoryStream(message)).Header.Length;
        for (int cut = header; cut < message.Length; cut += 97)
            Assert.ThrowsAny<PhiCryptoException>(() => DecryptPipelined(message[..cut], ThreeFrames));
        for (int frames = 0; frames <= 5; frames++)   // at frame boundaries: no final frame
            Assert.Contains("truncated", Assert.Throws<MalformedDataException>(() => DecryptPipelined(message[..(header + frames * (F + 32))], ThreeFrames)).Message);
    }

    [Fact]
    public void Bad_pipeline_sizes_are_refused_before_anything_is_written_or_opened()
    {
        foreach (var bad in new PipelineOptions[] { new() { Workers = 0 }, new() { BlockBytes = PipelineOptions.MaxBlockBytes + 1 } })
        {
            using var sink = new MemoryStream();
            Assert.Throws<ArgumentException>(() => MessagePipeline.Encrypt(new MemoryStream(new byte[10]), sink, EncryptOptions(F), bad));
            Assert.Equal(0, sink.Length);   // no header of a message that was never going to be finished
            bool opened = false;
            Assert.Throws<ArgumentException>(() => MessagePipeline.Decrypt(new MemoryStream(Encrypt(new byte[10], F)),
                _ => { opened = true; return new MemoryStream(); }, DecryptOptions(), bad));
            Assert.False(opened);
        }
    }
}

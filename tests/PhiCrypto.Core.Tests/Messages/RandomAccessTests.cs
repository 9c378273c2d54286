using FsCheck;
using FsCheck.Xunit;
using PhiCrypto.Messages;
using static PhiCrypto.Tests.Messages.MessageFixture;

namespace PhiCrypto.Tests.Messages;

public class RandomAccessTests
{
    private static readonly byte[] Plain = Plaintext(5 * 4096 + 17, 3);
    private static readonly byte[] Unsigned = Encrypt(Plain);
    private static readonly byte[] Signed = Encrypt(Plain, signed: true);
    private static readonly byte[] Exact = Encrypt(Plain[..(4 * 4096)]);

    [Property(MaxTest = 300)]
    public bool RangedReadEqualsTheSlice(NonNegativeInt start, NonNegativeInt count, bool signed)
    {
        int s = start.Get % (Plain.Length + 10), c = count.Get % 9000;
        using var reader = new SeekableMessageReader(new MemoryStream(signed ? Signed : Unsigned), DecryptOptions());
        var expected = Plain.AsSpan(Math.Min(s, Plain.Length), Math.Max(0, Math.Min(c, Plain.Length - s))).ToArray();
        return reader.ReadRange(s, c).AsSpan().SequenceEqual(expected);
    }

    [Fact]
    public void ExactMultipleHasAFullFinalFrame()
    {
        using var reader = new SeekableMessageReader(new MemoryStream(Exact), DecryptOptions());
        Assert.Equal(4 * 4096, reader.PlaintextLength);
        Assert.Equal(Plain.AsSpan(4 * 4096 - 5, 5).ToArray(), reader.ReadRange(4 * 4096 - 5, 100));
    }

    [Fact]
    public void CopyRangeStreamsTheSlice()
    {
        using var reader = new SeekableMessageReader(new MemoryStream(Unsigned), DecryptOptions());
        using var output = new MemoryStream();
        Assert.Equal(10_000, reader.CopyRange(3000, 10_000, output));
        Assert.Equal(Plain.AsSpan(3000, 10_000).ToArray(), output.ToArray());
    }

    [Fact]
    public void TamperedFrameFailsOnlyWhenTouched()
    {
        var message = Unsigned.ToArray();
        int header = MessageInspector.Describe(new MemoryStream(Unsigned)).Header.Length;
        message[header + 2 * (4096 + 32) + 50] ^= 1;   // frame 3
        using var reader = new SeekableMessageReader(new MemoryStream(message), DecryptOptions());
        Assert.Equal(Plain.AsSpan(0, 100).ToArray(), reader.ReadRange(0, 100));
        Assert.Throws<AuthenticationFailedException>(() => reader.ReadRange(2 * 4096 + 10, 10));
    }
}

using System.Buffers.Binary;
using FsCheck;
using FsCheck.Xunit;
using PhiCrypto.Messages;
using static PhiCrypto.Tests.Messages.MessageFixture;

namespace PhiCrypto.Tests.Messages;

/// <summary>Every change to a message is refused with a typed error, by every reader.</summary>
public class TamperTests
{
    private static readonly byte[] Plain = Plaintext(3 * 4096 + 100, 7);
    private static readonly byte[] Unsigned = Encrypt(Plain);
    private static readonly byte[] Signed = Encrypt(Plain, signed: true);
    private static readonly int HeaderLength = MessageInspector.Describe(new MemoryStream(Unsigned)).Header.Length;
    private const int RegularFrame = 4096 + 32;

    private static void AllReadersRefuse(byte[] message)
    {
        Assert.ThrowsAny<PhiCryptoException>(() => Decrypt(message));
        Assert.ThrowsAny<PhiCryptoException>(() => DecryptPipelined(message));
    }

    [Property(MaxTest = 400)]
    public void AnySingleBitFlipIsRejected(NonNegativeInt position, bool signed)
    {
        var message = (signed ? Signed : Unsigned).ToArray();
        int at = position.Get % (message.Length * 8);
        message[at / 8] ^= (byte)(1 << (at % 8));
        AllReadersRefuse(message);
    }

    [Property(MaxTest = 300)]
    public void TruncationAtAnyByteIsRejected(NonNegativeInt cut, bool signed)
    {
        var message = signed ? Signed : Unsigned;
        AllReadersRefuse(message[..(cut.Get % message.Length)]);
    }

    [Fact]
    public void TruncationAtFrameBoundariesIsMalformedData()
    {
        for (int frames = 0; frames <= 3; frames++)
        {
            var cut = Unsigned[..(HeaderLength + frames * RegularFrame)];
            Assert.Contains("truncated", Assert.Throws<MalformedDataException>(() => Decrypt(cut)).Message);
            Assert.Throws<MalformedDataException>(() => new SeekableMessageReader(new MemoryStream(cut), DecryptOptions()).PlaintextLength);
        }
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 2)]
    [InlineData(0, 2)]
    public void SwappedFramesAreRejected(int a, int b)
    {
        var message = Unsigned.ToArray();
        var fa = Frame(Unsigned, a);
        Frame(Unsigned, b).CopyTo(message, HeaderLength + a * RegularFrame);
        fa.CopyTo(message, HeaderLength + b * RegularFrame);
        Assert.Throws<MalformedDataException>(() => Decrypt(message));
        AllReadersRefuse(message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void DuplicatedOrDroppedFramesAreRejected(int index)
    {
        int at = HeaderLength + index * RegularFrame;
        byte[] duplicated = [.. Unsigned[..(at + RegularFrame)], .. Frame(Unsigned, index), .. Unsigned[(at + RegularFrame)..]];
        byte[] dropped = [.. Unsigned[..at], .. Unsigned[(at + RegularFrame)..]];
        Assert.Throws<MalformedDataException>(() => Decrypt(duplicated));
        Assert.Throws<MalformedDataException>(() => Decrypt(dropped));
        AllReadersRefuse(duplicated);
        AllReadersRefuse(dropped);
    }

    [Fact]
    public void RenumberedFrameFailsItsTag()
    {
        // A frame moved to another position with its sequence number and IV rewritten: only the tag catches it.
        var message = Unsigned.ToArray();
        var second = Frame(Unsigned, 1);
        BinaryPrimitives.WriteUInt32BigEndian(second, 1);
        BinaryPrimitives.WriteUInt32BigEndian(second.AsSpan(12), 1);
        second.CopyTo(message, HeaderLength);
        Assert.Throws<AuthenticationFailedException>(() => Decrypt(message));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TrailingDataIsRejected(bool signed)
    {
        byte[] message = [.. signed ? Signed : Unsigned, 0];
        Assert.Contains("trailing", Assert.Throws<MalformedDataException>(() => Decrypt(message)).Message);
        Assert.Throws<MalformedDataException>(() => DecryptPipelined(message));
    }

    [Fact]
    public void CommitmentMismatchIsAnAuthenticationFailure()
    {
        var message = Unsigned.ToArray();
        message[HeaderLength - 16 - 1] ^= 1;      // last byte of the commit key (suite data), just before the header tag
        Assert.Throws<AuthenticationFailedException>(() => Decrypt(message));
    }

    [Fact]
    public void NoPlaintextFromAFrameWhoseTagFails()
    {
        var message = Unsigned.ToArray();
        message[HeaderLength + RegularFrame + 100] ^= 0x80;    // inside frame 2's ciphertext
        using var reader = new MessageDecryptStream(new MemoryStream(message), DecryptOptions());
        var first = new byte[4096];
        Assert.Equal(4096, reader.ReadAtLeast(first, 4096));
        Assert.Equal(Plain[..4096], first);
        var next = new byte[10];
        Assert.Throws<AuthenticationFailedException>(() => reader.Read(next));
        Assert.All(next, b => Assert.Equal(0, b));
        Assert.Throws<AuthenticationFailedException>(() => reader.Read(next));
    }

    [Fact]
    public void UnknownVersionSuiteAndContentTypeAreMalformed()
    {
        var v3 = Unsigned.ToArray(); v3[0] = 3;
        Assert.Contains("version", Assert.Throws<MalformedDataException>(() => Decrypt(v3)).Message);
        var suite = Unsigned.ToArray(); suite[2] = 0x79;
        Assert.Contains("suite", Assert.Throws<MalformedDataException>(() => Decrypt(suite)).Message);
        var v1Suite = Unsigned.ToArray(); v1Suite[1] = 0x01; v1Suite[2] = 0x78;
        Assert.Throws<MalformedDataException>(() => Decrypt(v1Suite));
    }

    [Fact]
    public void HostileLengthsHitLimitsBeforeAllocating()
    {
        Assert.Contains("limit", Assert.Throws<MalformedDataException>(() =>
            Message.Decrypt(Unsigned, new MessageDecryptOptions { Wrappers = [Keyring], MaxHeaderLength = 100 })).Message);
        Assert.Contains("encrypted data keys", Assert.Throws<MalformedDataException>(() =>
            Message.Decrypt(Encrypt2Edks(), new MessageDecryptOptions { Wrappers = [Keyring], MaxEncryptedDataKeys = 1 })).Message);
        Assert.Contains("frame length", Assert.Throws<MalformedDataException>(() =>
            Message.Decrypt(Unsigned, new MessageDecryptOptions { Wrappers = [Keyring], MaxFrameLength = 4095 })).Message);
        // A final frame claiming more than the frame length.
        var message = Unsigned.ToArray();
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(HeaderLength + 3 * RegularFrame + 20), 4097);
        Assert.Contains("longer than the frame length", Assert.Throws<MalformedDataException>(() => Decrypt(message)).Message);
        // A header claiming 65,535 EDKs of 65,535 bytes each, in a 100-byte file.
        byte[] hostile = [.. Unsigned[..(1 + 2 + 32 + 2)], 0xFF, 0xFF, 0xFF, 0xFF];
        Assert.Throws<MalformedDataException>(() => Decrypt(hostile));
    }

    [Fact]
    public void WrongKeyAndRequiredCommitment()
    {
        using var other = new RawAesKeyring("phicrypto", "files/v1", new byte[32]);
        Assert.Throws<KeyNotAvailableException>(() => Message.Decrypt(Unsigned, new MessageDecryptOptions { Wrappers = [other] }));
        var v1 = TestVectors.Path("aws-esdk", "ciphertexts");
        if (v1 is null) return;
        var file = Directory.GetFiles(v1, "0178-ec_len_0*").Single();
        var key = Convert.FromBase64String("AAECAwQFBgcICRAREhMUFRYXGBkgISIjJCUmJygpMDE=");
        using var vectors = new RawAesKeyring("aws-raw-vectors-persistant", "aes-256", key);
        Assert.Throws<PolicyViolationException>(() => Message.Decrypt(File.ReadAllBytes(file), new MessageDecryptOptions { Wrappers = [vectors], RequireKeyCommitment = true }));
    }

    private static byte[] Frame(byte[] message, int index) => message.AsSpan(HeaderLength + index * RegularFrame, RegularFrame).ToArray();

    private static byte[] Encrypt2Edks()
    {
        using var second = new RawAesKeyring("phicrypto", "files/v2", new byte[32]);
        return Message.Encrypt([1, 2, 3], new MessageEncryptOptions { Wrappers = [Keyring, second] });
    }
}

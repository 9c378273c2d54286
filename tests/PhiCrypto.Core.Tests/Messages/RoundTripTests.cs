using PhiCrypto.Messages;
using static PhiCrypto.Tests.Messages.MessageFixture;

namespace PhiCrypto.Tests.Messages;

public class RoundTripTests
{
    public static TheoryData<int, int, int> Boundaries()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int f in new[] { 4096, 4099, 65536 })
            foreach (int n in new[] { 0, 1, f - 1, f, f + 1, 2 * f, 2 * f + 1 })
                foreach (int write in new[] { 1, 1000, f, int.MaxValue })
                    if (!(write == 1 && f == 65536)) data.Add(f, n, write);
        return data;
    }

    [Theory]
    [MemberData(nameof(Boundaries))]
    public void EveryFrameBoundaryRoundTrips(int frameLength, int length, int writeSize)
    {
        var plaintext = Plaintext(length, length);
        using var sink = new MemoryStream();
        using (var writer = new MessageEncryptStream(sink, EncryptOptions(frameLength), leaveOpen: true))
        {
            for (int at = 0; at < length; at += writeSize) writer.Write(plaintext.AsSpan(at, Math.Min(writeSize, length - at)));
            writer.FlushFinalBlock();
        }
        var message = sink.ToArray();

        Assert.Equal(plaintext, Decrypt(message));
        Assert.Equal(plaintext, DecryptPipelined(message));
        var d = MessageInspector.Describe(new MemoryStream(message));
        Assert.Equal(Math.Max(1, (length + frameLength - 1) / frameLength), d.FrameCount);   // an exact multiple ends with a full final frame
        Assert.Equal(length, d.PlaintextLength);

        using var pipelined = new MemoryStream();
        Assert.Equal(length, MessagePipeline.Encrypt(new MemoryStream(plaintext), pipelined, EncryptOptions(frameLength), new PipelineOptions { Workers = 2, QueueDepth = 3 }));
        Assert.Equal(message.Length, pipelined.Length);
        Assert.Equal(plaintext, Decrypt(pipelined.ToArray()));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void StreamReadsInSmallPiecesAndRandomAccessAgrees(bool signed)
    {
        var plaintext = Plaintext(50_000);
        var message = Encrypt(plaintext, 4096, signed);
        using var reader = new MessageDecryptStream(new MemoryStream(message), DecryptOptions());
        var got = new MemoryStream();
        var piece = new byte[333];
        for (int n; (n = reader.Read(piece)) > 0;) got.Write(piece, 0, n);
        Assert.Equal(plaintext, got.ToArray());
        Assert.Equal("P-0001", reader.EncryptionContext["patient"]);
        Assert.Equal(signed, reader.EncryptionContext.ContainsKey("aws-crypto-public-key"));

        using var seek = new SeekableMessageReader(new MemoryStream(message), DecryptOptions());
        Assert.Equal(plaintext.Length, seek.PlaintextLength);
        Assert.Empty(seek.ReadRange(plaintext.Length, 10));
        Assert.Equal(plaintext.AsSpan(49_990).ToArray(), seek.ReadRange(49_990, 100));
    }

    [Fact]
    public void SignedMessageWritesSuite0578AndVerifies()
    {
        var plaintext = Plaintext(10_000);
        var message = Encrypt(plaintext, 4096, signed: true);
        var d = MessageInspector.Describe(new MemoryStream(message));
        Assert.Equal(0x0578, d.Header.Suite.Id);
        Assert.InRange(d.FooterLength, 2 + 100, 2 + 104);
        Assert.Equal(plaintext, Decrypt(message));
        Assert.Equal(plaintext, DecryptPipelined(message));
    }

    [Fact]
    public void RecoveryKeyAloneDecrypts()
    {
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        using var publicOnly = RawRsaKeyring.FromPem(rsa.ExportSubjectPublicKeyInfoPem());
        using var privateKey = RawRsaKeyring.FromPem(rsa.ExportPkcs8PrivateKeyPem());
        Assert.Equal(publicOnly.KeyName, privateKey.KeyName);
        Assert.StartsWith("recovery/", publicOnly.KeyName);
        var options = EncryptOptions();
        var message = Message.Encrypt(Plaintext(9000), new MessageEncryptOptions { Wrappers = [Keyring, publicOnly], FrameLength = 4096, EncryptionContext = options.EncryptionContext });
        var header = MessageInspector.Describe(new MemoryStream(message)).Header;
        Assert.Equal(2, header.EncryptedDataKeys.Count);
        Assert.Equal(256, header.EncryptedDataKeys[1].Ciphertext.Length);
        Assert.Equal(Plaintext(9000), Message.Decrypt(message, new MessageDecryptOptions { Wrappers = [privateKey] }));
        Assert.Throws<KeyNotAvailableException>(() => Message.Decrypt(message, new MessageDecryptOptions { Wrappers = [publicOnly] }));
    }

    [Fact]
    public void AuthenticateOnlyContextIsNotStoredButRequired()
    {
        var context = new Dictionary<string, string> { ["patient"] = "P-7", ["file"] = "scan.dcm" };
        var message = Message.Encrypt(Plaintext(100), new MessageEncryptOptions { Wrappers = [Keyring], EncryptionContext = context, AuthenticateOnlyKeys = ["patient"] });
        var header = MessageInspector.Describe(new MemoryStream(message)).Header;
        Assert.False(header.EncryptionContext.ContainsKey("patient"));
        Assert.Equal("scan.dcm", header.EncryptionContext["file"]);
        Assert.Equal(Plaintext(100), Message.Decrypt(message, DecryptOptions(new() { ["patient"] = "P-7" })));
        Assert.Throws<PolicyViolationException>(() => Message.Decrypt(message, DecryptOptions(new() { ["patient"] = "P-8" })));
        Assert.Throws<KeyNotAvailableException>(() => Message.Decrypt(message, DecryptOptions()));
    }

    [Fact]
    public void ExpectedContextIsEnforced()
    {
        var message = Encrypt(Plaintext(10));
        Assert.Equal(Plaintext(10), Message.Decrypt(message, DecryptOptions(new() { ["patient"] = "P-0001" })));
        Assert.Throws<PolicyViolationException>(() => Message.Decrypt(message, DecryptOptions(new() { ["patient"] = "P-0002" })));
        Assert.Throws<PolicyViolationException>(() => Message.Decrypt(message, DecryptOptions(new() { ["ward"] = "7" })));
    }

    [Fact]
    public void CallerMistakesAreArgumentErrors()
    {
        Assert.Throws<ArgumentException>(() => EncryptOptions(4095).Validate());
        Assert.Throws<ArgumentException>(() => EncryptOptions(16 * 1024 * 1024 + 1).Validate());
        Assert.Throws<ArgumentException>(() => EncryptOptions(context: new() { ["aws-crypto-public-key"] = "x" }).Validate());
        Assert.Throws<ArgumentException>(() => new MessageEncryptOptions { Wrappers = [] }.Validate());
        Assert.Throws<ArgumentException>(() => new MessageEncryptOptions { Wrappers = [Keyring], Suite = AlgorithmSuite.Find(0x0178)! }.Validate());
    }
}

using System.Security.Cryptography;
using PhiCrypto.Messages;

namespace PhiCrypto.Tests.Messages;

/// <summary>Keys and helpers shared by the message tests.</summary>
internal static class MessageFixture
{
    public static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);
    public static readonly RawAesKeyring Keyring = new("phicrypto", "files/v1", Key);

    public static MessageEncryptOptions EncryptOptions(int frameLength = 4096, bool signed = false, Dictionary<string, string>? context = null) => new()
    {
        Wrappers = [Keyring],
        FrameLength = frameLength,
        Suite = signed ? AlgorithmSuite.CommittingSigned : AlgorithmSuite.Committing,
        EncryptionContext = context ?? new Dictionary<string, string> { ["content-type"] = "application/dicom", ["patient"] = "P-0001" },
    };

    public static MessageDecryptOptions DecryptOptions(Dictionary<string, string>? expected = null) => new() { Wrappers = [Keyring], ExpectedContext = expected };

    public static byte[] Plaintext(int length, int seed = 1)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    public static byte[] Encrypt(byte[] plaintext, int frameLength = 4096, bool signed = false) => Message.Encrypt(plaintext, EncryptOptions(frameLength, signed));

    /// <summary>Decrypts through the read stream; throws what the reader throws.</summary>
    public static byte[] Decrypt(byte[] message) => Message.Decrypt(message, DecryptOptions());

    /// <summary>Blocks of two or three 4 KiB frames: small messages cross block boundaries in the pipeline.</summary>
    public static readonly PipelineOptions SmallBlocks = new() { Workers = 2, QueueDepth = 2, BlockBytes = 10_000 };

    public static byte[] DecryptPipelined(byte[] message, PipelineOptions? pipeline = null)
    {
        using var output = new MemoryStream();
        MessagePipeline.Decrypt(new MemoryStream(message), output, DecryptOptions(), pipeline ?? SmallBlocks);
        return output.ToArray();
    }
}

// In-memory conveniences over the streaming engine, for small payloads and tests.
namespace PhiCrypto.Messages;

/// <summary>Encrypts and decrypts whole byte arrays as messages.</summary>
public static class Message
{
    public static byte[] Encrypt(ReadOnlySpan<byte> plaintext, MessageEncryptOptions options)
    {
        using var output = new MemoryStream();
        using (var writer = new MessageEncryptStream(output, options, leaveOpen: true))
        {
            writer.Write(plaintext);
            writer.FlushFinalBlock();
        }
        return output.ToArray();
    }

    public static byte[] Decrypt(byte[] message, MessageDecryptOptions options) => Decrypt(message, options, out _);

    /// <summary>Decrypts and returns the authenticated context (stored plus authenticate-only pairs).</summary>
    public static byte[] Decrypt(byte[] message, MessageDecryptOptions options, out IReadOnlyDictionary<string, string> context)
    {
        using var reader = new MessageDecryptStream(new MemoryStream(message, writable: false), options);
        using var output = new MemoryStream();
        reader.CopyTo(output);
        context = reader.EncryptionContext;
        return output.ToArray();
    }
}

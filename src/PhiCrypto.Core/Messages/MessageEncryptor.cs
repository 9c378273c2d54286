// Encrypt side of one message (aws-encryption-sdk-specification client-apis/encrypt.md): makes the data
// key and message ID, wraps the key into EDKs, derives the frame key and commit key, serializes and
// authenticates the v2 header, then encrypts frames on request (from any thread) and builds the footer.
// Shared by MessageEncryptStream (sequential) and MessagePipeline (parallel workers).
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace PhiCrypto.Messages;

internal sealed class MessageEncryptor : IDisposable
{
    private readonly FrameCipher _cipher;
    private readonly MessageSignature? _signer;

    private MessageEncryptor(AlgorithmSuite suite, int frameLength, byte[] header, FrameCipher cipher, MessageSignature? signer)
    {
        Suite = suite; FrameLength = frameLength; Header = header; _cipher = cipher; _signer = signer;
    }

    public AlgorithmSuite Suite { get; }
    public int FrameLength { get; }
    /// <summary>The serialized, authenticated header to write first.</summary>
    public byte[] Header { get; }
    public bool IsSigned => _signer is not null;

    public static MessageEncryptor Create(MessageEncryptOptions options)
    {
        options.Validate();
        var suite = options.Suite;
        var context = new Dictionary<string, string>(options.EncryptionContext, StringComparer.Ordinal);
        MessageSignature? signer = null;
        if (suite.IsSigned)
        {
            signer = MessageSignature.CreateSigner(suite, out var publicKey);
            context[EncryptionContextFormat.PublicKeyName] = publicKey;
        }
        var authOnly = context.Where(p => options.AuthenticateOnlyKeys.Contains(p.Key)).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        var stored = context.Where(p => !authOnly.ContainsKey(p.Key)).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        var messageId = RandomNumberGenerator.GetBytes(suite.MessageIdLength);
        Span<byte> dataKey = stackalloc byte[suite.KeyLength];
        Span<byte> derived = stackalloc byte[suite.KeyLength];
        Span<byte> commit = stackalloc byte[MessageKeys.CommitKeyLength];
        try
        {
            RandomNumberGenerator.Fill(dataKey);
            var fullContext = EncryptionContextFormat.Serialize(context);
            var edks = new List<EncryptedDataKey>(options.Wrappers.Count);
            foreach (var w in options.Wrappers) edks.Add(w.Wrap(dataKey, fullContext));
            MessageKeys.Derive(suite, dataKey, messageId, derived, commit);
            var body = MessageHeader.BuildBodyV2(suite, messageId, EncryptionContextFormat.Serialize(stored), edks, (uint)options.FrameLength, commit);
            var cipher = new FrameCipher(derived, messageId, options.Backend);
            var header = new byte[body.Length + AlgorithmSuite.TagLength];
            body.CopyTo(header, 0);
            cipher.ComputeHeaderTag(stackalloc byte[AlgorithmSuite.IvLength], [.. body, .. EncryptionContextFormat.Serialize(authOnly)], header.AsSpan(body.Length));
            return new MessageEncryptor(suite, options.FrameLength, header, cipher, signer);
        }
        catch
        {
            signer?.Dispose();
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
            CryptographicOperations.ZeroMemory(derived);
        }
    }

    /// <summary>Largest serialized frame: a final frame of a full frame length.</summary>
    public int MaxFrameBytes => FrameLength + FrameCipher.FinalOverhead;

    /// <summary>Encrypts one frame (thread-safe); returns the serialized frame length.</summary>
    public int EncryptFrame(uint sequence, bool final, ReadOnlySpan<byte> plaintext, Span<byte> frame)
    {
        if (plaintext.Length > FrameLength || (!final && plaintext.Length != FrameLength)) throw new ArgumentException("frame content length");
        if (sequence == 0 || (!final && sequence == uint.MaxValue)) throw new InvalidOperationException("a message holds at most 2^32 - 1 frames");
        return _cipher.EncryptFrame(sequence, final, plaintext, frame);
    }

    /// <summary>Feeds serialized output to the signature, in message order (call from the one writing thread).</summary>
    public void AppendToSignature(ReadOnlySpan<byte> output) => _signer?.Append(output);

    /// <summary>The footer (signature length u16 || DER signature) for signed suites; empty otherwise.</summary>
    public byte[] BuildFooter()
    {
        if (_signer is null) return [];
        var signature = _signer.Sign();
        var footer = new byte[2 + signature.Length];
        BinaryPrimitives.WriteUInt16BigEndian(footer, (ushort)signature.Length);
        signature.CopyTo(footer, 2);
        return footer;
    }

    public void Dispose()
    {
        _cipher.Dispose();
        _signer?.Dispose();
    }
}

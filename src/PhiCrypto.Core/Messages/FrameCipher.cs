// Frame and header AEAD, aws-encryption-sdk-specification data-format/message-body.md,
// data-format/message-body-aad.md, client-apis/encrypt.md "Construct a frame":
//   IV       = 8 zero bytes || sequence number u32 (the sequence number padded to 12 bytes)
//   body AAD = message ID || content string (UTF-8) || sequence number u32 || plaintext length u64
//   content string: "AWSKMSEncryptionClient Frame" (regular), "... Final Frame", "... Single Block" (non-framed)
// Frame layout (F = frame length, n = final content length, 0 <= n <= F):
//   regular: seq u32 || IV (12) || ciphertext (F) || tag (16)                       = F + 32 bytes
//   final:   FFFFFFFF || seq u32 || IV (12) || n u32 || ciphertext (n) || tag (16)  = n + 40 bytes
// Header tag: AES-GCM over empty plaintext, IV zero (v2) or the header IV (v1),
//   AAD = header body || serialized authenticate-only context.
// The derived key is AES-256 for every suite we write; legacy v1 suites may use AES-128/192, for which
// the BCL AesGcm is used (libsodium has AES-256-GCM only).
using System.Buffers.Binary;
using System.Security.Cryptography;
using PhiCrypto.Primitives;

namespace PhiCrypto.Messages;

/// <summary>Encrypts and decrypts frames of one message under its derived key. Thread-safe.</summary>
internal sealed class FrameCipher : IDisposable
{
    public const int RegularOverhead = 4 + AlgorithmSuite.IvLength + AlgorithmSuite.TagLength;      // 32
    public const int FinalOverhead = 8 + AlgorithmSuite.IvLength + 4 + AlgorithmSuite.TagLength;    // 40
    public const uint EndMarker = 0xFFFFFFFF;

    /// <summary>Bytes a block of <paramref name="frames"/> frames can take, sealed: regular frames, the last of them maybe final.</summary>
    public static int BlockCapacity(int frameLength, int frames) => frames * (frameLength + RegularOverhead) + (FinalOverhead - RegularOverhead);

    private static readonly byte[] RegularLabel = "AWSKMSEncryptionClient Frame"u8.ToArray();
    private static readonly byte[] FinalLabel = "AWSKMSEncryptionClient Final Frame"u8.ToArray();
    private static readonly byte[] SingleLabel = "AWSKMSEncryptionClient Single Block"u8.ToArray();

    private readonly Aes256Gcm? _gcm256;
    private readonly AesGcm? _legacy;
    private readonly byte[] _messageId;

    public FrameCipher(ReadOnlySpan<byte> derivedKey, byte[] messageId, AeadBackend? backend)
    {
        _messageId = messageId;
        if (derivedKey.Length == Aes256Gcm.KeySize) _gcm256 = Aes256Gcm.Create(derivedKey, backend);
        else _legacy = new AesGcm(derivedKey, AlgorithmSuite.TagLength);
    }

    /// <summary>Writes the 12-byte IV for a sequence number.</summary>
    public static void WriteIv(uint sequence, Span<byte> iv)
    {
        iv[..8].Clear();
        BinaryPrimitives.WriteUInt32BigEndian(iv[8..], sequence);
    }

    /// <summary>Encrypts one frame's content into <paramref name="frame"/>, laid out as a regular or final frame.</summary>
    public int EncryptFrame(uint sequence, bool final, ReadOnlySpan<byte> plaintext, Span<byte> frame)
    {
        int at = 0;
        if (final) { BinaryPrimitives.WriteUInt32BigEndian(frame, EndMarker); at = 4; }
        BinaryPrimitives.WriteUInt32BigEndian(frame[at..], sequence);
        at += 4;
        WriteIv(sequence, frame.Slice(at, AlgorithmSuite.IvLength));
        var iv = frame.Slice(at, AlgorithmSuite.IvLength);
        at += AlgorithmSuite.IvLength;
        if (final) { BinaryPrimitives.WriteUInt32BigEndian(frame[at..], (uint)plaintext.Length); at += 4; }
        Span<byte> aad = stackalloc byte[MaxAadLength];
        int aadLength = BuildAad(final ? FinalLabel : RegularLabel, sequence, plaintext.Length, aad);
        Seal(iv, plaintext, aad[..aadLength], frame.Slice(at, plaintext.Length + AlgorithmSuite.TagLength));
        return at + plaintext.Length + AlgorithmSuite.TagLength;
    }

    /// <summary>Verifies and decrypts frame content (ciphertext || tag); false when the tag does not verify.</summary>
    public bool TryDecryptFrame(uint sequence, bool final, ReadOnlySpan<byte> ciphertextAndTag, Span<byte> plaintext)
    {
        Span<byte> iv = stackalloc byte[AlgorithmSuite.IvLength];
        WriteIv(sequence, iv);
        Span<byte> aad = stackalloc byte[MaxAadLength];
        int aadLength = BuildAad(final ? FinalLabel : RegularLabel, sequence, plaintext.Length, aad);
        return Open(iv, ciphertextAndTag, aad[..aadLength], plaintext);
    }

    /// <summary>Non-framed body (legacy): the IV is stored, the sequence number is 1.</summary>
    public bool TryDecryptSingleBlock(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> ciphertextAndTag, Span<byte> plaintext)
    {
        var aad = new byte[_messageId.Length + SingleLabel.Length + 12];
        int n = BuildAad(SingleLabel, 1, plaintext.Length, aad);
        return Open(iv, ciphertextAndTag, aad.AsSpan(0, n), plaintext);
    }

    /// <summary>The header tag over the header body and any authenticate-only context.</summary>
    public void ComputeHeaderTag(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> aad, Span<byte> tag) => Seal(iv, [], aad, tag);

    public bool VerifyHeaderTag(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> tag) => Open(iv, tag, aad, []);

    private const int MaxAadLength = 32 + 35 + 12;

    private int BuildAad(byte[] label, uint sequence, long length, Span<byte> aad)
    {
        _messageId.CopyTo(aad);
        int at = _messageId.Length;
        label.CopyTo(aad[at..]);
        at += label.Length;
        BinaryPrimitives.WriteUInt32BigEndian(aad[at..], sequence);
        BinaryPrimitives.WriteUInt64BigEndian(aad[(at + 4)..], (ulong)length);
        return at + 12;
    }

    private void Seal(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> aad, Span<byte> output)
    {
        if (_gcm256 is not null) { _gcm256.Encrypt(iv, plaintext, aad, output); return; }
        lock (_legacy!) _legacy.Encrypt(iv, plaintext, output[..plaintext.Length], output[plaintext.Length..], aad);
    }

    private bool Open(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, ReadOnlySpan<byte> aad, Span<byte> plaintext)
    {
        if (_gcm256 is not null) return _gcm256.TryDecrypt(iv, input, aad, plaintext);
        if (input.Length < AlgorithmSuite.TagLength) return false;
        int n = input.Length - AlgorithmSuite.TagLength;
        try
        {
            lock (_legacy!) _legacy.Decrypt(iv, input[..n], input[n..], plaintext, aad);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            CryptographicOperations.ZeroMemory(plaintext);
            return false;
        }
    }

    public void Dispose()
    {
        _gcm256?.Dispose();
        _legacy?.Dispose();
    }
}

// Decrypt side of one message (aws-encryption-sdk-specification client-apis/decrypt.md): parses the
// header, checks the expected context, unwraps a data key, derives the frame key, checks the commitment
// (constant time) and the header tag; then parses frames in order (sequence numbers 1, 2, ... and the
// final frame's marker) and decrypts them on request from any thread; finally reads and verifies the footer
// and refuses trailing bytes. Shared by MessageDecryptStream, MessagePipeline and SeekableMessageReader.
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace PhiCrypto.Messages;

/// <summary>Where one frame sits and what it holds, after parsing its header.</summary>
internal readonly record struct FrameInfo(uint Sequence, bool Final, int ContentLength);

internal sealed class MessageDecryptor : IDisposable
{
    private readonly FrameCipher _cipher;
    private readonly MessageSignature? _verifier;

    private MessageDecryptor(MessageHeader header, IReadOnlyDictionary<string, string> context, FrameCipher cipher, MessageSignature? verifier)
    {
        Header = header; Context = context; _cipher = cipher; _verifier = verifier;
        _verifier?.Append(header.ToBytes());
    }

    public MessageHeader Header { get; }
    /// <summary>The full context: stored pairs plus authenticate-only pairs the caller supplied.</summary>
    public IReadOnlyDictionary<string, string> Context { get; }
    public int FrameLength => (int)Header.FrameLength;
    public bool IsSigned => _verifier is not null;

    /// <summary>Reads the header from <paramref name="input"/> and authenticates it.</summary>
    public static MessageDecryptor Open(Stream input, MessageDecryptOptions options)
    {
        options.Validate();
        var header = MessageHeader.Read(input, options.MaxHeaderLength, options.MaxEncryptedDataKeys);
        var suite = header.Suite;
        if (!options.AllowLegacy && !suite.Commits)
            throw new PolicyViolationException($"algorithm suite 0x{suite.Id:X4} does not commit to its data key (a legacy format-v1 message) and key commitment is required: " +
                                               "to read it anyway, opt in with MessageDecryptOptions.AllowLegacy (C: PHI_DECRYPT_ALLOW_LEGACY, Python: allow_legacy=True, phicrypt decrypt --allow-legacy)");
        if (header.ContentType == ContentType.Framed && header.FrameLength > options.MaxFrameLength)
            throw new MalformedDataException($"frame length {header.FrameLength} exceeds the reader's limit of {options.MaxFrameLength} bytes");
        var authOnly = SplitExpected(header.EncryptionContext, options.ExpectedContext);
        var full = new Dictionary<string, string>(header.EncryptionContext, StringComparer.Ordinal);
        foreach (var (k, v) in authOnly) full[k] = v;
        bool hasPublicKey = full.TryGetValue(EncryptionContextFormat.PublicKeyName, out var publicKey);
        if (suite.IsSigned != hasPublicKey) throw new MalformedDataException(suite.IsSigned ? "signed message without its verification key" : "unsigned message carries a verification key");
        var verifier = suite.IsSigned ? MessageSignature.CreateVerifier(suite, publicKey!) : null;
        try { return Authenticate(header, full, authOnly, options, verifier); }
        catch { verifier?.Dispose(); throw; }
    }

    private static MessageDecryptor Authenticate(MessageHeader header, Dictionary<string, string> full, Dictionary<string, string> authOnly, MessageDecryptOptions options, MessageSignature? verifier)
    {
        var suite = header.Suite;
        Span<byte> dataKey = stackalloc byte[suite.KeyLength];
        Span<byte> derived = stackalloc byte[suite.KeyLength];
        Span<byte> commit = stackalloc byte[MessageKeys.CommitKeyLength];
        try
        {
            if (!TryUnwrap(header, EncryptionContextFormat.Serialize(full), options.Wrappers, dataKey))
                throw authOnly.Count > 0
                    ? new PolicyViolationException($"the message does not store the expected context key(s) {string.Join(", ", authOnly.Keys)}, and no data key unwraps with them as authenticate-only context")
                    : new KeyNotAvailableException("no encrypted data key in the message unwraps with the given keys (message has: " + Describe(header.EncryptedDataKeys) + ")");
            MessageKeys.Derive(suite, dataKey, header.MessageId, derived, commit);
            if (suite.Commits && !CryptographicOperations.FixedTimeEquals(commit, header.SuiteData)) throw new AuthenticationFailedException();
            var cipher = new FrameCipher(derived, header.MessageId, options.Backend);
            Span<byte> zeroIv = stackalloc byte[AlgorithmSuite.IvLength];
            var iv = suite.MessageFormatVersion == 1 ? header.HeaderIv : zeroIv;
            if (!cipher.VerifyHeaderTag(iv, [.. header.Body, .. EncryptionContextFormat.Serialize(authOnly)], header.AuthTag))
            {
                cipher.Dispose();
                throw new AuthenticationFailedException();
            }
            return new MessageDecryptor(header, full, cipher, verifier);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
            CryptographicOperations.ZeroMemory(derived);
        }
    }

    /// <summary>Expected pairs the header stores must match; the others become authenticate-only context.</summary>
    private static Dictionary<string, string> SplitExpected(IReadOnlyDictionary<string, string> stored, IReadOnlyDictionary<string, string>? expected)
    {
        var authOnly = new Dictionary<string, string>(StringComparer.Ordinal);
        if (expected is null) return authOnly;
        foreach (var (k, v) in expected)
        {
            if (stored.TryGetValue(k, out var actual))
            {
                if (actual != v) throw new PolicyViolationException($"encryption context key '{k}' does not have the expected value");
            }
            else authOnly[k] = v;
        }
        return authOnly;
    }

    private static bool TryUnwrap(MessageHeader header, byte[] serializedContext, IReadOnlyList<IDataKeyWrapper> wrappers, Span<byte> dataKey)
    {
        foreach (var edk in header.EncryptedDataKeys)
            foreach (var w in wrappers)
                if (w.TryUnwrap(edk, serializedContext, dataKey)) return true;
        return false;
    }

    /// <summary>Provider IDs and key names (never key bytes) for an error message.</summary>
    internal static string Describe(IEnumerable<EncryptedDataKey> edks) => string.Join(", ", edks.Select(e =>
        RawAesKeyring.TryParseProviderInfo(e.ProviderInfo, out var name, out _) ? $"{e.ProviderId}/{name}" : $"{e.ProviderId} ({e.ProviderInfo.Length}-byte info)"));

    // ---- frames ----

    /// <summary>
    /// Reads the next frame's fields from <paramref name="input"/> and its ciphertext || tag into
    /// <paramref name="buffer"/>; checks sequence, IV and length. Feeds the signature. Call in message order.
    /// </summary>
    public FrameInfo ReadFrame(Stream input, uint expectedSequence, byte[] buffer)
    {
        Span<byte> head = stackalloc byte[MaxFrameHeadLength];
        var frame = ReadFrameHead(input, expectedSequence, Header.FrameLength, head, out int headLength);
        _verifier?.Append(head[..headLength]);
        var body = buffer.AsSpan(0, frame.ContentLength + AlgorithmSuite.TagLength);
        ReadExact(input, body, "inside a frame");
        _verifier?.Append(body);
        return frame;
    }

    internal const int MaxFrameHeadLength = FrameCipher.FinalOverhead - AlgorithmSuite.TagLength;

    /// <summary>Parses a frame's fields up to its ciphertext (no key needed); checks sequence, IV and length.</summary>
    internal static FrameInfo ReadFrameHead(Stream input, uint expectedSequence, uint frameLength, Span<byte> head, out int headLength)
    {
        ReadExact(input, head[..4], "the final frame is missing");
        headLength = HeadLength(head);
        ReadExact(input, head[4..headLength], "inside a frame");
        return ParseFrameHead(head[..headLength], expectedSequence, frameLength);
    }

    /// <summary>16 bytes for a regular frame, 24 for the final one (marked by its first 4 bytes).</summary>
    private static int HeadLength(ReadOnlySpan<byte> marker) => BinaryPrimitives.ReadUInt32BigEndian(marker) == FrameCipher.EndMarker ? 24 : 16;

    private static FrameInfo ParseFrameHead(ReadOnlySpan<byte> head, uint expectedSequence, uint frameLength)
    {
        bool final = head.Length == 24;
        var fields = final ? head[4..] : head;
        uint sequence = BinaryPrimitives.ReadUInt32BigEndian(fields);
        if (sequence != expectedSequence) throw new MalformedDataException($"frame {sequence} found where frame {expectedSequence} belongs (reordered, duplicated or missing frames)");
        Span<byte> iv = stackalloc byte[AlgorithmSuite.IvLength];
        FrameCipher.WriteIv(sequence, iv);
        if (!fields.Slice(4, AlgorithmSuite.IvLength).SequenceEqual(iv)) throw new MalformedDataException($"frame {sequence} has an IV that is not its sequence number");
        long contentLength = final ? BinaryPrimitives.ReadUInt32BigEndian(fields[16..]) : frameLength;
        if (contentLength > frameLength) throw new MalformedDataException("final frame is longer than the frame length");
        return new FrameInfo(sequence, final, (int)contentLength);
    }

    /// <summary>
    /// Reads up to <paramref name="frames"/>.Length frames into <paramref name="buffer"/> with one large read (no copy
    /// through a stream buffer), parses and checks each and feeds the signature, in message order. Sets each frame's
    /// ciphertext || tag offset in <paramref name="bodies"/>; returns the number of frames. <paramref name="rest"/> holds
    /// the bytes read past the final frame (footer or trailing data, for <see cref="Finish"/>); empty otherwise.
    /// </summary>
    public int ReadFrames(Stream input, uint firstSequence, Span<FrameInfo> frames, Span<int> bodies, byte[] buffer, out Range rest)
    {
        int want = frames.Length * (FrameLength + FrameCipher.RegularOverhead);
        int filled = input.ReadAtLeast(buffer.AsSpan(0, want), want, throwOnEndOfStream: false), at = 0;
        for (int i = 0; i < frames.Length; i++)
        {
            Fill(input, buffer, ref filled, at + 4, "the final frame is missing");
            int headLength = HeadLength(buffer.AsSpan(at));
            Fill(input, buffer, ref filled, at + headLength, "inside a frame");
            frames[i] = ParseFrameHead(buffer.AsSpan(at, headLength), firstSequence + (uint)i, Header.FrameLength);
            bodies[i] = at + headLength;
            int end = bodies[i] + frames[i].ContentLength + AlgorithmSuite.TagLength;
            Fill(input, buffer, ref filled, end, "inside a frame");
            _verifier?.Append(buffer.AsSpan(at, end - at));
            at = end;
            if (frames[i].Final) { rest = at..filled; return i + 1; }
        }
        rest = at..at;
        return frames.Length;
    }

    // Regular frames fill a block exactly; only a cut-off message or a final frame (8 bytes longer) reads on.
    private static void Fill(Stream input, byte[] buffer, ref int filled, int needed, string where)
    {
        if (needed <= filled) return;
        ReadExact(input, buffer.AsSpan(filled, needed - filled), where);
        filled = needed;
    }

    /// <summary>Verifies and decrypts a frame read by <see cref="ReadFrame"/> (thread-safe).</summary>
    public void DecryptFrame(FrameInfo frame, ReadOnlySpan<byte> ciphertextAndTag, Span<byte> plaintext)
    {
        if (!_cipher.TryDecryptFrame(frame.Sequence, frame.Final, ciphertextAndTag[..(frame.ContentLength + AlgorithmSuite.TagLength)], plaintext[..frame.ContentLength]))
            throw new AuthenticationFailedException();
    }

    /// <summary>Legacy non-framed body, decrypted whole into a new buffer.</summary>
    public byte[] ReadNonFramedBody(Stream input, int maxLength)
    {
        Span<byte> head = stackalloc byte[AlgorithmSuite.IvLength + 8];
        ReadExact(input, head, "inside the body");
        ulong length = BinaryPrimitives.ReadUInt64BigEndian(head[AlgorithmSuite.IvLength..]);
        if (length > (1UL << 36) - 32) throw new MalformedDataException("non-framed body exceeds 2^36 - 32 bytes");
        if (length > (ulong)maxLength) throw new MalformedDataException($"non-framed body of {length} bytes exceeds the reader's limit of {maxLength}");
        _verifier?.Append(head);
        var body = new byte[(int)length + AlgorithmSuite.TagLength];
        ReadExact(input, body, "inside the body");
        _verifier?.Append(body);
        var plaintext = new byte[(int)length];
        if (!_cipher.TryDecryptSingleBlock(head[..AlgorithmSuite.IvLength], body, plaintext)) throw new AuthenticationFailedException();
        return plaintext;
    }

    /// <summary>After the final frame: reads and verifies the footer (signed suites), then refuses trailing bytes.
    /// <paramref name="readAhead"/> holds bytes already read past the final frame; they come before the rest of <paramref name="input"/>.</summary>
    public void Finish(Stream input, ReadOnlySpan<byte> readAhead = default)
    {
        if (_verifier is not null)
        {
            Span<byte> lengthField = stackalloc byte[2];
            ReadExact(input, ref readAhead, lengthField, "the signature footer is missing");
            int length = BinaryPrimitives.ReadUInt16BigEndian(lengthField);
            if (length > MessageSignature.MaxSignatureLength) throw new MalformedDataException("signature is longer than any ECDSA signature");
            var signature = new byte[length];
            ReadExact(input, ref readAhead, signature, "inside the signature footer");
            if (!_verifier.Verify(signature)) throw new AuthenticationFailedException();
        }
        Span<byte> probe = stackalloc byte[1];
        if (!readAhead.IsEmpty || input.Read(probe) != 0) throw new MalformedDataException("trailing data after the end of the message");
    }

    private static void ReadExact(Stream input, ref ReadOnlySpan<byte> readAhead, scoped Span<byte> destination, string where)
    {
        int n = Math.Min(readAhead.Length, destination.Length);
        readAhead[..n].CopyTo(destination);
        readAhead = readAhead[n..];
        ReadExact(input, destination[n..], where);
    }

    internal static void ReadExact(Stream input, Span<byte> destination, string where)
    {
        if (input.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false) < destination.Length)
            throw new MalformedDataException("message is truncated: " + where);
    }

    public void Dispose()
    {
        _cipher.Dispose();
        _verifier?.Dispose();
    }
}

// Random access into a framed message on a seekable stream. Frames have fixed positions:
//   regular frame k (1-based) at bodyStart + (k - 1) x (F + 32), holding plaintext [(k - 1) x F, k x F)
//   final frame at bodyStart + n x (F + 32), n regular frames before it, n + 40 <= body - footer.
// The final frame is located by arithmetic on the stream length (for signed suites by trying each possible
// footer length: the footer's length field, the FFFFFFFF marker, the sequence number and the content length
// must all agree), and its tag is verified before the plaintext length is trusted, so truncation is caught.
// Each frame read is verified by its own tag (which binds its sequence number). The footer signature of a
// signed message is NOT verified by reads: with MessageDecryptOptions.VerifySignatureFirst the whole
// message is walked and its signature verified once, when the reader is opened.
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace PhiCrypto.Messages;

/// <summary>Decrypts any plaintext byte range of a framed message by decrypting only the frames it touches.</summary>
public sealed class SeekableMessageReader : IPlaintextReader
{
    private readonly Stream _inner;
    private readonly bool _leaveOpen;
    private readonly MessageDecryptor _decryptor;
    private readonly long _bodyStart;
    private readonly long _end;
    private readonly byte[] _cipher;
    private readonly byte[] _plain;
    private long _cachedFrame = -1;      // index (0-based) of the frame in _plain
    private int _cachedLength;
    private long _regularFrames = -1;
    private long _length = -1;

    public SeekableMessageReader(Stream inner, MessageDecryptOptions options, bool leaveOpen = false)
    {
        if (!inner.CanSeek) throw new ArgumentException("the ciphertext stream must be seekable", nameof(inner));
        _inner = inner;
        _leaveOpen = leaveOpen;
        if (options.VerifySignatureFirst) MessageSpool.VerifiedFirst(inner, options); // seekable: checked in place, rewound
        _decryptor = MessageDecryptor.Open(inner, options);
        if (_decryptor.Header.ContentType != ContentType.Framed)
        {
            _decryptor.Dispose();
            throw new MalformedDataException("random access needs a framed message");
        }
        _bodyStart = inner.Position;
        _end = inner.Length;
        _cipher = new byte[FrameLength + AlgorithmSuite.TagLength];
        _plain = new byte[FrameLength];
    }

    public MessageHeader Header => _decryptor.Header;
    public IReadOnlyDictionary<string, string> EncryptionContext => _decryptor.Context;
    private int FrameLength => _decryptor.FrameLength;
    private long RegularFrameBytes => FrameLength + FrameCipher.RegularOverhead;

    /// <summary>The plaintext length, from the final frame's verified length field.</summary>
    public long PlaintextLength
    {
        get
        {
            if (_length < 0) LocateFinalFrame();
            return _length;
        }
    }

    /// <summary>Decrypts plaintext from <paramref name="position"/> into <paramref name="destination"/>; returns bytes written (0 at the end).</summary>
    public int Read(long position, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        int written = 0;
        while (written < destination.Length && position < PlaintextLength)
        {
            long frame = position / FrameLength;
            var content = LoadFrame(frame);
            int offset = (int)(position - frame * FrameLength);
            int n = Math.Min(destination.Length - written, content.Length - offset);
            content.Slice(offset, n).CopyTo(destination[written..]);
            written += n;
            position += n;
        }
        return written;
    }

    /// <summary>Copies plaintext [start, start + count) (clipped to the end) to <paramref name="output"/>; returns bytes copied.</summary>
    public long CopyRange(long start, long count, Stream output) => PlaintextReaderExtensions.CopyRange(this, start, count, output, FrameLength);

    /// <summary>The plaintext [start, start + count), clipped to the end.</summary>
    public byte[] ReadRange(long start, int count)
    {
        var buffer = new byte[Math.Max(0, Math.Min(count, PlaintextLength - Math.Min(start, PlaintextLength)))];
        int n = Read(start, buffer);
        return n == buffer.Length ? buffer : buffer[..n];
    }

    private ReadOnlySpan<byte> LoadFrame(long index)
    {
        if (_cachedFrame != index)
        {
            _cachedFrame = -1;
            bool final = index == _regularFrames;
            _inner.Position = _bodyStart + index * RegularFrameBytes;
            var info = _decryptor.ReadFrame(_inner, (uint)(index + 1), _cipher);
            if (info.Final != final) throw new MalformedDataException("frame layout does not match the message length");
            _decryptor.DecryptFrame(info, _cipher, _plain);
            _cachedFrame = index;
            _cachedLength = info.ContentLength;
        }
        return _plain.AsSpan(0, _cachedLength);
    }

    private void LocateFinalFrame()
    {
        long body = _end - _bodyStart;
        int maxFooter = _decryptor.IsSigned ? 2 + MessageSignature.MaxSignatureLength : 0;
        int minFooter = _decryptor.IsSigned ? 2 : 0;
        for (int footer = minFooter; footer <= maxFooter; footer++)
        {
            long frames = body - footer - FrameCipher.FinalOverhead;
            if (frames < 0) break;
            long n = frames / RegularFrameBytes, c = frames % RegularFrameBytes;
            if (c > FrameLength || n >= uint.MaxValue) continue;
            if (_decryptor.IsSigned && ReadU16(_end - footer) != footer - 2) continue;
            long at = _bodyStart + n * RegularFrameBytes;
            if (ReadU32(at) != FrameCipher.EndMarker || ReadU32(at + 4) != n + 1 || ReadU32(at + 20) != c) continue;
            _regularFrames = n;
            LoadFrame(n);   // verifies the final frame's tag, which covers its sequence number and length
            _length = n * FrameLength + c;
            return;
        }
        throw new MalformedDataException("message is truncated or has trailing data: no final frame where the length says it must be");
    }

    private uint ReadU32(long at)
    {
        Span<byte> b = stackalloc byte[4];
        _inner.Position = at;
        return _inner.ReadAtLeast(b, 4, throwOnEndOfStream: false) == 4 ? BinaryPrimitives.ReadUInt32BigEndian(b) : 0;
    }

    private int ReadU16(long at)
    {
        Span<byte> b = stackalloc byte[2];
        _inner.Position = at;
        return _inner.ReadAtLeast(b, 2, throwOnEndOfStream: false) == 2 ? BinaryPrimitives.ReadUInt16BigEndian(b) : -1;
    }

    public void Dispose()
    {
        _decryptor.Dispose();
        CryptographicOperations.ZeroMemory(_plain);
        if (!_leaveOpen) _inner.Dispose();
    }
}

// A read-only Stream that decrypts a message as it is read, one frame at a time. Memory: two buffers
// of one frame each. Plaintext of a frame is returned only after its tag verified; for signed suites the
// final frame's plaintext is held back until the footer signature verified (client-apis/decrypt.md), so
// a caller sees end-of-stream only for a complete, verified message. Regular frames of a signed message
// are released before the signature is checked unless MessageDecryptOptions.VerifySignatureFirst is
// set (MessageSpool: the signature is verified before the first frame is released).
using System.Buffers;
using PhiCrypto.IO;

namespace PhiCrypto.Messages;

/// <summary>Decrypts an AWS Encryption SDK message read from an inner stream.</summary>
public sealed class MessageDecryptStream : ReadOnlyStream
{
    private readonly Stream _inner;
    private readonly Stream _original;
    private readonly bool _leaveOpen;
    private readonly MessageDecryptor _decryptor;
    private readonly byte[] _cipherBuffer = [];
    private byte[] _plain = [];
    private int _plainOffset, _plainLength;
    private uint _nextSequence = 1;
    private bool _done;
    private Exception? _failure;

    /// <summary>Reads and authenticates the header now; frames are read on demand.</summary>
    public MessageDecryptStream(Stream inner, MessageDecryptOptions options, bool leaveOpen = false)
    {
        _original = inner;
        _leaveOpen = leaveOpen;
        try { _inner = inner = options.VerifySignatureFirst ? MessageSpool.VerifiedFirst(inner, options) : inner; }
        catch { if (!leaveOpen) _original.Dispose(); throw; }
        try { _decryptor = MessageDecryptor.Open(inner, options); }
        catch { if (!ReferenceEquals(_inner, _original)) _inner.Dispose(); throw; }
        if (Header.ContentType == ContentType.NonFramed)
        {
            _plain = _decryptor.ReadNonFramedBody(inner, options.MaxNonFramedLength);
            _decryptor.Finish(inner);
            _plainLength = _plain.Length;
            _done = true;
            return;
        }
        _cipherBuffer = ArrayPool<byte>.Shared.Rent(_decryptor.FrameLength + AlgorithmSuite.TagLength);
        _plain = ArrayPool<byte>.Shared.Rent(_decryptor.FrameLength);
    }

    public MessageHeader Header => _decryptor.Header;
    /// <summary>Stored context plus authenticate-only pairs, all authenticated.</summary>
    public IReadOnlyDictionary<string, string> EncryptionContext => _decryptor.Context;

    public override int Read(Span<byte> buffer)
    {
        if (_failure is not null) throw _failure;
        while (_plainLength == 0)
        {
            if (_done) return 0;
            try { NextFrame(); }
            catch (Exception e) { _failure = e; _plainLength = 0; throw; }
        }
        int n = Math.Min(buffer.Length, _plainLength);
        _plain.AsSpan(_plainOffset, n).CopyTo(buffer);
        _plainOffset += n;
        _plainLength -= n;
        return n;
    }

    private void NextFrame()
    {
        var frame = _decryptor.ReadFrame(_inner, _nextSequence, _cipherBuffer);
        _decryptor.DecryptFrame(frame, _cipherBuffer, _plain);
        if (frame.Final)
        {
            try { _decryptor.Finish(_inner); }
            catch { System.Security.Cryptography.CryptographicOperations.ZeroMemory(_plain.AsSpan(0, frame.ContentLength)); throw; }
            _done = true;
        }
        _nextSequence++;
        _plainOffset = 0;
        _plainLength = frame.ContentLength;
    }


    private bool _disposed;

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _decryptor.Dispose();
            if (_cipherBuffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_cipherBuffer);
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(_plain);
                ArrayPool<byte>.Shared.Return(_plain);
            }
            _plain = [];
            if (!ReferenceEquals(_inner, _original)) _inner.Dispose(); // the spool
            if (!_leaveOpen) _original.Dispose();
        }
        base.Dispose(disposing);
    }
}

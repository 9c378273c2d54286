// A write-only Stream that encrypts into a message as it is written. Holds one frame of plaintext and
// one serialized frame; a full frame is emitted as a regular frame only once more data arrives, so a
// plaintext that is an exact multiple of the frame length ends with a full final frame (message-body.md
// SHOULD). Only FlushFinalBlock completes a message (final frame, and the footer for signed suites):
// Dispose alone, as after an exception in the code feeding the stream, leaves it without a final
// frame, which every reader refuses as truncated; a failed source never yields a valid short file.
using System.Buffers;
using System.Security.Cryptography;
using PhiCrypto.IO;

namespace PhiCrypto.Messages;

/// <summary>Encrypts everything written to it into an AWS Encryption SDK message on an inner stream.</summary>
public sealed class MessageEncryptStream : WriteOnlyStream
{
    private readonly Stream _inner;
    private readonly bool _leaveOpen;
    private readonly MessageEncryptor _encryptor;
    private readonly byte[] _plain;
    private readonly byte[] _frame;
    private int _filled;
    private uint _sequence = 1;
    private bool _finished;

    /// <summary>Writes the header to <paramref name="inner"/> now.</summary>
    public MessageEncryptStream(Stream inner, MessageEncryptOptions options, bool leaveOpen = false)
    {
        _inner = inner;
        _leaveOpen = leaveOpen;
        _encryptor = MessageEncryptor.Create(options);
        _plain = ArrayPool<byte>.Shared.Rent(_encryptor.FrameLength);
        _frame = ArrayPool<byte>.Shared.Rent(_encryptor.MaxFrameBytes);
        Emit(_encryptor.Header);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        while (!buffer.IsEmpty)
        {
            if (_filled == _encryptor.FrameLength) EmitFrame(final: false);
            int n = Math.Min(buffer.Length, _encryptor.FrameLength - _filled);
            buffer[..n].CopyTo(_plain.AsSpan(_filled));
            _filled += n;
            buffer = buffer[n..];
        }
    }

    /// <summary>Completes the message: writes the final frame and footer; further writes fail. Without
    /// this call the message stays truncated (Dispose does not complete it).</summary>
    public void FlushFinalBlock()
    {
        if (_finished) return;
        EmitFrame(final: true);
        Emit(_encryptor.BuildFooter());
        _inner.Flush();
        _finished = true;
    }

    private void EmitFrame(bool final)
    {
        int n = _encryptor.EncryptFrame(_sequence, final, _plain.AsSpan(0, _filled), _frame);
        Emit(_frame.AsSpan(0, n));
        _sequence++;
        _filled = 0;
    }

    private void Emit(ReadOnlySpan<byte> bytes)
    {
        _encryptor.AppendToSignature(bytes);
        _inner.Write(bytes);
    }

    public override void Flush() => _inner.Flush();
    public override bool CanWrite => !_finished;

    private bool _disposed;

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _finished = true;
            _encryptor.Dispose();
            CryptographicOperations.ZeroMemory(_plain);
            ArrayPool<byte>.Shared.Return(_plain);
            ArrayPool<byte>.Shared.Return(_frame);
            if (!_leaveOpen) _inner.Dispose();
        }
        base.Dispose(disposing);
    }
}

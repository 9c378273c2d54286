// The write side of SeekableZstdEncoder, for callers that push plaintext (the C ABI's push encryptor):
// buffers one frame, writes each full frame compressed to the inner stream as soon as it is full, and
// the seek table on Complete(). One frame of plaintext and one compressed frame in memory; one thread.
using System.Buffers;
using System.Security.Cryptography;
using PhiCrypto.IO;

namespace PhiCrypto.Compression;

/// <summary>A write-only stream compressing into the zstd seekable format on <c>inner</c> (not owned).</summary>
public sealed class SeekableZstdWriter : WriteOnlyStream
{
    private readonly Stream _inner;
    private readonly FrameCompressor _compressor;
    private readonly byte[] _frame;
    private readonly int _frameSize;
    private readonly List<(int Compressed, int Decompressed)> _entries = [];
    private int _filled;
    private bool _completed;

    public SeekableZstdWriter(Stream inner, int frameSize, int level = ContentEncoding.DefaultLevel)
    {
        ContentEncoding.CheckFrameSize(frameSize);
        _inner = inner;
        _frameSize = frameSize;
        _compressor = new FrameCompressor(frameSize, level);
        _frame = ArrayPool<byte>.Shared.Rent(frameSize);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        while (!buffer.IsEmpty)
        {
            int n = Math.Min(buffer.Length, _frameSize - _filled);
            buffer[..n].CopyTo(_frame.AsSpan(_filled));
            _filled += n;
            buffer = buffer[n..];
            if (_filled == _frameSize) EmitFrame();
        }
    }

    /// <summary>Writes the last partial frame and the seek table; further writes fail.</summary>
    public void Complete()
    {
        if (_completed) return;
        if (_filled > 0) EmitFrame();
        _inner.Write(SeekTable.Serialize(_entries));
        _completed = true;
    }

    private void EmitFrame()
    {
        _entries.Add(_compressor.Compress(_frame.AsSpan(0, _filled)));
        _inner.Write(_compressor.Compressed);
        _filled = 0;
    }

    private bool _disposed;

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = _completed = true;
            _compressor.Dispose();
            CryptographicOperations.ZeroMemory(_frame);
            ArrayPool<byte>.Shared.Return(_frame);
        }
        base.Dispose(disposing);
    }
}

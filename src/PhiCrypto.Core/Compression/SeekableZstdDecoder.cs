// Sequential decompression of a zstd stream as it is written (the seekable format's frames one after the
// other; its seek table is a skippable frame, which zstd skips). Write-only, so the parallel decrypt
// pipeline can write its verified plaintext straight into it. The window is capped at the largest frame
// we write (16 MiB), bounding memory whatever a stream declares; Complete() refuses a cut-off frame.
using System.Buffers;
using System.Security.Cryptography;
using PhiCrypto.IO;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace PhiCrypto.Compression;

/// <summary>Decompresses what is written to it onto <c>output</c>.</summary>
public sealed class SeekableZstdDecoder : WriteOnlyStream
{
    private const int MaxWindowLog = 24;
    private readonly Stream _output;
    private readonly Decompressor _decompressor = new();
    private readonly byte[] _buffer = ArrayPool<byte>.Shared.Rent(128 * 1024);
    private bool _midFrame;

    public SeekableZstdDecoder(Stream output)
    {
        _output = output;
        _decompressor.SetParameter(ZSTD_dParameter.ZSTD_d_windowLogMax, MaxWindowLog);
    }

    /// <summary>Decompressed bytes written so far.</summary>
    public long DecompressedLength { get; private set; }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        bool outputFull;
        do
        {
            OperationStatus status;
            int consumed, written;
            try { status = _decompressor.UnwrapStream(buffer, _buffer, out consumed, out written); }
            catch (ZstdException) { throw new MalformedDataException("compressed content is not a valid zstd stream"); }
            buffer = buffer[consumed..];
            Emit(written);
            _midFrame = status != OperationStatus.Done;
            outputFull = written == _buffer.Length;
        } while (!buffer.IsEmpty || outputFull);
    }

    private void Emit(int written)
    {
        _output.Write(_buffer, 0, written);
        DecompressedLength += written;
    }

    /// <summary>Checks the stream ended on a frame boundary and flushes the output.</summary>
    public void Complete()
    {
        if (_midFrame) throw new MalformedDataException("compressed content ends inside a zstd frame");
        _output.Flush();
    }

    public override void Flush() => _output.Flush();

    private bool _disposed;

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _decompressor.Dispose();
            CryptographicOperations.ZeroMemory(_buffer);
            ArrayPool<byte>.Shared.Return(_buffer);
        }
        base.Dispose(disposing);
    }
}

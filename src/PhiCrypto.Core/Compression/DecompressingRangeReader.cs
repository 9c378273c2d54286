// Random access into a seekable zstd stream (SeekTable.cs) that is itself the plaintext of a message: the
// seek table is read from the end of the compressed plaintext through the message's own range reader
// (so it is authenticated like everything else), then a plaintext offset maps to frame offset / FrameSize,
// and only that frame's compressed bytes are decrypted and decompressed. Holds one compressed and one
// decompressed frame, plus 8 bytes per frame of offsets.
using System.Security.Cryptography;
using PhiCrypto.Messages;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace PhiCrypto.Compression;

/// <summary>Reads plaintext ranges of a message whose content is zstd-seekable, by decompressing only the frames touched.</summary>
public sealed class DecompressingRangeReader : IPlaintextReader
{
    private readonly IPlaintextReader _compressed;
    private readonly SeekTable _table;
    private readonly Decompressor _decompressor = new();
    private readonly byte[] _frame, _plain;
    private int _cachedFrame = -1;

    /// <summary>Takes ownership of <paramref name="compressed"/>.</summary>
    public DecompressingRangeReader(IPlaintextReader compressed, int frameSize)
    {
        ContentEncoding.CheckFrameSize(frameSize);
        _compressed = compressed;
        _decompressor.SetParameter(ZSTD_dParameter.ZSTD_d_windowLogMax, ContentEncoding.MaxWindowLog);
        _table = SeekTable.Read(ReadCompressed, compressed.PlaintextLength, frameSize);
        _frame = new byte[Compressor.GetCompressBound(frameSize)];
        _plain = new byte[frameSize];
    }

    public long PlaintextLength => _table.DecompressedLength;
    public IReadOnlyDictionary<string, string> EncryptionContext => _compressed.EncryptionContext;

    public int Read(long position, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        int written = 0;
        while (written < destination.Length && position < PlaintextLength)
        {
            int frame = (int)(position / _table.FrameSize);
            var content = LoadFrame(frame);
            int offset = (int)(position - (long)frame * _table.FrameSize);
            int n = Math.Min(destination.Length - written, content.Length - offset);
            content.Slice(offset, n).CopyTo(destination[written..]);
            written += n;
            position += n;
        }
        return written;
    }

    private ReadOnlySpan<byte> LoadFrame(int index)
    {
        int size = _table.DecompressedSize(index);
        if (_cachedFrame != index)
        {
            _cachedFrame = -1;
            int length = _table.CompressedLength(index);
            if (length > _frame.Length) throw new MalformedDataException("compressed content: a frame is larger than its bound");
            var compressed = _frame.AsSpan(0, length);
            if (_compressed.Read(_table.CompressedStart(index), compressed) != length) throw new MalformedDataException("compressed content: a frame is cut off");
            int n;
            try { n = _decompressor.Unwrap(compressed, _plain); }
            catch (ZstdException) { throw new MalformedDataException("compressed content: a frame is not valid zstd"); }
            if (n != size) throw new MalformedDataException("compressed content: a frame's size differs from its seek table entry");
            _cachedFrame = index;
        }
        return _plain.AsSpan(0, size);
    }

    private byte[] ReadCompressed(long position, int count)
    {
        var bytes = new byte[count];
        if (_compressed.Read(position, bytes) != count) throw new MalformedDataException("compressed content: seek table is cut off");
        return bytes;
    }

    public void Dispose()
    {
        _decompressor.Dispose();
        CryptographicOperations.ZeroMemory(_plain);
        CryptographicOperations.ZeroMemory(_frame);
        _compressed.Dispose();
    }
}

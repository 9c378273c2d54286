// One zstd compressor and its output buffer, compressing whole frames of at most FrameSize bytes into
// independent zstd frames (content size recorded, no dictionary): the unit both seekable writers use.
using System.Buffers;
using System.Security.Cryptography;
using ZstdSharp;

namespace PhiCrypto.Compression;

internal sealed class FrameCompressor(int frameSize, int level) : IDisposable
{
    private readonly Compressor _compressor = new(level);
    private readonly byte[] _out = ArrayPool<byte>.Shared.Rent(Compressor.GetCompressBound(frameSize));

    private int _length;

    /// <summary>The last frame compressed.</summary>
    public ReadOnlySpan<byte> Compressed => _out.AsSpan(0, _length);

    /// <summary>Compresses <paramref name="frame"/> into <see cref="Compressed"/>; returns its seek table entry.</summary>
    public (int Compressed, int Decompressed) Compress(ReadOnlySpan<byte> frame)
    {
        _length = _compressor.Wrap(frame, _out);
        return (_length, frame.Length);
    }

    public void Dispose()
    {
        _compressor.Dispose();
        CryptographicOperations.ZeroMemory(_out);   // compressed plaintext: zero before the pool reuses it
        ArrayPool<byte>.Shared.Return(_out);
    }
}

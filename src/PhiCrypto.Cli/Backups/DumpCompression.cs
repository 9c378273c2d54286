// The backup's compression, in process (ZstdSharp, no zstd executable). Backups write the seekable zstd
// format: independent 1 MiB frames, compressed on several cores. Restores read any sequence of zstd
// frames, so backups made when phicrypt piped through the `zstd` executable (one standard frame) still
// restore. Frames whose window exceeds 16 MiB are refused (SeekableZstdDecoder bounds memory).
using PhiCrypto.Compression;

namespace PhiCrypto.Cli.Backups;

internal static class DumpCompression
{
    /// <summary>A stream of <paramref name="dump"/> compressed, or null when the backup is uncompressed.
    /// <paramref name="lanes"/> frames are compressed at once (0: one per core).</summary>
    public static SeekableZstdEncoder? Compressing(Stream dump, string compression, int lanes) =>
        compression == "zstd" ? new SeekableZstdEncoder(dump, ContentEncoding.DefaultFrameSize, ContentEncoding.DefaultLevel, lanes) : null;

    /// <summary>A stream that decompresses onto <paramref name="output"/>, or null when the backup is uncompressed.
    /// Call Complete() at the end: it refuses a stream cut inside a frame.</summary>
    public static SeekableZstdDecoder? Decompressing(Stream output, string compression) =>
        compression == "zstd" ? new SeekableZstdDecoder(output) : null;
}

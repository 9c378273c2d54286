// The zstd seekable format's seek table (zstd contrib/seekable_format/zstd_seekable_compression_format.md,
// version 0.1.0). A seekable stream is independent zstd frames followed by one skippable frame:
//   Skippable_Magic_Number u32 LE = 0x184D2A5E | Frame_Size u32 LE = 8 x n + 9
//   n x { Compressed_Size u32 LE | Decompressed_Size u32 LE }       (no checksums: Checksum_Flag = 0)
//   Number_Of_Frames u32 LE = n | Seek_Table_Descriptor u8 = 0 | Seekable_Magic_Number u32 LE = 0x8F92EAB1
// A plain `zstd -d` skips the skippable frame. We write every frame but the last with exactly the same
// decompressed size (recorded in the encryption context), so a plaintext offset maps to a frame by division;
// the parser checks that layout, that the sizes add up to the stream length, and bounds the frame count.
using System.Buffers.Binary;

namespace PhiCrypto.Compression;

/// <summary>Frame offsets of a seekable zstd stream with fixed-size frames.</summary>
internal sealed class SeekTable
{
    public const uint SkippableMagic = 0x184D2A5E;
    public const uint SeekableMagic = 0x8F92EAB1;
    public const int FooterLength = 9;
    public const int EntryLength = 8;
    private const int FrameHeaderLength = 8;
    private const uint MaxFrames = 0x8000000;

    private readonly long[] _compressedOffsets;   // n + 1 entries: start of frame i, and the table's start

    private SeekTable(long[] compressedOffsets, int frameSize, long decompressedLength)
    {
        _compressedOffsets = compressedOffsets;
        FrameSize = frameSize;
        DecompressedLength = decompressedLength;
    }

    public int FrameSize { get; }
    public long DecompressedLength { get; }
    public int FrameCount => _compressedOffsets.Length - 1;
    public long CompressedStart(int frame) => _compressedOffsets[frame];
    public int CompressedLength(int frame) => (int)(_compressedOffsets[frame + 1] - _compressedOffsets[frame]);
    public int DecompressedSize(int frame) => (int)Math.Min(FrameSize, DecompressedLength - (long)frame * FrameSize);

    /// <summary>The bytes of the table frame for frames of these compressed and decompressed sizes.</summary>
    public static byte[] Serialize(IReadOnlyList<(int Compressed, int Decompressed)> frames)
    {
        var table = new byte[FrameHeaderLength + frames.Count * EntryLength + FooterLength];
        var span = table.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, SkippableMagic);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], (uint)(table.Length - FrameHeaderLength));
        for (int i = 0; i < frames.Count; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(span[(8 + i * 8)..], (uint)frames[i].Compressed);
            BinaryPrimitives.WriteUInt32LittleEndian(span[(12 + i * 8)..], (uint)frames[i].Decompressed);
        }
        BinaryPrimitives.WriteUInt32LittleEndian(span[^9..], (uint)frames.Count);
        span[^5] = 0;
        BinaryPrimitives.WriteUInt32LittleEndian(span[^4..], SeekableMagic);
        return table;
    }

    /// <summary>Reads the table at the end of a stream of <paramref name="streamLength"/> bytes through
    /// <paramref name="readAt"/>, checking the fixed frame size layout.</summary>
    public static SeekTable Read(Func<long, int, byte[]> readAt, long streamLength, int frameSize)
    {
        if (streamLength < FrameHeaderLength + FooterLength) throw Malformed("too short for a seek table");
        var footer = readAt(streamLength - FooterLength, FooterLength);
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(footer);
        if (BinaryPrimitives.ReadUInt32LittleEndian(footer.AsSpan(5)) != SeekableMagic) throw Malformed("no seek table at the end");
        if ((footer[4] & 0x7C) != 0) throw Malformed("seek table descriptor has reserved bits set");
        int entryLength = (footer[4] & 0x80) != 0 ? EntryLength + 4 : EntryLength;
        long tableLength = FrameHeaderLength + (long)count * entryLength + FooterLength;
        if (count > MaxFrames || tableLength > streamLength) throw Malformed("seek table frame count out of range");
        var table = readAt(streamLength - tableLength, (int)tableLength);
        if (BinaryPrimitives.ReadUInt32LittleEndian(table) != SkippableMagic
            || BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(4)) != tableLength - FrameHeaderLength)
            throw Malformed("seek table frame header does not match");
        return FromEntries(table.AsSpan(FrameHeaderLength), (int)count, entryLength, frameSize, streamLength - tableLength);
    }

    private static SeekTable FromEntries(ReadOnlySpan<byte> entries, int count, int entryLength, int frameSize, long framesLength)
    {
        var offsets = new long[count + 1];
        long decompressed = 0;
        for (int i = 0; i < count; i++)
        {
            var entry = entries.Slice(i * entryLength, EntryLength);
            uint compressed = BinaryPrimitives.ReadUInt32LittleEndian(entry);
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(entry[4..]);
            bool last = i == count - 1;
            if (last ? size == 0 || size > frameSize : size != frameSize) throw Malformed("frame sizes do not follow the fixed frame size");
            offsets[i + 1] = offsets[i] + compressed;
            decompressed += size;
        }
        if (offsets[count] != framesLength) throw Malformed("compressed frame sizes do not add up to the stream length");
        return new SeekTable(offsets, frameSize, decompressed);
    }

    private static MalformedDataException Malformed(string why) => new($"compressed content: {why}");
}

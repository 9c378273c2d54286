// The first byte(s) of every field envelope (docs/field-format.md):
//
//   bit  7 6 | 5    | 4 3 2 1 0
//        fmt | mode | key version 1..31, or 0 = a LEB128 varint follows with the version (>= 32)
//
// fmt is 01 for format version 1; mode is 0 randomized (AES-256-GCM), 1 deterministic (AES-256-SIV).
// The whole header is part of the associated data, so it cannot be edited without detection.
namespace PhiCrypto.Fields;

public enum FieldMode : byte
{
    /// <summary>AES-256-GCM with a random nonce: equal plaintexts give different envelopes.</summary>
    Randomized = 0,
    /// <summary>AES-256-SIV: equal plaintext, purpose and associated data give equal envelopes (searchable).</summary>
    Deterministic = 1,
}

/// <summary>A parsed envelope header.</summary>
public readonly record struct FieldHeader(FieldMode Mode, uint KeyVersion, int HeaderLength)
{
    public const byte FormatVersion = 1;
    public const int MaxLength = 6; // 1 + a 5-byte varint of a uint

    private const int SmallVersionLimit = 31;

    /// <summary>Bytes of body overhead after the header: nonce + tag, or the synthetic IV.</summary>
    public int BodyOverhead => Mode == FieldMode.Randomized ? 12 + 16 : 16;

    public static int GetLength(uint keyVersion) => keyVersion <= SmallVersionLimit ? 1 : 1 + VarintLength(keyVersion);

    /// <summary>Writes the header for <paramref name="mode"/> and <paramref name="keyVersion"/>; returns its length.</summary>
    public static int Write(FieldMode mode, uint keyVersion, Span<byte> destination)
    {
        byte first = (byte)((FormatVersion << 6) | ((byte)mode << 5));
        if (keyVersion <= SmallVersionLimit)
        {
            destination[0] = (byte)(first | keyVersion);
            return 1;
        }
        destination[0] = first;
        int n = 1;
        for (uint v = keyVersion; ; v >>= 7)
        {
            if (v < 0x80) { destination[n++] = (byte)v; return n; }
            destination[n++] = (byte)(v | 0x80);
        }
    }

    /// <summary>Parses the header of <paramref name="envelope"/>, or throws <see cref="MalformedDataException"/>.</summary>
    public static FieldHeader Read(ReadOnlySpan<byte> envelope) =>
        Parse(envelope, out var header) is { } problem ? throw new MalformedDataException(problem) : header;

    /// <summary>Parses the header of <paramref name="envelope"/> (only its header bytes need be there).</summary>
    public static bool TryRead(ReadOnlySpan<byte> envelope, out FieldHeader header) => Parse(envelope, out header) is null;

    // Null, or what is wrong with the header.
    private static string? Parse(ReadOnlySpan<byte> envelope, out FieldHeader header)
    {
        header = default;
        if (envelope.IsEmpty) return "empty field envelope";
        byte first = envelope[0];
        if (first >> 6 != FormatVersion) return $"unsupported field envelope format {first >> 6}";
        var mode = (FieldMode)((first >> 5) & 1);
        uint version = (uint)(first & 0x1F);
        if (version != 0)
        {
            header = new FieldHeader(mode, version, 1);
            return null;
        }

        ulong value = 0;
        for (int i = 1; i < MaxLength && i < envelope.Length; i++)
        {
            byte b = envelope[i];
            value |= (ulong)(b & 0x7F) << (7 * (i - 1));
            if ((b & 0x80) != 0) continue;
            // Canonical only: a version that fits the first byte, or a padded varint, is malformed.
            if (value <= SmallVersionLimit || value > uint.MaxValue || GetLength((uint)value) != i + 1)
                return "non-canonical key version in field envelope";
            header = new FieldHeader(mode, (uint)value, i + 1);
            return null;
        }
        return "truncated key version in field envelope";
    }

    private static int VarintLength(uint v)
    {
        int n = 1;
        while (v >= 0x80) { v >>= 7; n++; }
        return n;
    }
}

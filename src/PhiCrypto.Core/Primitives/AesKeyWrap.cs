// AES Key Wrap, NIST SP 800-38F: KW (RFC 3394, input a multiple of 8 bytes, at least 16) and
// KWP (RFC 5649, any input of 1 byte or more). Output is 8 bytes longer than a KW input and
// 8 bytes longer than the KWP input rounded up to 8. KEK of 16, 24 or 32 bytes.
namespace PhiCrypto.Primitives;

public static class AesKeyWrap
{
    public const int Overhead = 8;

    /// <summary>Length of the KWP wrapping of <paramref name="keyLength"/> bytes.</summary>
    public static int WrappedLengthPadded(int keyLength) => ((keyLength + 7) & ~7) + Overhead;

    /// <summary>RFC 5649 wrap. <paramref name="output"/> must be exactly <see cref="WrappedLengthPadded"/>.</summary>
    public static void WrapPadded(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> key, Span<byte> output)
        => throw new NotImplementedException();

    /// <summary>RFC 5649 unwrap; returns the unwrapped length, or throws <see cref="AuthenticationFailedException"/>.</summary>
    public static int UnwrapPadded(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> wrapped, Span<byte> output)
        => throw new NotImplementedException();

    /// <summary>RFC 3394 wrap. <paramref name="key"/> a multiple of 8 bytes, at least 16; output key + 8.</summary>
    public static void Wrap(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> key, Span<byte> output)
        => throw new NotImplementedException();

    /// <summary>RFC 3394 unwrap into exactly wrapped - 8 bytes, or throws <see cref="AuthenticationFailedException"/>.</summary>
    public static void Unwrap(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> wrapped, Span<byte> output)
        => throw new NotImplementedException();
}

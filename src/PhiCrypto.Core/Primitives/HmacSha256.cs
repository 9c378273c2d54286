// HMAC-SHA-256, FIPS 198-1 / RFC 2104, through OpenSSL. Key of any length; a 32-byte tag, or a tag
// truncated to its leftmost 16..32 bytes for Verify (SP 800-107 section 5.3.3 allows truncation;
// 16 bytes is this library's floor).
using System.Security.Cryptography;

namespace PhiCrypto.Primitives;

public static class HmacSha256
{
    public const int TagSize = 32;
    public const int MinTagSize = 16;

    /// <summary>Writes HMAC-SHA-256(key, message) to <paramref name="tag"/> (exactly 32 bytes).</summary>
    public static void Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> message, Span<byte> tag)
    {
        if (tag.Length != TagSize) throw new ArgumentException("HMAC-SHA-256 tag must be 32 bytes", nameof(tag));
        HMACSHA256.HashData(key, message, tag);
    }

    /// <summary>Constant-time check of a full or truncated (leftmost 16..32 bytes) tag.</summary>
    public static bool Verify(ReadOnlySpan<byte> key, ReadOnlySpan<byte> message, ReadOnlySpan<byte> tag)
    {
        if (tag.Length is < MinTagSize or > TagSize) throw new ArgumentException("HMAC-SHA-256 tag must be 16 to 32 bytes", nameof(tag));
        Span<byte> full = stackalloc byte[TagSize];
        HMACSHA256.HashData(key, message, full);
        return CryptographicOperations.FixedTimeEquals(full[..tag.Length], tag);
    }
}

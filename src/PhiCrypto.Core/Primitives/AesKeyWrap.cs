// AES Key Wrap, NIST SP 800-38F section 6: KW (RFC 3394) and KWP (RFC 5649), through OpenSSL.
//   KW:  input a multiple of 8 bytes, at least 16 (SP 800-38F; RFC 3394 would allow 8); output input + 8.
//        Default IV A6A6A6A6A6A6A6A6, 6n rounds of AES on the BCL's ECB (.NET has no KW API).
//   KWP: input 1 to 2^32 - 1 bytes (here: up to int range); output the input rounded up to 8, plus 8.
//        Aes.EncryptKeyWrapPadded / DecryptKeyWrapPadded (.NET 10).
// KEK of 16, 24 or 32 bytes. Unwrap checks the integrity value in constant time and throws
// AuthenticationFailedException on any mismatch (wrong KEK or tampering); a wrapped input whose length
// no wrap can have throws MalformedDataException. Nothing is released on failure.
using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;

namespace PhiCrypto.Primitives;

public static class AesKeyWrap
{
    public const int Overhead = 8;
    private const ulong DefaultIv = 0xA6A6A6A6A6A6A6A6;

    /// <summary>Length of the KWP wrapping of <paramref name="keyLength"/> bytes.</summary>
    public static int WrappedLengthPadded(int keyLength) => ((keyLength + 7) & ~7) + Overhead;

    /// <summary>RFC 5649 wrap. <paramref name="output"/> must be exactly <see cref="WrappedLengthPadded"/>.</summary>
    public static void WrapPadded(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> key, Span<byte> output)
    {
        CheckKek(kek);
        if (key.IsEmpty || key.Length > int.MaxValue - 16) throw new ArgumentException("KWP input must be 1 byte or more", nameof(key));
        if (output.Length != WrappedLengthPadded(key.Length)) throw new ArgumentException("output must be WrappedLengthPadded(key length)", nameof(output));
        using var aes = CreateAes(kek);
        aes.EncryptKeyWrapPadded(key, output);
    }

    /// <summary>RFC 5649 wrap (allocating convenience).</summary>
    public static byte[] WrapPadded(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> key)
    {
        var output = new byte[WrappedLengthPadded(key.Length)];
        WrapPadded(kek, key, output);
        return output;
    }

    /// <summary>RFC 5649 unwrap into <paramref name="output"/> (at least wrapped - 8 bytes); returns the
    /// unwrapped length, or throws <see cref="AuthenticationFailedException"/>.</summary>
    public static int UnwrapPadded(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> wrapped, Span<byte> output)
    {
        CheckKek(kek);
        if (wrapped.Length < 16 || wrapped.Length % 8 != 0) throw new MalformedDataException("wrapped key length is not a KWP output length");
        if (output.Length < wrapped.Length - Overhead) throw new ArgumentException("output must be at least wrapped length - 8", nameof(output));
        using var aes = CreateAes(kek);
        try
        {
            return aes.DecryptKeyWrapPadded(wrapped, output);
        }
        catch (CryptographicException)
        {
            CryptographicOperations.ZeroMemory(output);
            throw new AuthenticationFailedException();
        }
    }

    /// <summary>RFC 5649 unwrap (allocating convenience).</summary>
    public static byte[] UnwrapPadded(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> wrapped)
    {
        var buffer = new byte[Math.Max(0, wrapped.Length - Overhead)];
        int n = UnwrapPadded(kek, wrapped, buffer);
        return buffer.AsSpan(0, n).ToArray();
    }

    /// <summary>RFC 3394 wrap. <paramref name="key"/> a multiple of 8 bytes, at least 16; output key + 8.</summary>
    public static void Wrap(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> key, Span<byte> output)
    {
        CheckKek(kek);
        if (key.Length < 16 || key.Length % 8 != 0) throw new ArgumentException("KW input must be a multiple of 8 bytes, at least 16", nameof(key));
        if (output.Length != key.Length + Overhead) throw new ArgumentException("output must be key length + 8", nameof(output));
        if (key.Overlaps(output)) throw new ArgumentException("key and output overlap", nameof(output));
        using var aes = CreateAes(kek);
        WrapCore(aes, key, output);
    }

    /// <summary>RFC 3394 unwrap into exactly wrapped - 8 bytes, or throws <see cref="AuthenticationFailedException"/>.</summary>
    public static void Unwrap(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> wrapped, Span<byte> output)
    {
        CheckKek(kek);
        if (wrapped.Length < 24 || wrapped.Length % 8 != 0) throw new MalformedDataException("wrapped key length is not a KW output length");
        if (output.Length != wrapped.Length - Overhead) throw new ArgumentException("output must be wrapped length - 8", nameof(output));
        if (wrapped.Overlaps(output)) throw new ArgumentException("wrapped and output overlap", nameof(output));
        using var aes = CreateAes(kek);
        if (!UnwrapCore(aes, wrapped, output))
        {
            CryptographicOperations.ZeroMemory(output);
            throw new AuthenticationFailedException();
        }
    }

    // RFC 3394 2.2.1, index-based form: for j = 0..5, i = 1..n: B = AES(A | R[i]); A = MSB(B) ^ t; R[i] = LSB(B).
    private static void WrapCore(System.Security.Cryptography.Aes aes, ReadOnlySpan<byte> key, Span<byte> output)
    {
        int n = key.Length / 8;
        Span<byte> r = output[8..];
        key.CopyTo(r);
        Span<byte> b = stackalloc byte[16];
        ulong a = DefaultIv;
        for (int j = 0; j < 6; j++)
        {
            for (int i = 0; i < n; i++)
            {
                BinaryPrimitives.WriteUInt64BigEndian(b, a);
                r.Slice(i * 8, 8).CopyTo(b[8..]);
                aes.EncryptEcb(b, b, PaddingMode.None);
                a = BinaryPrimitives.ReadUInt64BigEndian(b) ^ (ulong)(n * j + i + 1);
                b[8..].CopyTo(r.Slice(i * 8, 8));
            }
        }
        BinaryPrimitives.WriteUInt64BigEndian(output, a);
        CryptographicOperations.ZeroMemory(b);
    }

    // RFC 3394 2.2.2: for j = 5..0, i = n..1: B = AES-1((A ^ t) | R[i]); A = MSB(B); R[i] = LSB(B); then A must be the IV.
    private static bool UnwrapCore(System.Security.Cryptography.Aes aes, ReadOnlySpan<byte> wrapped, Span<byte> output)
    {
        Debug.Assert(output.Length == wrapped.Length - 8);
        int n = output.Length / 8;
        wrapped[8..].CopyTo(output);
        Span<byte> b = stackalloc byte[16];
        ulong a = BinaryPrimitives.ReadUInt64BigEndian(wrapped);
        for (int j = 5; j >= 0; j--)
        {
            for (int i = n - 1; i >= 0; i--)
            {
                BinaryPrimitives.WriteUInt64BigEndian(b, a ^ (ulong)(n * j + i + 1));
                output.Slice(i * 8, 8).CopyTo(b[8..]);
                aes.DecryptEcb(b, b, PaddingMode.None);
                a = BinaryPrimitives.ReadUInt64BigEndian(b);
                b[8..].CopyTo(output.Slice(i * 8, 8));
            }
        }
        CryptographicOperations.ZeroMemory(b);
        Span<byte> iv = stackalloc byte[8], expected = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(iv, a);
        BinaryPrimitives.WriteUInt64BigEndian(expected, DefaultIv);
        return CryptographicOperations.FixedTimeEquals(iv, expected);
    }

    private static void CheckKek(ReadOnlySpan<byte> kek)
    {
        if (kek.Length is not (16 or 24 or 32)) throw new ArgumentException("KEK must be 16, 24 or 32 bytes", nameof(kek));
    }

    private static System.Security.Cryptography.Aes CreateAes(ReadOnlySpan<byte> kek)
    {
        var aes = System.Security.Cryptography.Aes.Create();
        aes.SetKey(kek);
        return aes;
    }
}

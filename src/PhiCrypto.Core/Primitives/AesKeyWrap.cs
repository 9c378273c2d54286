// AES Key Wrap, NIST SP 800-38F section 6: KW (RFC 3394) and KWP (RFC 5649). KEK of 16, 24 or 32 bytes.
//   KW:  input a multiple of 8 bytes, at least 16 (SP 800-38F; RFC 3394 would allow 8); output input + 8.
//        C = W(ICV1 || P), ICV1 = A6A6A6A6A6A6A6A6.
//   KWP: input 1 byte or more; output the input rounded up to 8, plus 8.
//        S = ICV2 || [len(P)]32 || P || 0^pad, ICV2 = A65959A6; C = AES(S) when P fits 8 bytes, else W(S).
//   W is SP 800-38F Algorithm 1 (RFC 3394 2.2.1, index form): 6n steps of AES over semiblocks.
// Outside FIPS mode: on the AES-NI core with the key schedule on the stack (no allocation).
// FIPS mode: KWP is OpenSSL's own AES-WRAP-PAD through .NET's Aes.EncryptKeyWrapPadded /
// DecryptKeyWrapPadded, so the whole mode runs inside the module. KW (RFC 3394) has no .NET API: FIPS
// mode calls OpenSSL's AES-WRAP through EVP (OpenSslKeyWrap.cs), and only without libcrypto 3 falls
// back to this file's W over OpenSSL's AES-ECB.
// Unwrap checks the integrity value and padding without early exit and throws
// AuthenticationFailedException on any mismatch (wrong KEK or tampering); a wrapped input whose length
// no wrap can have throws MalformedDataException. Nothing is released on failure.
using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;

namespace PhiCrypto.Primitives;

public static class AesKeyWrap
{
    public const int Overhead = 8;
    private const ulong Icv1 = 0xA6A6A6A6A6A6A6A6;
    private const uint Icv2 = 0xA65959A6;

    /// <summary>Length of the KWP wrapping of <paramref name="keyLength"/> bytes.</summary>
    public static int WrappedLengthPadded(int keyLength) => ((keyLength + 7) & ~7) + Overhead;

    /// <summary>RFC 5649 wrap. <paramref name="output"/> must be exactly <see cref="WrappedLengthPadded"/>.</summary>
    public static void WrapPadded(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> key, Span<byte> output)
    {
        CheckKek(kek);
        if (key.IsEmpty || key.Length > int.MaxValue - 16) throw new ArgumentException("KWP input must be 1 byte or more", nameof(key));
        if (output.Length != WrappedLengthPadded(key.Length)) throw new ArgumentException("output must be WrappedLengthPadded(key length)", nameof(output));
        if (key.Overlaps(output)) throw new ArgumentException("key and output overlap", nameof(output));
        if (CryptoPolicy.FipsMode)
        {
            using var openSsl = OpenSslAes(kek);
            openSsl.EncryptKeyWrapPadded(key, output);
            return;
        }
        Span<Vector128<byte>> schedule = stackalloc Vector128<byte>[KekCipher.ScheduleSize];
        using var aes = new KekCipher(kek, schedule);
        WrapPaddedCore(in aes, key, output);
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
        if (wrapped.Overlaps(output)) throw new ArgumentException("wrapped and output overlap", nameof(output));
        int length = CryptoPolicy.FipsMode ? UnwrapPaddedOpenSsl(kek, wrapped, output[..(wrapped.Length - Overhead)]) : UnwrapPaddedW(kek, wrapped, output[..(wrapped.Length - Overhead)]);
        if (length < 0)
        {
            CryptographicOperations.ZeroMemory(output);
            throw new AuthenticationFailedException();
        }
        return length;
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
        if (CryptoPolicy.FipsMode && OpenSslKeyWrap.Transform(kek, key, output, wrap: true) is not null) return;
        Span<Vector128<byte>> schedule = stackalloc Vector128<byte>[KekCipher.ScheduleSize];
        using var aes = new KekCipher(kek, schedule);
        key.CopyTo(output[8..]);
        BinaryPrimitives.WriteUInt64BigEndian(output, W(in aes, Icv1, output[8..]));
    }

    /// <summary>RFC 3394 unwrap into exactly wrapped - 8 bytes, or throws <see cref="AuthenticationFailedException"/>.</summary>
    public static void Unwrap(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> wrapped, Span<byte> output)
    {
        CheckKek(kek);
        if (wrapped.Length < 24 || wrapped.Length % 8 != 0) throw new MalformedDataException("wrapped key length is not a KW output length");
        if (output.Length != wrapped.Length - Overhead) throw new ArgumentException("output must be wrapped length - 8", nameof(output));
        if (wrapped.Overlaps(output)) throw new ArgumentException("wrapped and output overlap", nameof(output));
        bool authentic = CryptoPolicy.FipsMode && OpenSslKeyWrap.Transform(kek, wrapped, output, wrap: false) is { } byOpenSsl
            ? byOpenSsl
            : UnwrapW(kek, wrapped, output);
        if (!authentic)
        {
            CryptographicOperations.ZeroMemory(output);
            throw new AuthenticationFailedException();
        }
    }

    private static bool UnwrapW(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> wrapped, Span<byte> output)
    {
        Span<Vector128<byte>> schedule = stackalloc Vector128<byte>[KekCipher.ScheduleSize];
        using var aes = new KekCipher(kek, schedule);
        wrapped[8..].CopyTo(output);
        return WInverse(in aes, BinaryPrimitives.ReadUInt64BigEndian(wrapped), output) == Icv1; // one 64-bit comparison: constant time
    }

    private static int UnwrapPaddedW(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> wrapped, Span<byte> r)
    {
        Span<Vector128<byte>> schedule = stackalloc Vector128<byte>[KekCipher.ScheduleSize];
        using var aes = new KekCipher(kek, schedule);
        return UnwrapPaddedCore(in aes, wrapped, r);
    }

    // OpenSSL throws on a wrong integrity value or padding; any such failure is -1, like the core's.
    private static int UnwrapPaddedOpenSsl(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> wrapped, Span<byte> r)
    {
        using var aes = OpenSslAes(kek);
        try { return aes.DecryptKeyWrapPadded(wrapped, r); }
        catch (CryptographicException) { return -1; }
    }

    private static System.Security.Cryptography.Aes OpenSslAes(ReadOnlySpan<byte> kek)
    {
        var aes = System.Security.Cryptography.Aes.Create();
        aes.SetKey(kek);
        return aes;
    }

    private static void WrapPaddedCore(in KekCipher aes, ReadOnlySpan<byte> key, Span<byte> output)
    {
        ulong a = ((ulong)Icv2 << 32) | (uint)key.Length;
        Span<byte> r = output[8..];
        key.CopyTo(r);
        r[key.Length..].Clear();
        if (r.Length == 8)
        {
            BinaryPrimitives.WriteUInt64BigEndian(output, a);
            aes.Encrypt(output);
        }
        else
        {
            BinaryPrimitives.WriteUInt64BigEndian(output, W(in aes, a, r));
        }
    }

    // Returns the key length, or -1 when the integrity value, length or padding is wrong.
    private static int UnwrapPaddedCore(in KekCipher aes, ReadOnlySpan<byte> wrapped, Span<byte> r)
    {
        Debug.Assert(r.Length == wrapped.Length - 8);
        ulong a;
        if (r.Length == 8)
        {
            Span<byte> s = stackalloc byte[16];
            wrapped.CopyTo(s);
            aes.Decrypt(s);
            a = BinaryPrimitives.ReadUInt64BigEndian(s);
            s[8..].CopyTo(r);
            CryptographicOperations.ZeroMemory(s);
        }
        else
        {
            wrapped[8..].CopyTo(r);
            a = WInverse(in aes, BinaryPrimitives.ReadUInt64BigEndian(wrapped), r);
        }
        // Every check runs whatever the earlier ones gave, and they combine without branches.
        long length = (long)(uint)a;
        long pad = r.Length - length;                                 // must be 0..7
        ulong bad = ((ulong)(a >> 32) ^ Icv2) | (ulong)((pad | (7 - pad)) >> 63);
        for (int i = 0; i < r.Length; i++)
            bad |= r[i] & (ulong)((length - 1 - i) >> 63);            // bytes at or past length must be 0
        return bad == 0 ? (int)length : -1;
    }

    // W, SP 800-38F Algorithm 1: for j = 0..5, i = 1..n: B = AES(A | R[i]); A = MSB64(B) ^ (n*j + i); R[i] = LSB64(B).
    private static ulong W(in KekCipher aes, ulong a, Span<byte> r)
    {
        int n = r.Length / 8;
        Span<byte> b = stackalloc byte[16];
        for (int j = 0; j < 6; j++)
        {
            for (int i = 0; i < n; i++)
            {
                BinaryPrimitives.WriteUInt64BigEndian(b, a);
                r.Slice(i * 8, 8).CopyTo(b[8..]);
                aes.Encrypt(b);
                a = BinaryPrimitives.ReadUInt64BigEndian(b) ^ (ulong)(n * j + i + 1);
                b[8..].CopyTo(r.Slice(i * 8, 8));
            }
        }
        CryptographicOperations.ZeroMemory(b);
        return a;
    }

    // W^-1, SP 800-38F Algorithm 2: for j = 5..0, i = n..1: B = AES^-1((A ^ (n*j + i)) | R[i]); A = MSB64(B); R[i] = LSB64(B).
    private static ulong WInverse(in KekCipher aes, ulong a, Span<byte> r)
    {
        int n = r.Length / 8;
        Span<byte> b = stackalloc byte[16];
        for (int j = 5; j >= 0; j--)
        {
            for (int i = n - 1; i >= 0; i--)
            {
                BinaryPrimitives.WriteUInt64BigEndian(b, a ^ (ulong)(n * j + i + 1));
                r.Slice(i * 8, 8).CopyTo(b[8..]);
                aes.Decrypt(b);
                a = BinaryPrimitives.ReadUInt64BigEndian(b);
                b[8..].CopyTo(r.Slice(i * 8, 8));
            }
        }
        CryptographicOperations.ZeroMemory(b);
        return a;
    }

    private static void CheckKek(ReadOnlySpan<byte> kek)
    {
        if (kek.Length is not (16 or 24 or 32)) throw new ArgumentException("KEK must be 16, 24 or 32 bytes", nameof(kek));
    }
}

/// <summary>A KEK keyed for one call: AES-NI round keys on the caller's stack, or OpenSSL (FIPS mode, no AES-NI).</summary>
internal ref struct KekCipher
{
    public const int ScheduleSize = 2 * AesNi.MaxRoundKeys;
    private readonly Span<Vector128<byte>> _enc, _dec;
    private readonly OpenSslBlockCipher? _openSsl;

    public KekCipher(ReadOnlySpan<byte> kek, Span<Vector128<byte>> schedule)
    {
        if (!CryptoPolicy.FipsMode && AesBlockCipher.HardwareSupported)
        {
            int n = AesNi.RoundKeyCount(kek.Length);
            _enc = schedule[..n];
            _dec = schedule.Slice(n, n);
            AesNi.ExpandKey(kek, _enc);
            AesNi.InvertKey(_enc, _dec);
        }
        else
        {
            _openSsl = new OpenSslBlockCipher(kek);
        }
    }

    public readonly void Encrypt(Span<byte> block)
    {
        if (_openSsl is null) Block.Store(AesNi.Encrypt(Block.Load(block), _enc), block);
        else _openSsl.EncryptBlock(block, block);
    }

    public readonly void Decrypt(Span<byte> block)
    {
        if (_openSsl is null) Block.Store(AesNi.Decrypt(Block.Load(block), _dec), block);
        else _openSsl.DecryptBlock(block, block);
    }

    public readonly void Dispose()
    {
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(_enc).Clear();
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(_dec).Clear();
        _openSsl?.Dispose();
    }
}

// The AES block function (FIPS 197) under one key, with the two chaining shapes the modes here need:
// CBC-MAC chaining (for CMAC, SP 800-38B) and a 64-bit big-endian counter keystream (for the CTR of
// RFC 5297 section 2.5), plus single blocks both ways. Key of 16, 24 or 32 bytes; the chaining calls
// take whole blocks. Measured (50-byte AES-SIV): AES-NI about 0.3 us, OpenSSL one-block calls about 3 us.
// Two implementations: AES-NI intrinsics (fast, no allocation) and the BCL's OpenSSL AES (FIPS mode,
// or when the CPU has no AES instructions). Both are thread-safe once keyed. Every call checks that
// the cipher is not disposed; the owners (AesCmac, Aes256Siv) hold a KeyLifetime lease around their
// calls, so a cipher is never disposed under a call in flight.
using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace PhiCrypto.Primitives;

internal abstract class AesBlockCipher : IDisposable
{
    public const int BlockSize = 16;

    /// <summary>True when the intrinsics implementation can run on this CPU.</summary>
    public static bool HardwareSupported =>
        System.Runtime.Intrinsics.X86.Aes.IsSupported && System.Runtime.Intrinsics.X86.Sse2.IsSupported;

    /// <summary>Keys a block cipher: intrinsics unless FIPS mode is on, the CPU lacks AES-NI, or <paramref name="forceOpenSsl"/>.</summary>
    public static AesBlockCipher Create(ReadOnlySpan<byte> key, bool forceOpenSsl = false)
    {
        Debug.Assert(key.Length is 16 or 24 or 32);
        CryptoPolicy.NoteKeyCreated();
        return !forceOpenSsl && !CryptoPolicy.FipsMode && HardwareSupported
            ? new AesNiBlockCipher(key)
            : new OpenSslBlockCipher(key);
    }

    /// <summary>True for the intrinsics implementation, false for OpenSSL.</summary>
    public abstract bool IsHardware { get; }

    /// <summary>One block: output = AES(K, input). The two may be the same span.</summary>
    public abstract void EncryptBlock(ReadOnlySpan<byte> input, Span<byte> output);

    /// <summary>One block: output = AES^-1(K, input). The two may be the same span.</summary>
    public abstract void DecryptBlock(ReadOnlySpan<byte> input, Span<byte> output);

    /// <summary>state = CBC-encrypt(blocks) with state as IV, keeping only the last ciphertext block.</summary>
    public abstract void CbcMac(Span<byte> state, ReadOnlySpan<byte> blocks);

    /// <summary>output = input XOR keystream, the counter block's low 64 bits counting up big-endian.</summary>
    public abstract void Ctr64(ReadOnlySpan<byte> counter, ReadOnlySpan<byte> input, Span<byte> output);

    private volatile bool _disposed;

    /// <summary>Throws once disposed: a zeroed key schedule must never run (it is a public permutation).</summary>
    protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        ZeroKeys();
    }

    protected abstract void ZeroKeys();
}

/// <summary>Small block helpers shared by CMAC and S2V.</summary>
internal static class Block
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Load(ReadOnlySpan<byte> s) => Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(s));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<byte> v, Span<byte> s) => v.StoreUnsafe(ref MemoryMarshal.GetReference(s));

    /// <summary>dst = a XOR b over 16 bytes.</summary>
    public static void Xor(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> dst)
    {
        Debug.Assert(a.Length >= 16 && b.Length >= 16 && dst.Length >= 16);
        Store(Load(a) ^ Load(b), dst);
    }

    /// <summary>Doubling in GF(2^128) with the polynomial x^128 + x^7 + x^2 + x + 1, in constant time.</summary>
    public static void Dbl(Span<byte> block)
    {
        ulong hi = BinaryPrimitives.ReadUInt64BigEndian(block);
        ulong lo = BinaryPrimitives.ReadUInt64BigEndian(block[8..]);
        ulong carry = (ulong)((long)hi >> 63) & 0x87;
        BinaryPrimitives.WriteUInt64BigEndian(block, (hi << 1) | (lo >> 63));
        BinaryPrimitives.WriteUInt64BigEndian(block[8..], (lo << 1) ^ carry);
    }

    /// <summary>Writes the counter block for block index <paramref name="i"/> after <paramref name="counter"/>.</summary>
    public static void CounterAt(ReadOnlySpan<byte> counter, ulong i, Span<byte> dst)
    {
        counter[..8].CopyTo(dst);
        BinaryPrimitives.WriteUInt64BigEndian(dst[8..], BinaryPrimitives.ReadUInt64BigEndian(counter[8..]) + i);
    }
}

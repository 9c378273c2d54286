// AES (FIPS 197) on the x86 AES-NI instructions. Key expansion follows FIPS 197 section 5.2 word by
// word, using AESKEYGENASSIST only for SubWord/RotWord, so one routine serves 128/192/256-bit keys.
// Decryption uses the equivalent inverse cipher (FIPS 197 5.3.5): InvMixColumns of the middle round keys.
// The static core works on round keys anywhere (a pinned array here, the stack in AesKeyWrap).
using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using X86Aes = System.Runtime.Intrinsics.X86.Aes;

namespace PhiCrypto.Primitives;

internal static class AesNi
{
    public const int MaxRoundKeys = 15;

    public static int RoundKeyCount(int keyLength) => keyLength / 4 + 7;

    /// <summary>Encryption round keys into <paramref name="rk"/> (exactly <see cref="RoundKeyCount"/> entries).</summary>
    public static void ExpandKey(ReadOnlySpan<byte> key, Span<Vector128<byte>> rk)
    {
        Debug.Assert(key.Length is 16 or 24 or 32 && rk.Length == RoundKeyCount(key.Length));
        int nk = key.Length / 4;
        Span<uint> w = MemoryMarshal.Cast<Vector128<byte>, uint>(rk); // little-endian words = FIPS 197 byte order
        key.CopyTo(MemoryMarshal.AsBytes(w));
        uint rcon = 1;
        for (int i = nk; i < w.Length; i++)
        {
            uint temp = w[i - 1];
            if (i % nk == 0)
            {
                temp = SubRotWord(temp) ^ rcon;
                rcon = (rcon << 1) ^ ((rcon >> 7) * 0x11b);
            }
            else if (nk > 6 && i % nk == 4)
            {
                temp = SubWord(temp);
            }
            w[i] = w[i - nk] ^ temp;
        }
    }

    /// <summary>Decryption round keys for the equivalent inverse cipher.</summary>
    public static void InvertKey(ReadOnlySpan<Vector128<byte>> rk, Span<Vector128<byte>> dk)
    {
        Debug.Assert(dk.Length == rk.Length);
        int nr = rk.Length - 1;
        dk[0] = rk[nr];
        for (int i = 1; i < nr; i++) dk[i] = X86Aes.InverseMixColumns(rk[nr - i]);
        dk[nr] = rk[0];
    }

    // AESKEYGENASSIST(x, 0): dword0 = SubWord(x1), dword1 = RotWord(SubWord(x1)).
    private static uint SubWord(uint x) => X86Aes.KeygenAssist(Vector128.Create(0u, x, 0u, 0u).AsByte(), 0).AsUInt32().GetElement(0);
    private static uint SubRotWord(uint x) => X86Aes.KeygenAssist(Vector128.Create(0u, x, 0u, 0u).AsByte(), 0).AsUInt32().GetElement(1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Encrypt(Vector128<byte> s, ReadOnlySpan<Vector128<byte>> rk)
    {
        ref var k = ref MemoryMarshal.GetReference(rk);
        int nr = rk.Length - 1;
        s ^= k;
        for (int r = 1; r < nr; r++) s = X86Aes.Encrypt(s, Unsafe.Add(ref k, r));
        return X86Aes.EncryptLast(s, Unsafe.Add(ref k, nr));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Decrypt(Vector128<byte> s, ReadOnlySpan<Vector128<byte>> dk)
    {
        ref var k = ref MemoryMarshal.GetReference(dk);
        int nr = dk.Length - 1;
        s ^= k;
        for (int r = 1; r < nr; r++) s = X86Aes.Decrypt(s, Unsafe.Add(ref k, r));
        return X86Aes.DecryptLast(s, Unsafe.Add(ref k, nr));
    }
}

internal sealed class AesNiBlockCipher : AesBlockCipher
{
    private readonly Vector128<byte>[] _rk; // encryption round keys, pinned
    private readonly Vector128<byte>[] _dk; // decryption round keys, pinned

    public AesNiBlockCipher(ReadOnlySpan<byte> key)
    {
        Debug.Assert(HardwareSupported && key.Length is 16 or 24 or 32);
        int n = AesNi.RoundKeyCount(key.Length);
        _rk = GC.AllocateArray<Vector128<byte>>(n, pinned: true);
        _dk = GC.AllocateArray<Vector128<byte>>(n, pinned: true);
        AesNi.ExpandKey(key, _rk);
        AesNi.InvertKey(_rk, _dk);
    }

    public override bool IsHardware => true;

    public override void EncryptBlock(ReadOnlySpan<byte> input, Span<byte> output)
    {
        ThrowIfDisposed();
        Block.Store(AesNi.Encrypt(Block.Load(input), _rk), output);
    }

    public override void DecryptBlock(ReadOnlySpan<byte> input, Span<byte> output)
    {
        ThrowIfDisposed();
        Block.Store(AesNi.Decrypt(Block.Load(input), _dk), output);
    }

    public override void CbcMac(Span<byte> state, ReadOnlySpan<byte> blocks)
    {
        Debug.Assert(blocks.Length % BlockSize == 0);
        ThrowIfDisposed();
        ReadOnlySpan<Vector128<byte>> rk = _rk;
        var s = Block.Load(state);
        for (int i = 0; i < blocks.Length; i += BlockSize) s = AesNi.Encrypt(s ^ Block.Load(blocks[i..]), rk);
        Block.Store(s, state);
    }

    // Four blocks in flight keep the AES unit's pipeline busy, the last (partial) group included:
    // four blocks cost about what one does.
    public override void Ctr64(ReadOnlySpan<byte> counter, ReadOnlySpan<byte> input, Span<byte> output)
    {
        Debug.Assert(output.Length == input.Length);
        ThrowIfDisposed();
        ReadOnlySpan<Vector128<byte>> rk = _rk;
        int nr = rk.Length - 1;
        ulong hi = BinaryPrimitives.ReadUInt64LittleEndian(counter);
        ulong lo = BinaryPrimitives.ReadUInt64BigEndian(counter[8..]);
        Span<byte> ks = stackalloc byte[4 * BlockSize];
        for (int off = 0; off < input.Length; off += 4 * BlockSize, lo += 4)
        {
            var b0 = CounterBlock(hi, lo) ^ rk[0];
            var b1 = CounterBlock(hi, lo + 1) ^ rk[0];
            var b2 = CounterBlock(hi, lo + 2) ^ rk[0];
            var b3 = CounterBlock(hi, lo + 3) ^ rk[0];
            for (int r = 1; r < nr; r++)
            {
                var k = rk[r];
                b0 = X86Aes.Encrypt(b0, k); b1 = X86Aes.Encrypt(b1, k);
                b2 = X86Aes.Encrypt(b2, k); b3 = X86Aes.Encrypt(b3, k);
            }
            var last = rk[nr];
            Block.Store(X86Aes.EncryptLast(b0, last), ks);
            Block.Store(X86Aes.EncryptLast(b1, last), ks[16..]);
            Block.Store(X86Aes.EncryptLast(b2, last), ks[32..]);
            Block.Store(X86Aes.EncryptLast(b3, last), ks[48..]);
            int n = Math.Min(4 * BlockSize, input.Length - off);
            int i = 0;
            for (; i + BlockSize <= n; i += BlockSize)
                Block.Store(Block.Load(ks[i..]) ^ Block.Load(input[(off + i)..]), output[(off + i)..]);
            for (; i < n; i++) output[off + i] = (byte)(input[off + i] ^ ks[i]);
        }
        CryptographicOperations.ZeroMemory(ks);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> CounterBlock(ulong hiLittleEndian, ulong lo)
        => Vector128.Create(hiLittleEndian, BinaryPrimitives.ReverseEndianness(lo)).AsByte();

    protected override void ZeroKeys()
    {
        CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(_rk.AsSpan()));
        CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(_dk.AsSpan()));
    }
}

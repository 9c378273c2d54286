// AES (FIPS 197) on the x86 AES-NI instructions. Key expansion follows FIPS 197 section 5.2 word by
// word, using AESKEYGENASSIST only for SubWord/RotWord, so one routine serves 128/192/256-bit keys.
// Round keys live in a pinned array that Dispose zeroes.
using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using X86Aes = System.Runtime.Intrinsics.X86.Aes;

namespace PhiCrypto.Primitives;

internal sealed class AesNiBlockCipher : AesBlockCipher
{
    private readonly Vector128<byte>[] _rk; // Nr + 1 round keys, pinned
    private readonly int _rounds;

    public AesNiBlockCipher(ReadOnlySpan<byte> key)
    {
        Debug.Assert(HardwareSupported && key.Length is 16 or 24 or 32);
        _rounds = key.Length / 4 + 6;
        _rk = GC.AllocateArray<Vector128<byte>>(_rounds + 1, pinned: true);
        ExpandKey(key, MemoryMarshal.AsBytes(_rk.AsSpan()));
    }

    public override bool IsHardware => true;

    private static void ExpandKey(ReadOnlySpan<byte> key, Span<byte> schedule)
    {
        int nk = key.Length / 4;
        Span<uint> w = MemoryMarshal.Cast<byte, uint>(schedule); // little-endian words = FIPS 197 byte order
        key.CopyTo(schedule);
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

    // AESKEYGENASSIST(x, 0): dword0 = SubWord(x1), dword1 = RotWord(SubWord(x1)).
    private static uint SubWord(uint x) => X86Aes.KeygenAssist(Vector128.Create(0u, x, 0u, 0u).AsByte(), 0).AsUInt32().GetElement(0);
    private static uint SubRotWord(uint x) => X86Aes.KeygenAssist(Vector128.Create(0u, x, 0u, 0u).AsByte(), 0).AsUInt32().GetElement(1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector128<byte> Encrypt(Vector128<byte> s)
    {
        var rk = _rk;
        s ^= rk[0];
        for (int r = 1; r < _rounds; r++) s = X86Aes.Encrypt(s, rk[r]);
        return X86Aes.EncryptLast(s, rk[_rounds]);
    }

    public override void EncryptBlock(ReadOnlySpan<byte> input, Span<byte> output)
        => Block.Store(Encrypt(Block.Load(input)), output);

    public override void CbcMac(Span<byte> state, ReadOnlySpan<byte> blocks)
    {
        Debug.Assert(blocks.Length % BlockSize == 0);
        var s = Block.Load(state);
        for (int i = 0; i < blocks.Length; i += BlockSize) s = Encrypt(s ^ Block.Load(blocks[i..]));
        Block.Store(s, state);
    }

    // Four blocks in flight keep the AES unit's pipeline busy.
    public override void Ctr64(ReadOnlySpan<byte> counter, ReadOnlySpan<byte> input, Span<byte> output)
    {
        Debug.Assert(output.Length == input.Length);
        var rk = _rk;
        ulong hi = BinaryPrimitives.ReadUInt64LittleEndian(counter);
        ulong lo = BinaryPrimitives.ReadUInt64BigEndian(counter[8..]);
        int off = 0;
        for (; off + 4 * BlockSize <= input.Length; off += 4 * BlockSize, lo += 4)
        {
            var b0 = CounterBlock(hi, lo) ^ rk[0];
            var b1 = CounterBlock(hi, lo + 1) ^ rk[0];
            var b2 = CounterBlock(hi, lo + 2) ^ rk[0];
            var b3 = CounterBlock(hi, lo + 3) ^ rk[0];
            for (int r = 1; r < _rounds; r++)
            {
                b0 = X86Aes.Encrypt(b0, rk[r]); b1 = X86Aes.Encrypt(b1, rk[r]);
                b2 = X86Aes.Encrypt(b2, rk[r]); b3 = X86Aes.Encrypt(b3, rk[r]);
            }
            var last = rk[_rounds];
            Block.Store(X86Aes.EncryptLast(b0, last) ^ Block.Load(input[off..]), output[off..]);
            Block.Store(X86Aes.EncryptLast(b1, last) ^ Block.Load(input[(off + 16)..]), output[(off + 16)..]);
            Block.Store(X86Aes.EncryptLast(b2, last) ^ Block.Load(input[(off + 32)..]), output[(off + 32)..]);
            Block.Store(X86Aes.EncryptLast(b3, last) ^ Block.Load(input[(off + 48)..]), output[(off + 48)..]);
        }
        for (; off + BlockSize <= input.Length; off += BlockSize, lo++)
            Block.Store(Encrypt(CounterBlock(hi, lo)) ^ Block.Load(input[off..]), output[off..]);
        if (off < input.Length)
        {
            Span<byte> ks = stackalloc byte[BlockSize];
            Block.Store(Encrypt(CounterBlock(hi, lo)), ks);
            for (int i = off; i < input.Length; i++) output[i] = (byte)(input[i] ^ ks[i - off]);
            CryptographicOperations.ZeroMemory(ks);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> CounterBlock(ulong hiLittleEndian, ulong lo)
        => Vector128.Create(hiLittleEndian, BinaryPrimitives.ReverseEndianness(lo)).AsByte();

    public override void Dispose() => CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(_rk.AsSpan()));
}

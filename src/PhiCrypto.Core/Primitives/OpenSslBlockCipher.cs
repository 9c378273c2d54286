// AES (FIPS 197) through System.Security.Cryptography.Aes, i.e. OpenSSL: the FIPS-mode path and the
// fallback for CPUs without AES-NI. Work is batched into as few one-shot ECB/CBC calls as possible,
// in chunks on the stack, because each call crosses into OpenSSL.
// The one-shot EncryptEcb/EncryptCbc methods only read the key, so one keyed Aes serves all threads.
using System.Diagnostics;
using System.Security.Cryptography;

namespace PhiCrypto.Primitives;

internal sealed class OpenSslBlockCipher : AesBlockCipher
{
    private const int Chunk = 256; // bytes per OpenSSL call, on the stack
    private readonly System.Security.Cryptography.Aes _aes;

    public OpenSslBlockCipher(ReadOnlySpan<byte> key)
    {
        Debug.Assert(key.Length is 16 or 24 or 32);
        _aes = System.Security.Cryptography.Aes.Create();
        _aes.SetKey(key);
    }

    public override bool IsHardware => false;

    public override void EncryptBlock(ReadOnlySpan<byte> input, Span<byte> output)
    {
        Span<byte> tmp = stackalloc byte[BlockSize];
        _aes.EncryptEcb(input[..BlockSize], tmp, PaddingMode.None);
        tmp.CopyTo(output);
    }

    public override void CbcMac(Span<byte> state, ReadOnlySpan<byte> blocks)
    {
        Debug.Assert(blocks.Length % BlockSize == 0);
        Span<byte> buf = stackalloc byte[Chunk];
        for (int off = 0; off < blocks.Length; off += Chunk)
        {
            var part = blocks.Slice(off, Math.Min(Chunk, blocks.Length - off));
            var outPart = buf[..part.Length];
            _aes.EncryptCbc(part, state, outPart, PaddingMode.None);
            outPart[^BlockSize..].CopyTo(state);
        }
        CryptographicOperations.ZeroMemory(buf);
    }

    public override void Ctr64(ReadOnlySpan<byte> counter, ReadOnlySpan<byte> input, Span<byte> output)
    {
        Debug.Assert(output.Length == input.Length);
        Span<byte> ctr = stackalloc byte[Chunk];
        Span<byte> ks = stackalloc byte[Chunk];
        ulong index = 0;
        for (int off = 0; off < input.Length; off += Chunk)
        {
            int n = Math.Min(Chunk, input.Length - off);
            int blocks = (n + BlockSize - 1) / BlockSize;
            for (int b = 0; b < blocks; b++) Block.CounterAt(counter, index++, ctr[(b * BlockSize)..]);
            _aes.EncryptEcb(ctr[..(blocks * BlockSize)], ks, PaddingMode.None);
            for (int i = 0; i < n; i++) output[off + i] = (byte)(input[off + i] ^ ks[i]);
        }
        CryptographicOperations.ZeroMemory(ks);
    }

    public override void Dispose() => _aes.Dispose();
}

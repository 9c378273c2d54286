// AES (FIPS 197) through System.Security.Cryptography.Aes, i.e. OpenSSL: the FIPS-mode path and the
// fallback for CPUs without AES-NI. Each worker holds an ECB encryptor (and decryptor) whose OpenSSL
// context is set up once; TransformBlock on ECB keeps no state between calls, so a worker is reused
// across messages. A transform is not thread-safe: a small pool of workers serves concurrent callers.
// Counter blocks are batched into one TransformBlock call per chunk; CBC-MAC goes block by block.
using System.Diagnostics;
using System.Security.Cryptography;

namespace PhiCrypto.Primitives;

internal sealed class OpenSslBlockCipher : AesBlockCipher
{
    private const int Chunk = 256; // bytes of counter blocks per OpenSSL call
    private readonly System.Security.Cryptography.Aes _aes;
    private readonly InstancePool<Worker> _pool;

    public OpenSslBlockCipher(ReadOnlySpan<byte> key)
    {
        Debug.Assert(key.Length is 16 or 24 or 32);
        _aes = System.Security.Cryptography.Aes.Create();
        _aes.Mode = CipherMode.ECB;
        _aes.Padding = PaddingMode.None;
        _aes.SetKey(key);
        _pool = new InstancePool<Worker>(() => new Worker(_aes.CreateEncryptor()));
    }

    public override bool IsHardware => false;

    public override void EncryptBlock(ReadOnlySpan<byte> input, Span<byte> output)
    {
        var w = Rent();
        try { w.Encrypt(input, output); }
        finally { Return(w); }
    }

    public override void DecryptBlock(ReadOnlySpan<byte> input, Span<byte> output)
    {
        var w = Rent();
        try
        {
            input[..BlockSize].CopyTo(w.In);
            w.Decryptor(_aes).TransformBlock(w.In, 0, BlockSize, w.Out, 0);
            w.Out.AsSpan(0, BlockSize).CopyTo(output);
        }
        finally { Return(w); }
    }

    public override void CbcMac(Span<byte> state, ReadOnlySpan<byte> blocks)
    {
        Debug.Assert(blocks.Length % BlockSize == 0);
        if (blocks.IsEmpty) return;
        var w = Rent();
        try
        {
            for (int off = 0; off < blocks.Length; off += BlockSize)
            {
                Block.Xor(state, blocks[off..], state);
                w.Encrypt(state, state);
            }
        }
        finally { Return(w); }
    }

    public override void Ctr64(ReadOnlySpan<byte> counter, ReadOnlySpan<byte> input, Span<byte> output)
    {
        Debug.Assert(output.Length == input.Length);
        var w = Rent();
        try
        {
            ulong index = 0;
            for (int off = 0; off < input.Length; off += Chunk)
            {
                int n = Math.Min(Chunk, input.Length - off);
                int blocks = (n + BlockSize - 1) / BlockSize;
                for (int b = 0; b < blocks; b++) Block.CounterAt(counter, index++, w.In.AsSpan(b * BlockSize));
                w.Encryptor.TransformBlock(w.In, 0, blocks * BlockSize, w.Out, 0);
                for (int i = 0; i < n; i++) output[off + i] = (byte)(input[off + i] ^ w.Out[i]);
            }
        }
        finally { Return(w); }
    }

    private Worker Rent()
    {
        ThrowIfDisposed();
        return _pool.Rent();
    }

    private void Return(Worker w)
    {
        CryptographicOperations.ZeroMemory(w.In);  // plaintext, keystream and MAC states
        CryptographicOperations.ZeroMemory(w.Out); // do not outlive the call
        _pool.Return(w);
    }

    protected override void ZeroKeys()
    {
        _pool.Dispose();
        _aes.Dispose();
    }

    private sealed class Worker(ICryptoTransform encryptor) : IDisposable
    {
        private ICryptoTransform? _decryptor;
        public readonly byte[] In = new byte[Chunk];
        public readonly byte[] Out = new byte[Chunk];
        public ICryptoTransform Encryptor => encryptor;

        public ICryptoTransform Decryptor(System.Security.Cryptography.Aes aes) => _decryptor ??= aes.CreateDecryptor();

        public void Encrypt(ReadOnlySpan<byte> input, Span<byte> output)
        {
            input[..BlockSize].CopyTo(In);
            encryptor.TransformBlock(In, 0, BlockSize, Out, 0);
            Out.AsSpan(0, BlockSize).CopyTo(output);
        }

        public void Dispose()
        {
            CryptographicOperations.ZeroMemory(In);
            CryptographicOperations.ZeroMemory(Out);
            encryptor.Dispose();
            _decryptor?.Dispose();
        }
    }
}

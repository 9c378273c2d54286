// A KEK held in process memory (from the environment or derived from a passphrase). Wraps with
// AES-KWP (RFC 5649) through PhiCrypto.Primitives.AesKeyWrap and unwraps KWP or KW (RFC 3394).
// KWP unwrap is the hot path (every record, every keyring load), so it runs here on a pooled AES-ECB
// decryptor keyed once: RFC 5649 section 4.2 (n > 1 semiblocks), i.e. RFC 3394 2.2.2's W^-1, then the
// AIV check A65959A6 || MLI and zero padding. Keying OpenSSL per call cost ~20x the unwrap itself.
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using PhiCrypto.Primitives;

namespace PhiCrypto.Keys;

public sealed class SoftwareKek : IKek
{
    private static readonly IReadOnlyDictionary<string, string> NoSettings = new Dictionary<string, string>();
    private readonly SecretKey _key;
    private readonly byte[] _kcv;
    private readonly ConcurrentBag<Decryptor> _pool = [];
    private volatile bool _disposed;

    /// <summary>A KEK from 32 key bytes; the caller zeroes its own copy.</summary>
    public SoftwareKek(string id, ReadOnlySpan<byte> key, IReadOnlyDictionary<string, string>? storeSettings = null)
    {
        if (key.Length != 32) throw new ArgumentException("a KEK is 32 bytes (AES-256)", nameof(key));
        ArgumentException.ThrowIfNullOrEmpty(id);
        Id = id;
        _key = SecretKey.Import(key);
        _kcv = KeyCheckValue.Compute(key);
        StoreSettings = storeSettings ?? NoSettings;
    }

    public string Id { get; }
    public ReadOnlySpan<byte> CheckValue => _kcv;
    public IReadOnlyDictionary<string, string> StoreSettings { get; }

    public (WrapAlgorithm Algorithm, byte[] Wrapped) Wrap(ReadOnlySpan<byte> dek)
    {
        var wrapped = new byte[AesKeyWrap.WrappedLengthPadded(dek.Length)];
        AesKeyWrap.WrapPadded(_key.Span, dek, wrapped);
        return (WrapAlgorithm.AesKwp, wrapped);
    }

    public void Unwrap(WrapAlgorithm algorithm, ReadOnlySpan<byte> wrapped, Span<byte> dek)
    {
        try { UnwrapCore(algorithm, wrapped, dek); }
        catch (AuthenticationFailedException) { CryptographicOperations.ZeroMemory(dek); throw; }
    }

    private void UnwrapCore(WrapAlgorithm algorithm, ReadOnlySpan<byte> wrapped, Span<byte> dek)
    {
        switch (algorithm)
        {
            case WrapAlgorithm.AesKwp:
                if (wrapped.Length != AesKeyWrap.WrappedLengthPadded(dek.Length)) throw new AuthenticationFailedException();
                Span<byte> buffer = stackalloc byte[wrapped.Length - AesKeyWrap.Overhead];
                var d = Rent();
                try
                {
                    if (!d.UnwrapPadded(wrapped, buffer, out int n) || n != dek.Length) throw new AuthenticationFailedException();
                    buffer[..n].CopyTo(dek);
                }
                finally
                {
                    Return(d);
                    CryptographicOperations.ZeroMemory(buffer);
                }
                break;
            case WrapAlgorithm.AesKw:
                if (wrapped.Length != dek.Length + AesKeyWrap.Overhead) throw new AuthenticationFailedException();
                AesKeyWrap.Unwrap(_key.Span, wrapped, dek);
                break;
            default:
                throw new MalformedDataException("unknown key wrap algorithm");
        }
    }

    public override string ToString() => $"SoftwareKek({Id})";

    private Decryptor Rent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _pool.TryTake(out var d) ? d : new Decryptor(_key.Span);
    }

    private void Return(Decryptor d)
    {
        if (_disposed || _pool.Count >= Environment.ProcessorCount * 2) d.Dispose();
        else _pool.Add(d);
    }

    /// <summary>An AES-ECB decryptor keyed once, with its block buffer. Not thread-safe: pooled.</summary>
    private sealed class Decryptor : IDisposable
    {
        private const uint Aiv = 0xA65959A6;
        private readonly Aes _aes = Aes.Create();
        private readonly ICryptoTransform _ecb;
        private readonly byte[] _block = GC.AllocateArray<byte>(16, pinned: true);

        public Decryptor(ReadOnlySpan<byte> key)
        {
            _aes.Mode = CipherMode.ECB;
            _aes.Padding = PaddingMode.None;
            _aes.Key = key.ToArray();
            _ecb = _aes.CreateDecryptor();
        }

        public bool UnwrapPadded(ReadOnlySpan<byte> wrapped, Span<byte> output, out int length)
        {
            length = 0;
            int n = output.Length / 8;
            if (n < 2 || wrapped.Length != output.Length + 8 || output.Length % 8 != 0) return false;
            wrapped[8..].CopyTo(output);
            ulong a = BinaryPrimitives.ReadUInt64BigEndian(wrapped);
            for (int j = 5; j >= 0; j--)
            {
                for (int i = n - 1; i >= 0; i--)
                {
                    BinaryPrimitives.WriteUInt64BigEndian(_block, a ^ (ulong)(n * j + i + 1));
                    output.Slice(i * 8, 8).CopyTo(_block.AsSpan(8));
                    _ecb.TransformBlock(_block, 0, 16, _block, 0);
                    a = BinaryPrimitives.ReadUInt64BigEndian(_block);
                    _block.AsSpan(8).CopyTo(output.Slice(i * 8, 8));
                }
            }
            CryptographicOperations.ZeroMemory(_block);
            uint mli = (uint)a;
            bool ok = (uint)(a >> 32) == Aiv & mli > 8 * (n - 1) & mli <= 8 * n;
            if (ok && output[(int)mli..].ContainsAnyExcept((byte)0)) ok = false;
            if (!ok) { CryptographicOperations.ZeroMemory(output); return false; }
            length = (int)mli;
            return true;
        }

        public void Dispose()
        {
            _ecb.Dispose();
            _aes.Dispose();
        }
    }

    public void Dispose()
    {
        _disposed = true;
        while (_pool.TryTake(out var aes)) aes.Dispose();
        _key.Dispose();
    }
}

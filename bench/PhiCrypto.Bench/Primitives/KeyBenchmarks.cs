// DEK generation and KWP unwrap of a 32-byte DEK (targets: 5 us each), and the nonce source for
// 12 bytes: SecureRandom (per-thread buffer), RandomNumberGenerator (one OS call each), and libsodium's
// randombytes_buf. NSec 26 has no RandomGenerator any more (it draws its own keys from
// RandomNumberGenerator), so libsodium is called directly.
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using PhiCrypto.Primitives;

namespace PhiCrypto.Bench.Primitives;

[MemoryDiagnoser]
public unsafe partial class KeyBenchmarks
{
    [LibraryImport("libsodium")]
    private static partial void randombytes_buf(byte* buffer, nuint size);

    private readonly byte[] _kek = RandomNumberGenerator.GetBytes(32), _dek = RandomNumberGenerator.GetBytes(32);
    private readonly byte[] _wrapped = new byte[40], _wrappedKw = new byte[40], _unwrapped = new byte[32], _nonce = new byte[12];

    [GlobalSetup]
    public void Setup()
    {
        AesKeyWrap.WrapPadded(_kek, _dek, _wrapped);
        AesKeyWrap.Wrap(_kek, _dek, _wrappedKw);
    }

    [Benchmark]
    public void GenerateDek()
    {
        using var key = SecretKey.Generate();
    }

    [Benchmark]
    public int UnwrapPaddedDek() => AesKeyWrap.UnwrapPadded(_kek, _wrapped, _unwrapped);

    [Benchmark]
    public void WrapPaddedDek() => AesKeyWrap.WrapPadded(_kek, _dek, _wrapped);

    [Benchmark]
    public void UnwrapKwDek() => AesKeyWrap.Unwrap(_kek, _wrappedKw, _unwrapped);

    [Benchmark]
    public void Nonce12SecureRandom() => SecureRandom.Fill(_nonce);

    [Benchmark]
    public void Nonce12OpenSsl() => RandomNumberGenerator.Fill(_nonce);

    [Benchmark]
    public void Nonce12Sodium()
    {
        fixed (byte* p = _nonce) randombytes_buf(p, (nuint)_nonce.Length);
    }
}

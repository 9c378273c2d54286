// DEK generation and KWP unwrap of a 32-byte DEK (targets: 5 us each), and the nonce source:
// RandomNumberGenerator (OpenSSL) against NSec's RandomGenerator.Default (libsodium) for 12 bytes.
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using PhiCrypto.Primitives;

namespace PhiCrypto.Bench.Primitives;

[MemoryDiagnoser]
public class KeyBenchmarks
{
    private readonly byte[] _kek = RandomNumberGenerator.GetBytes(32), _dek = RandomNumberGenerator.GetBytes(32);
    private readonly byte[] _wrapped = new byte[40], _unwrapped = new byte[32], _nonce = new byte[12];

    [GlobalSetup]
    public void Setup() => AesKeyWrap.WrapPadded(_kek, _dek, _wrapped);

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
    public void UnwrapKwDek() => AesKeyWrap.Unwrap(_kek, _wrapped, _unwrapped);

    [Benchmark]
    public void Nonce12OpenSsl() => RandomNumberGenerator.Fill(_nonce);

    [Benchmark]
    public void Nonce12Sodium() => NSec.Cryptography.RandomGenerator.Default.GenerateBytes(_nonce);
}

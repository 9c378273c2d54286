// 50-byte AES-256-GCM field on both backends (targets: 0.5 us default, 1.5 us FIPS; zero allocation).
using BenchmarkDotNet.Attributes;
using PhiCrypto.Primitives;

namespace PhiCrypto.Bench.Primitives;

[MemoryDiagnoser]
public class GcmBenchmarks
{
    private readonly byte[] _nonce = new byte[12], _ad = new byte[24], _pt = new byte[50], _ct = new byte[66], _out = new byte[50];
    private Aes256Gcm _gcm = null!;

    [Params(AeadBackend.Sodium, AeadBackend.OpenSsl)]
    public AeadBackend Backend { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _gcm = Aes256Gcm.Create(SecureRandom.GetBytes(32), Backend);
        SecureRandom.Fill(_nonce);
        SecureRandom.Fill(_pt);
        _gcm.Encrypt(_nonce, _pt, _ad, _ct);
    }

    [Benchmark]
    public void Encrypt50() => _gcm.Encrypt(_nonce, _pt, _ad, _ct);

    [Benchmark]
    public bool Decrypt50() => _gcm.TryDecrypt(_nonce, _ct, _ad, _out);

    [GlobalCleanup]
    public void Cleanup() => _gcm.Dispose();
}

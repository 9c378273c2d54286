// FF1 (SP 800-38G) on an SSN, 9 decimal digits, tweaked by a purpose name (target: at most 5 us per
// SSN; zero allocation for the numeral form), a 16-digit card-like number, and a 100-digit value that
// takes the BigInteger path, for scale.
using BenchmarkDotNet.Attributes;
using PhiCrypto.Primitives;

namespace PhiCrypto.Bench.Search;

[MemoryDiagnoser, MinColumn, MedianColumn]
public class Ff1Benchmarks
{
    private static readonly byte[] s_tweak = "clinic.Patient.ssn"u8.ToArray();
    private readonly byte[] _ssn = [1, 2, 3, 4, 5, 6, 7, 8, 9], _ssnOut = new byte[9];
    private readonly byte[] _card = new byte[16], _cardOut = new byte[16];
    private readonly byte[] _long = new byte[100], _longOut = new byte[100];
    private Ff1 _ff1 = null!;

    [GlobalSetup]
    public void Setup()
    {
        _ff1 = Ff1.Create(SecureRandom.GetBytes(32));
        for (int i = 0; i < _card.Length; i++) _card[i] = (byte)(i * 7 % 10);
        for (int i = 0; i < _long.Length; i++) _long[i] = (byte)(i * 3 % 10);
    }

    [Benchmark(Baseline = true)]
    public void EncryptSsn() => _ff1.Encrypt(_ssn, s_tweak, _ssnOut);

    [Benchmark]
    public void DecryptSsn() => _ff1.Decrypt(_ssn, s_tweak, _ssnOut);

    [Benchmark]
    public string EncryptSsnString() => _ff1.Encrypt("123456789", s_tweak);

    [Benchmark]
    public void Encrypt16Digits() => _ff1.Encrypt(_card, s_tweak, _cardOut);

    [Benchmark]
    public void Encrypt100Digits() => _ff1.Encrypt(_long, s_tweak, _longOut);

    [GlobalCleanup]
    public void Cleanup() => _ff1.Dispose();
}

// Blind index values: exact (an SSN), case-insensitive (a name: NFKC + fold + collapse), the stored
// prefixes of a name (lengths 3..6), a compound (name + date of birth), and a batch of 1000 exact values.
using BenchmarkDotNet.Attributes;
using PhiCrypto.Primitives;
using PhiCrypto.Search;

namespace PhiCrypto.Bench.Search;

[MemoryDiagnoser, MinColumn, MedianColumn]
public class BlindIndexBenchmarks
{
    private readonly byte[] _out = new byte[4], _mac = new byte[32], _refKey = new byte[32], _refMessage = new byte[14];
    private string[] _batch = null!;
    private byte[] _batchOut = null!;
    private BlindIndex _exact = null!, _ci = null!, _prefix = null!, _compound = null!;

    [GlobalSetup]
    public void Setup()
    {
        var dek = SecureRandom.GetBytes(32);
        _exact = BlindIndex.Create(BlindIndexDefinition.Exact("ssn", 19), dek, 1, "clinic.Patient.ssn");
        _ci = BlindIndex.Create(BlindIndexDefinition.Exact("name_ci", 19, TextNormalization.CaseInsensitive), dek, 1, "clinic.Patient.last_name");
        _prefix = BlindIndex.Create(BlindIndexDefinition.Prefix("name_prefix", 16, 3, 6), dek, 1, "clinic.Patient.last_name");
        _compound = BlindIndex.Create(BlindIndexDefinition.Compound("name_dob", 24, TextNormalization.CaseInsensitive, TextNormalization.Exact), dek, 1, "clinic.Patient");
        _batch = Enumerable.Range(0, 1000).Select(i => (123456789 + i).ToString()).ToArray();
        _batchOut = new byte[_batch.Length * _exact.Definition.ValueLength];
    }

    // Reference: one-shot HMAC-SHA-256 of the same message size through .NET (OpenSSL), key set up per call.
    [Benchmark]
    public void OneShotHmacReference() => System.Security.Cryptography.HMACSHA256.HashData(_refKey, _refMessage, _mac);

    [Benchmark(Baseline = true)]
    public void ExactSsn() => _exact.Compute("123-45-6789", _out.AsSpan(0, 3));

    [Benchmark]
    public void CaseInsensitiveName() => _ci.Compute("  O'Brien-Núñez ", _out.AsSpan(0, 3));

    [Benchmark]
    public int PrefixesOfName() => _prefix.ComputePrefixes("Smithson").Count;

    [Benchmark]
    public byte[] CompoundNameDob() => _compound.ComputeCompound("Smith", "1980-02-29");

    [Benchmark(OperationsPerInvoke = 1000)]
    public void Batch1000Exact() => _exact.ComputeBatch(_batch, _batchOut);

    [GlobalCleanup]
    public void Cleanup()
    {
        _exact.Dispose(); _ci.Dispose(); _prefix.Dispose(); _compound.Dispose();
    }
}

using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using PhiCrypto.Keys;

namespace PhiCrypto.Bench.Keys;

/// <summary>Issue 3 targets: one DEK unwrap under a software KEK (at most 5 us), loading a keyring of
/// 1,000 versions (at most 20 ms). Run: dotnet run -c Release --project bench/PhiCrypto.Bench -- --filter '*Keyring*'</summary>
[MemoryDiagnoser]
public class KeyringBenchmarks
{
    private SoftwareKek _kek = null!;
    private byte[] _wrapped = null!;
    private readonly byte[] _dek = new byte[32];
    private KeyRecord _record = null!;
    private byte[] _recordDek = null!;
    private string _dir = null!, _path = null!;
    private KeyStoreContents _contents = null!;
    private readonly byte[] _kekBytes = RandomNumberGenerator.GetBytes(32);

    [GlobalSetup]
    public void Setup()
    {
        _kek = new SoftwareKek("env:BENCH", _kekBytes);
        _recordDek = RandomNumberGenerator.GetBytes(32);
        (_, _wrapped) = _kek.Wrap(_recordDek);
        _record = new KeyRecord
        {
            Purpose = "files", Version = 1, State = KeyState.Active, Created = DateTimeOffset.UtcNow,
            KekId = _kek.Id, KekCheckValue = _kek.CheckValue.ToArray(), WrapAlgorithm = WrapAlgorithm.AesKwp, Wrapped = _wrapped,
        }.Seal(_recordDek);

        // 1,000 versions: 10 purposes x 100 rotations, built in memory, written once as the JSON file.
        var memory = new MemoryStore();
        using (var k = Keyring.Initialize(memory, new SoftwareKek("env:BENCH", _kekBytes), null))
            for (int p = 0; p < 10; p++) for (int v = 0; v < 100; v++) k.Rotate($"clinic.Patient.field{p}");
        _contents = memory.Load();
        _dir = Directory.CreateTempSubdirectory("phicrypto-bench-").FullName;
        _path = Path.Combine(_dir, "keyring.json");
        File.WriteAllBytes(_path, JsonFileKeyStore.Serialize(_contents));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _kek.Dispose();
        Directory.Delete(_dir, true);
    }

    [Benchmark(Description = "DEK unwrap, software KEK (AES-KWP)")]
    public void Unwrap() => _kek.Unwrap(WrapAlgorithm.AesKwp, _wrapped, _dek);

    [Benchmark(Description = "key record open: check value + unwrap + record MAC")]
    public bool OpenRecord()
    {
        if (!CryptographicOperations.FixedTimeEquals(_record.KekCheckValue, _kek.CheckValue)) return false;
        _kek.Unwrap(_record.WrapAlgorithm, _record.Wrapped, _dek);
        return _record.VerifyMac(_dek);
    }

    [Benchmark(Description = "load keyring of 1,000 versions from its JSON file")]
    public int LoadJsonFile()
    {
        using var k = Keyring.Open(new JsonFileKeyStore(_path), new SoftwareKek("env:BENCH", _kekBytes));
        return k.Records.Count;
    }

    [Benchmark(Description = "load keyring of 1,000 versions, records already read")]
    public int LoadFromContents()
    {
        using var k = Keyring.Open(new MemoryStore(_contents), new SoftwareKek("env:BENCH", _kekBytes));
        return k.Records.Count;
    }

    /// <summary>Holds contents in memory, with the same commit rules as every store.</summary>
    private sealed class MemoryStore(KeyStoreContents? start = null) : IKeyStore
    {
        private KeyStoreContents _c = start ?? KeyStoreContents.Empty;
        public string Location => "memory";
        public KeyStoreContents Load() => _c;
        public void Commit(KeyStoreCommit commit) => _c = _c.Apply(commit);
        public void Dispose() { }
    }
}

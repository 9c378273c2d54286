using BenchmarkDotNet.Attributes;
using PhiCrypto.Fields;
using PhiCrypto.Primitives;

namespace PhiCrypto.Bench.Fields;

/// <summary>One 50-byte field (the requirements' unit), span APIs: time and bytes allocated per call.</summary>
[MemoryDiagnoser]
public class FieldBenchmarks
{
    private static readonly byte[] Purpose = "clinic.Patient.ssn"u8.ToArray();
    private readonly byte[] _plaintext = new byte[50];
    private readonly byte[] _randomized = new byte[50 + FieldEnvelope.RandomizedOverhead];
    private readonly byte[] _deterministic = new byte[50 + FieldEnvelope.DeterministicOverhead];
    private readonly byte[] _output = new byte[50];
    private FieldKey _sodium = null!, _openssl = null!;
    private byte[] _sodiumEnvelope = null!, _opensslEnvelope = null!, _sivEnvelope = null!;

    [GlobalSetup]
    public void Setup()
    {
        using var dek = SecretKey.Generate();
        _sodium = FieldKey.Create(dek, 1, AeadBackend.Sodium);
        _openssl = FieldKey.Create(dek, 1, AeadBackend.OpenSsl);
        _sodium.UsageLimit = _openssl.UsageLimit = long.MaxValue;
        _sodiumEnvelope = FieldEnvelope.Encrypt(_sodium, FieldMode.Randomized, "clinic.Patient.ssn", _plaintext);
        _opensslEnvelope = FieldEnvelope.Encrypt(_openssl, FieldMode.Randomized, "clinic.Patient.ssn", _plaintext);
        _sivEnvelope = FieldEnvelope.Encrypt(_sodium, FieldMode.Deterministic, "clinic.Patient.ssn", _plaintext);
    }

    [Benchmark(Description = "randomized encrypt, libsodium")]
    public void EncryptSodium() => FieldEnvelope.Encrypt(_sodium, FieldMode.Randomized, Purpose, _plaintext, default, _randomized);

    [Benchmark(Description = "randomized decrypt, libsodium")]
    public void DecryptSodium() => FieldEnvelope.Decrypt(_sodium, Purpose, _sodiumEnvelope, default, _output);

    [Benchmark(Description = "randomized encrypt, OpenSSL (FIPS)")]
    public void EncryptOpenSsl() => FieldEnvelope.Encrypt(_openssl, FieldMode.Randomized, Purpose, _plaintext, default, _randomized);

    [Benchmark(Description = "randomized decrypt, OpenSSL (FIPS)")]
    public void DecryptOpenSsl() => FieldEnvelope.Decrypt(_openssl, Purpose, _opensslEnvelope, default, _output);

    [Benchmark(Description = "deterministic encrypt (AES-SIV)")]
    public void EncryptSiv() => FieldEnvelope.Encrypt(_sodium, FieldMode.Deterministic, Purpose, _plaintext, default, _deterministic);

    [Benchmark(Description = "deterministic decrypt (AES-SIV)")]
    public void DecryptSiv() => FieldEnvelope.Decrypt(_sodium, Purpose, _sivEnvelope, default, _output);

    [GlobalCleanup]
    public void Cleanup()
    {
        _sodium.Dispose();
        _openssl.Dispose();
    }
}

/// <summary>10,000 fields in one batch call (the requirements' batch), both modes.</summary>
[MemoryDiagnoser]
public class FieldBatchBenchmarks
{
    private const int Count = 10_000;
    private static readonly byte[] Purpose = "clinic.Patient.ssn"u8.ToArray();
    private byte[] _values = null!, _envelopes = null!, _sivEnvelopes = null!, _plain = null!;
    private int[] _lengths = null!, _envLengths = null!, _sivLengths = null!, _plainLengths = null!;
    private PhiStatus[] _statuses = null!;
    private FieldKey _key = null!;

    [GlobalSetup]
    public void Setup()
    {
        using var dek = SecretKey.Generate();
        _key = FieldKey.Create(dek, 1);
        _key.UsageLimit = long.MaxValue;
        _values = Enumerable.Range(0, Count).SelectMany(i => System.Text.Encoding.ASCII.GetBytes($"SSN-{i:D9}")).ToArray();
        _lengths = Enumerable.Repeat(13, Count).ToArray();
        _envelopes = new byte[FieldBatch.GetEnvelopesLength(FieldMode.Randomized, 1, _lengths)];
        _sivEnvelopes = new byte[FieldBatch.GetEnvelopesLength(FieldMode.Deterministic, 1, _lengths)];
        _envLengths = new int[Count];
        _sivLengths = new int[Count];
        _plain = new byte[_values.Length];
        _plainLengths = new int[Count];
        _statuses = new PhiStatus[Count];
        EncryptRandomized();
        FieldBatch.Encrypt(_key, FieldMode.Deterministic, Purpose, _values, _lengths, default, _sivEnvelopes, _sivLengths);
    }

    [Benchmark(Description = "10,000 fields randomized encrypt")]
    public void EncryptRandomized() => FieldBatch.Encrypt(_key, FieldMode.Randomized, Purpose, _values, _lengths, default, _envelopes, _envLengths);

    [Benchmark(Description = "10,000 fields randomized decrypt")]
    public void DecryptRandomized() => FieldBatch.Decrypt(_key, Purpose, _envelopes, _envLengths, default, _plain, _plainLengths, _statuses);

    [Benchmark(Description = "10,000 fields deterministic encrypt")]
    public void EncryptDeterministic() => FieldBatch.Encrypt(_key, FieldMode.Deterministic, Purpose, _values, _lengths, default, _sivEnvelopes, _sivLengths);

    [GlobalCleanup]
    public void Cleanup() => _key.Dispose();
}

using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using PhiCrypto.Keys;
using PhiCrypto.Pkcs11;

namespace PhiCrypto.Bench.Keys;

/// <summary>DEK wrap and unwrap on a PKCS#11 token (SoftHSM2, created by tests/services/softhsm.sh).
/// Needs softhsm2 and opensc. Run: ... -- --filter '*Pkcs11*'</summary>
public partial class Pkcs11Benchmarks
{
    private string _dir = null!;
    private Pkcs11Kek _kek = null!;
    private byte[] _wrapped = null!;
    private readonly byte[] _dek = new byte[32];

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), $"phicrypto-bench-hsm-{Guid.NewGuid():N}");
        var output = Script("start");
        string Line(string key) => output.Split('\n').First(l => l.StartsWith(key + "=", StringComparison.Ordinal))[(key.Length + 1)..].Trim();
        setenv("SOFTHSM2_CONF", Line("SOFTHSM2_CONF"), 1); // SoftHSM reads the C environment
        _kek = Pkcs11Kek.Open(Line("PHICRYPTO_PKCS11_URI"));
        (_, _wrapped) = _kek.Wrap(RandomNumberGenerator.GetBytes(32));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _kek.Dispose();
        Script("stop");
    }

    [Benchmark(Description = "DEK unwrap on SoftHSM2 (CKM_AES_KEY_WRAP_PAD)")]
    public void Unwrap() => _kek.Unwrap(WrapAlgorithm.AesKwp, _wrapped, _dek);

    [Benchmark(Description = "DEK wrap on SoftHSM2 (CKM_AES_KEY_WRAP_PAD)")]
    public byte[] Wrap() => _kek.Wrap(_dek).Wrapped;

    private string Script(string verb)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "PhiCryptoCore.sln"))) dir = dir.Parent;
        var script = Path.Combine(dir?.FullName ?? throw new InvalidOperationException("repository root not found"), "tests", "services", "softhsm.sh");
        var psi = new ProcessStartInfo("bash", [script, verb, _dir]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"softhsm.sh {verb} failed: {p.StandardError.ReadToEnd()}");
        return o;
    }
}

using System.Diagnostics;
using System.Runtime.InteropServices;

namespace PhiCrypto.Pkcs11.Tests;

/// <summary>Creates a SoftHSM2 token with tests/services/softhsm.sh and removes it in Dispose.</summary>
public sealed partial class SoftHsmFixture : IDisposable
{
    public SoftHsmFixture()
    {
        Dir = Path.Combine(Path.GetTempPath(), $"phicrypto-hsm-{Guid.NewGuid():N}");
        Script = Path.Combine(RepoRoot(), "tests", "services", "softhsm.sh");
        var (code, output) = RunScript("start");
        if (code != 0) throw new InvalidOperationException($"softhsm.sh start failed ({code}): {output}");
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = line.IndexOf('=');
            if (eq <= 0) continue;
            var (k, v) = (line[..eq], line[(eq + 1)..].Trim());
            if (k == "SOFTHSM2_CONF") Conf = v;
            if (k == "PHICRYPTO_PKCS11_URI") Uri = v;
        }
        if (Conf is null || Uri is null) throw new InvalidOperationException($"softhsm.sh printed no URI: {output}");
        // SoftHSM reads getenv(); .NET's SetEnvironmentVariable does not reach the C environment.
        setenv("SOFTHSM2_CONF", Conf, 1);
        Environment.SetEnvironmentVariable("SOFTHSM2_CONF", Conf);
        Pin = File.ReadAllText(Path.Combine(Dir, "pin"));
    }

    public string Dir { get; }
    public string Script { get; }
    public string? Conf { get; }
    public string Uri { get; } = "";
    public string Pin { get; }
    public const string Module = "/usr/lib/softhsm/libsofthsm2.so";
    public const string Token = "phicrypto-test";

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);

    private (int, string) RunScript(string verb)
    {
        var psi = new ProcessStartInfo("bash", [Script, verb, Dir]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "PhiCryptoCore.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    public void Dispose() => RunScript("stop");
}

[CollectionDefinition("softhsm")]
public sealed class SoftHsmCollection : ICollectionFixture<SoftHsmFixture>;

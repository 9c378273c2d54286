// Test support shared by every test project (linked in by tests/Directory.Build.props): the repository
// root, and the throwaway services of tests/services/*.sh, started from the project's own scripts on
// 127.0.0.1 and stopped in Dispose.
using System.Diagnostics;

namespace PhiCrypto.Tests.Shared;

public static class Repo
{
    /// <summary>The folder holding PhiCryptoCore.sln, found above the test assembly.</summary>
    public static string Root { get; } = Find();

    public static string ServiceScript(string name) => Path.Combine(Root, "tests", "services", name);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "PhiCryptoCore.sln"))) return dir.FullName;
        throw new InvalidOperationException("repository root (PhiCryptoCore.sln) not found above the test assembly");
    }
}

/// <summary>Starts a throwaway service with one of tests/services/*.sh and stops it in Dispose.</summary>
public abstract class ServiceScript : IDisposable
{
    protected ServiceScript(string script)
    {
        Dir = Path.Combine(Path.GetTempPath(), $"phicrypto-svc-{Guid.NewGuid():N}");
        Script = Repo.ServiceScript(script);
        var (code, output) = Run("start");
        if (code != 0) throw new InvalidOperationException($"{script} start failed ({code}): {output}");
        Output = output;
    }

    public string Dir { get; }
    public string Script { get; }
    public string Output { get; }

    /// <summary>The value of a KEY=value line the start command printed.</summary>
    protected string Line(string key) =>
        Output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(key + "=", StringComparison.Ordinal))?[(key.Length + 1)..]
        ?? throw new InvalidOperationException($"{Path.GetFileName(Script)} printed no {key}: {Output}");

    private (int, string) Run(string verb)
    {
        var psi = new ProcessStartInfo("bash", [Script, verb, Dir]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, o.Result + e.Result);
    }

    public virtual void Dispose() => Run("stop");
}

/// <summary>A throwaway PostgreSQL 15 (tests/services/postgres.sh).</summary>
public class PostgresService() : ServiceScript("postgres.sh")
{
    /// <summary>postgresql://USER@127.0.0.1:PORT/postgres</summary>
    public string Url => Output.Trim().Split('\n')[^1].Trim();

    public int Port => new Uri(Url).Port;
    public string User => new Uri(Url).UserInfo;

    /// <summary>A URL whose tables live in a schema of their own, so tests do not see each other's keyrings.</summary>
    public string FreshSchemaUrl() => $"{Url}?schema=t_{Guid.NewGuid():N}";
}

/// <summary>A SoftHSM2 token with an AES-256 KEK object (tests/services/softhsm.sh).</summary>
public class SoftHsmService() : ServiceScript("softhsm.sh")
{
    public const string Module = "/usr/lib/softhsm/libsofthsm2.so";
    public const string Token = "phicrypto-test";

    public string Conf => Line("SOFTHSM2_CONF");
    public string Uri => Line("PHICRYPTO_PKCS11_URI");
    public string Pin => File.ReadAllText(Path.Combine(Dir, "pin"));
}

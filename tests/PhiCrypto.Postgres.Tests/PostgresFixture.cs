using System.Diagnostics;

namespace PhiCrypto.Postgres.Tests;

/// <summary>Runs tests/services/postgres.sh to start a throwaway PostgreSQL 15 for the test class, and stops it in Dispose.</summary>
public sealed class PostgresFixture : IDisposable
{
    public PostgresFixture()
    {
        Dir = Path.Combine(Path.GetTempPath(), $"phicrypto-pg-{Guid.NewGuid():N}");
        Script = Path.Combine(RepoRoot(), "tests", "services", "postgres.sh");
        var (code, output) = RunScript("start");
        if (code != 0) throw new InvalidOperationException($"postgres.sh start failed ({code}): {output}");
        Url = output.Trim().Split('\n')[^1].Trim();
    }

    public string Dir { get; }
    public string Script { get; }
    public string Url { get; }

    /// <summary>A URL whose tables live in a schema of their own, so tests do not see each other's keyrings.</summary>
    public string FreshSchemaUrl() => $"{Url}?schema=t_{Guid.NewGuid():N}";

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
        return dir?.FullName ?? throw new InvalidOperationException("repository root (PhiCryptoCore.sln) not found above the test assembly");
    }

    public void Dispose() => RunScript("stop");
}

[CollectionDefinition("postgres")]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>;

using System.Diagnostics;

namespace PhiCrypto.Cli.Tests;

/// <summary>Runs the built `phicrypt` executable (the apphost copied beside the tests) and captures its output.</summary>
public static class Phicrypt
{
    public static string ExePath { get; } = Path.Combine(AppContext.BaseDirectory, "phicrypt");

    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(string args, IDictionary<string, string>? env = null, string? stdin = null, string? workDir = null)
    {
        var psi = new ProcessStartInfo(ExePath, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            WorkingDirectory = workDir ?? Environment.CurrentDirectory,
        };
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        if (stdin is not null) { p.StandardInput.Write(stdin); p.StandardInput.Close(); }
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}

// A child process of a backup or restore (pg_dump, pg_restore, psql): stdin/stdout are pipes we stream
// through, stderr is kept (last few KB) so a failure can say why. Its exit status decides: a dump
// whose producer exited non-zero is a failed dump, however valid its bytes look.
using System.Diagnostics;
using System.Text;

namespace PhiCrypto.Cli.Backups;

/// <summary>One external program with piped standard streams.</summary>
internal sealed class ChildProcess : IDisposable
{
    private const int StderrKeep = 4096;
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly Thread _stderrReader;

    public string Name { get; }

    private ChildProcess(string name, Process process)
    {
        Name = name;
        _process = process;
        _stderrReader = new Thread(ReadStderr) { IsBackground = true, Name = name + " stderr" };
        _stderrReader.Start();
    }

    /// <summary>Starts <paramref name="file"/> with the argument list; stdin and stdout are piped if asked.</summary>
    public static ChildProcess Start(string file, IEnumerable<string> args, bool pipeStdin, bool pipeStdout)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardInput = pipeStdin,
            RedirectStandardOutput = pipeStdout,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process process;
        try { process = Process.Start(psi) ?? throw new IOException($"{file} did not start"); }
        catch (System.ComponentModel.Win32Exception e) { throw new IOException($"cannot run {file}: {e.Message}"); }
        return new ChildProcess(Path.GetFileName(file), process);
    }

    public Stream Stdin => _process.StandardInput.BaseStream;
    public Stream Stdout => _process.StandardOutput.BaseStream;

    /// <summary>Waits for exit; throws with the tail of stderr when the status is not 0.</summary>
    public void WaitAndCheck()
    {
        _process.WaitForExit();
        _stderrReader.Join();
        if (_process.ExitCode != 0)
            throw new BackupFailedException($"{Name} exited with status {_process.ExitCode}{StderrSuffix()}");
    }

    /// <summary>The last line(s) of stderr, for an error message.</summary>
    public string StderrSuffix()
    {
        string text;
        lock (_stderr) text = _stderr.ToString().Trim();
        return text.Length == 0 ? "" : ": " + text.ReplaceLineEndings(" | ");
    }

    /// <summary>Ends the process if it still runs (on failure elsewhere in the pipeline).</summary>
    public void Kill()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }
    }

    private void ReadStderr()
    {
        var buffer = new char[1024];
        var reader = _process.StandardError;
        int n;
        while ((n = reader.Read(buffer, 0, buffer.Length)) > 0)
            lock (_stderr)
            {
                _stderr.Append(buffer, 0, n);
                if (_stderr.Length > StderrKeep) _stderr.Remove(0, _stderr.Length - StderrKeep);
            }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    /// <summary>Runs a program to completion and returns its stdout (for `pg_dump --version`).</summary>
    public static string RunForOutput(string file, params string[] args)
    {
        using var p = Start(file, args, pipeStdin: false, pipeStdout: true);
        string output = new StreamReader(p.Stdout).ReadToEnd();
        p.WaitAndCheck();
        return output.Trim();
    }
}

/// <summary>A backup, restore or verify that did not complete: one line for the operator.</summary>
internal class BackupFailedException(string message) : PhiCryptoException(PhiStatus.IoError, message);

/// <summary>A stored part that is missing, truncated, longer or corrupted: the message names the part.</summary>
internal sealed class BackupPartException(string part, string problem) : BackupFailedException($"backup part {part} {problem}");

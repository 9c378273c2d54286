using System.Diagnostics;
using System.Security.Cryptography;

namespace PhiCrypto.Cli.Tests;

/// <summary>A scratch directory with a raw key for the streaming command tests; deleted on dispose.</summary>
public sealed class StreamTestDir : IDisposable
{
    public StreamTestDir()
    {
        Path = Directory.CreateTempSubdirectory("phicrypt-stream-").FullName;
        System.IO.File.WriteAllBytes(KeyFile, RandomNumberGenerator.GetBytes(32));
    }

    public string Path { get; }
    public string KeyFile => File("key.bin");
    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string WriteRandom(string name, int length, int seed = 1)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        System.IO.File.WriteAllBytes(File(name), data);
        return File(name);
    }

    /// <summary>Makes an RSA recovery key pair (rec.pub, rec.pem) and encrypts to the raw key plus the recovery key.</summary>
    public void EncryptWithRecoveryKey(string input, string output)
    {
        using var rsa = RSA.Create(3072);
        System.IO.File.WriteAllText(File("rec.pub"), rsa.ExportSubjectPublicKeyInfoPem());
        System.IO.File.WriteAllText(File("rec.pem"), rsa.ExportPkcs8PrivateKeyPem());
        var r = Run($"encrypt {input} -o {output} --key-file key.bin --recovery-key rec.pub");
        if (r.ExitCode != 0) throw new InvalidOperationException(r.Stderr);
    }

    /// <summary>Runs a shell command line in the directory ($P is the phicrypt executable).</summary>
    public Phicrypt.Result Shell(string commandLine)
    {
        var psi = new ProcessStartInfo("/bin/sh", ["-c", commandLine])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path,
        };
        psi.Environment["P"] = Phicrypt.ExePath;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return new Phicrypt.Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    public Phicrypt.Result Run(string args) => Phicrypt.Run(args, workDir: Path);

    /// <summary>Files left in the directory other than the given ones (temporary outputs must not remain).</summary>
    public string[] Leftovers(params string[] expected) =>
        Directory.GetFiles(Path, "*", SearchOption.TopDirectoryOnly).Select(System.IO.Path.GetFileName).Where(n => !expected.Contains(n)).ToArray()!;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

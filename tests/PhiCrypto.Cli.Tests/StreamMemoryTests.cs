using System.Diagnostics;
using System.Security.Cryptography;

namespace PhiCrypto.Cli.Tests;

/// <summary>Encrypting and decrypting a 500 MB file keeps the phicrypt process's peak RSS under 100 MB.</summary>
public class StreamMemoryTests
{
    private const long FileSize = 500_000_000;
    private const long LimitKiB = 100 * 1024;

    [Fact]
    public void FiveHundredMegabytesInBoundedMemory()
    {
        using var d = new StreamTestDir();
        var block = RandomNumberGenerator.GetBytes(1 << 20);
        using (var f = File.Create(d.File("big.bin")))
            for (long written = 0; written < FileSize; written += block.Length)
                f.Write(block, 0, (int)Math.Min(block.Length, FileSize - written));

        long encryptPeak = PeakRssKiB(d, "encrypt big.bin -o big.phi --key-file key.bin --context file=big.bin");
        Assert.Equal(FileSize + 0, new FileInfo(d.File("big.bin")).Length);
        long decryptPeak = PeakRssKiB(d, "decrypt big.phi -o back.bin --key-file key.bin");
        Assert.True(encryptPeak > 0 && decryptPeak > 0, "VmHWM was not sampled");
        Assert.True(encryptPeak < LimitKiB, $"encrypt peak RSS {encryptPeak} KiB");
        Assert.True(decryptPeak < LimitKiB, $"decrypt peak RSS {decryptPeak} KiB");
        Assert.Equal(Hash(d.File("big.bin")), Hash(d.File("back.bin")));
    }

    /// <summary>Runs phicrypt and polls /proc/PID/status for VmHWM (the kernel's peak resident set) until it exits.</summary>
    private static long PeakRssKiB(StreamTestDir d, string args)
    {
        var psi = new ProcessStartInfo(Phicrypt.ExePath, args) { WorkingDirectory = d.Path, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        long peak = 0;
        while (!p.HasExited)
        {
            try
            {
                foreach (var line in File.ReadLines($"/proc/{p.Id}/status"))
                    if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                        peak = Math.Max(peak, long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]));
            }
            catch (IOException) { }           // exited between the check and the read
            catch (FormatException) { }
            Thread.Sleep(5);
        }
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, stderr.Result);
        return peak;
    }

    private static string Hash(string path)
    {
        using var f = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(f));
    }
}

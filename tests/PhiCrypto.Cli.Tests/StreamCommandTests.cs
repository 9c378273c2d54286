using System.Text.Json;

namespace PhiCrypto.Cli.Tests;

/// <summary>`phicrypt encrypt`, `decrypt` and `inspect` as a user runs them.</summary>
public class StreamCommandTests
{
    [Fact]
    public void EncryptDecryptRoundTripsAFile()
    {
        using var d = new StreamTestDir();
        d.WriteRandom("scan.dcm", 300_000);
        var enc = d.Run("encrypt scan.dcm -o scan.phi --key-file key.bin --context patient=P-1 --context type=dicom --frame-size 16K");
        Assert.True(enc.ExitCode == 0, enc.Stderr);
        var dec = d.Run("decrypt scan.phi -o back.dcm --key-file key.bin --expect-context patient=P-1");
        Assert.True(dec.ExitCode == 0, dec.Stderr);
        Assert.Equal(File.ReadAllBytes(d.File("scan.dcm")), File.ReadAllBytes(d.File("back.dcm")));
        Assert.Empty(d.Leftovers("key.bin", "scan.dcm", "scan.phi", "back.dcm"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("--signed")]
    public void PipesWorkBothWays(string signed)
    {
        using var d = new StreamTestDir();
        d.WriteRandom("in.bin", 1_000_003);
        var r = d.Shell($"cat in.bin | \"$P\" encrypt - --key-file key.bin {signed} | \"$P\" decrypt - --key-file key.bin > out.bin && cmp in.bin out.bin");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var viaO = d.Shell($"cat in.bin | \"$P\" encrypt - -o x.phi --key-file key.bin {signed} && \"$P\" decrypt x.phi -o - --key-file key.bin | cmp - in.bin");
        Assert.True(viaO.ExitCode == 0, viaO.Stderr);
    }

    [Fact]
    public void FailedDecryptLeavesNoOutputFile()
    {
        using var d = new StreamTestDir();
        d.WriteRandom("in.bin", 200_000);
        Assert.Equal(0, d.Run("encrypt in.bin -o in.phi --key-file key.bin --frame-size 4K").ExitCode);
        var bytes = File.ReadAllBytes(d.File("in.phi"));
        bytes[bytes.Length - 100] ^= 1;   // in the final frame: every earlier frame verifies and is written first
        File.WriteAllBytes(d.File("bad.phi"), bytes);
        var r = d.Run("decrypt bad.phi -o out.bin --key-file key.bin");
        Assert.Equal(ExitCodes.AuthenticationFailed, r.ExitCode);
        Assert.Equal("phicrypt: authentication failed", r.Stderr.Trim());
        Assert.Empty(d.Leftovers("key.bin", "in.bin", "in.phi", "bad.phi"));

        File.WriteAllBytes(d.File("short.phi"), bytes[..^5000]);
        Assert.Equal(ExitCodes.MalformedData, d.Run("decrypt short.phi -o out.bin --key-file key.bin").ExitCode);
        Assert.False(File.Exists(d.File("out.bin")));
    }

    [Fact]
    public void ErrorsMapToExitCodes()
    {
        using var d = new StreamTestDir();
        d.WriteRandom("in.bin", 5000);
        d.WriteRandom("other.key", 32, seed: 9);
        Assert.Equal(0, d.Run("encrypt in.bin -o in.phi --key-file key.bin --context a=1").ExitCode);
        Assert.Equal(ExitCodes.KeyNotFound, d.Run("decrypt in.phi -o o --key-file other.key").ExitCode);
        Assert.Equal(ExitCodes.KeyNotFound, d.Run("decrypt in.phi -o o --key-file key.bin --key-name files/v9").ExitCode);
        Assert.Equal(ExitCodes.PolicyViolation, d.Run("decrypt in.phi -o o --key-file key.bin --expect-context a=2").ExitCode);
        Assert.Equal(ExitCodes.MalformedData, d.Run("decrypt in.bin -o o --key-file key.bin").ExitCode);
        Assert.Equal(ExitCodes.MalformedData, d.Run("inspect in.bin").ExitCode);
        Assert.Equal(ExitCodes.Usage, d.Run("encrypt in.bin -o x --key-file key.bin --frame-size 1K").ExitCode);
        Assert.Equal(ExitCodes.Usage, d.Run("encrypt in.bin -o x --key-file key.bin --bogus").ExitCode);
        Assert.Equal(ExitCodes.Usage, d.Run("encrypt in.bin -o x --key-file in.bin").ExitCode);
        Assert.Equal(ExitCodes.Usage, d.Run("decrypt - --range 0-10 --key-file key.bin").ExitCode);
        Assert.Equal(ExitCodes.IoError, d.Run("encrypt missing.bin -o x --key-file key.bin").ExitCode);
        Assert.Empty(d.Leftovers("key.bin", "other.key", "in.bin", "in.phi"));
    }

    [Fact]
    public void RangeDecryptsTheSlice()
    {
        using var d = new StreamTestDir();
        var data = File.ReadAllBytes(d.WriteRandom("in.bin", 100_000));
        Assert.Equal(0, d.Run("encrypt in.bin -o in.phi --key-file key.bin --frame-size 4K --signed").ExitCode);
        Assert.Equal(0, d.Run("decrypt in.phi -o part --key-file key.bin --range 4000-8200").ExitCode);
        Assert.Equal(data[4000..8201], File.ReadAllBytes(d.File("part")));
        Assert.Equal(0, d.Run("decrypt in.phi -o tail --key-file key.bin --range 99990-").ExitCode);
        Assert.Equal(data[99990..], File.ReadAllBytes(d.File("tail")));
    }

    [Fact]
    public void InspectShowsHeaderWithoutKey()
    {
        using var d = new StreamTestDir();
        d.WriteRandom("in.bin", 70_000);
        Assert.Equal(0, d.Run("encrypt in.bin -o in.phi --key-file key.bin --key-name files/v3 --context file=scan.dcm --frame-size 32K --signed").ExitCode);
        var r = d.Run("inspect in.phi --json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var json = JsonDocument.Parse(r.Stdout);
        var root = json.RootElement;
        Assert.Equal(1, root.GetProperty("version").GetInt32());          // the report layout
        Assert.Equal("inspect", root.GetProperty("report").GetString());
        Assert.Equal(2, root.GetProperty("message_version").GetInt32());
        Assert.Equal("0x0578", root.GetProperty("suite").GetString());
        Assert.Equal(32768, root.GetProperty("frame_length").GetInt32());
        Assert.Equal(3, root.GetProperty("frame_count").GetInt32());
        Assert.Equal(70_000, root.GetProperty("plaintext_length").GetInt64());
        Assert.Equal("files/v3", root.GetProperty("encrypted_data_keys")[0].GetProperty("key_name").GetString());
        Assert.Equal("files", root.GetProperty("encrypted_data_keys")[0].GetProperty("purpose").GetString());
        Assert.Equal(3, root.GetProperty("encrypted_data_keys")[0].GetProperty("key_version").GetInt32());
        Assert.Equal("scan.dcm", root.GetProperty("encryption_context").GetProperty("file").GetString());
        var text = d.Run("inspect in.phi");
        Assert.Contains("phicrypto / files/v3", text.Stdout);
        Assert.Contains("purpose files, version 3", text.Stdout);
        Assert.Contains("unauthenticated", text.Stdout);
    }

    [Fact]
    public void RecoveryKeyDecryptsWithoutTheMainKey()
    {
        using var d = new StreamTestDir();
        d.WriteRandom("in.bin", 10_000);
        d.EncryptWithRecoveryKey("in.bin", "in.phi");
        var r = d.Run("decrypt in.phi -o out.bin --recovery-private-key rec.pem");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(File.ReadAllBytes(d.File("in.bin")), File.ReadAllBytes(d.File("out.bin")));
    }

    [Theory]
    [InlineData("encrypt")]
    [InlineData("decrypt")]
    [InlineData("inspect")]
    public void EveryCommandHasHelp(string command)
    {
        var r = Phicrypt.Run($"{command} --help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains($"usage: phicrypt {command}", r.Stdout);
        Assert.Contains("exit codes", r.Stdout);
    }

    [Fact]
    public void RefusesBinaryToATerminalOnlyWhenStdoutIsATerminal()
    {
        // Under the test runner stdout is a pipe, so `-o -` is allowed and writes the message there.
        using var d = new StreamTestDir();
        d.WriteRandom("in.bin", 10);
        var r = d.Run("encrypt in.bin -o - --key-file key.bin");
        Assert.Equal(0, r.ExitCode);
        Assert.NotEmpty(r.Stdout);
    }
    [Fact]
    public void DeviceOutputIsWrittenInPlaceNotReplaced()
    {
        // A symlink to /dev/null stands in for the device: renaming a temporary file over the target
        // would turn the link into a regular file (and, for /dev/null itself, replace the device node).
        using var d = new StreamTestDir();
        d.WriteRandom("in.bin", 100_000);
        File.CreateSymbolicLink(d.File("sink"), "/dev/null");
        Assert.Equal(0, d.Run("encrypt in.bin -o sink --key-file key.bin").ExitCode);
        Assert.Equal("/dev/null", new FileInfo(d.File("sink")).LinkTarget);
        Assert.Empty(d.Leftovers("key.bin", "in.bin", "sink"));
    }
    [Fact]
    public void TerminatedEncryptLeavesNoTemporaryFile()
    {
        using var d = new StreamTestDir();
        var psi = new System.Diagnostics.ProcessStartInfo(Phicrypt.ExePath, "encrypt - -o out.phi --key-file key.bin")
        {
            WorkingDirectory = d.Path, RedirectStandardInput = true, RedirectStandardError = true,
        };
        using var p = System.Diagnostics.Process.Start(psi)!;
        p.StandardInput.BaseStream.Write(new byte[200_000]);     // more than one frame; stdin stays open
        p.StandardInput.BaseStream.Flush();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (d.Leftovers("key.bin").Length == 0 && DateTime.UtcNow < deadline) Thread.Sleep(20);
        Assert.Single(d.Leftovers("key.bin"));                    // the temporary file, not out.phi
        Assert.False(File.Exists(d.File("out.phi")));
        using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", p.Id.ToString()])) kill.WaitForExit();
        Assert.True(p.WaitForExit(30_000));
        Assert.Empty(d.Leftovers("key.bin"));
    }
}

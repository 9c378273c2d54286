using System.Diagnostics;
using System.Text.Json;

namespace PhiCrypto.Cli.Tests;

/// <summary>
/// Interoperability with an independent implementation: the AWS Encryption SDK for JavaScript
/// (@aws-crypto/client-node 5.0.2, tests/interop-js), installed from npm by this test if needed.
/// </summary>
public class StreamInteropTests
{
    private static readonly Lazy<string> JsDir = new(Install);

    private const string Committing = "ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY";
    private const string Signed = "ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY_ECDSA_P384";

    [Theory]
    [InlineData(false, "4K", 0)]
    [InlineData(false, "64K", 200_000)]
    [InlineData(false, "1M", 3 * 1024 * 1024 + 1)]
    [InlineData(true, "4K", 4096)]
    [InlineData(true, "64K", 200_001)]
    [InlineData(true, "16K", 1)]
    public void JavaScriptSdkDecryptsOurMessages(bool signed, string frame, int length)
    {
        using var d = new StreamTestDir();
        d.WriteRandom("in.bin", length);
        var enc = d.Run($"encrypt in.bin -o in.phi --key-file key.bin --key-name files/v2 --frame-size {frame} --context patient=P-{length} --context \"file=scan 1.dcm\" {(signed ? "--signed" : "")}");
        Assert.True(enc.ExitCode == 0, enc.Stderr);
        var js = Node(d, "decrypt.js", "--key", d.KeyFile, "--namespace", "phicrypto", "--name", "files/v2", "--in", d.File("in.phi"), "--out", d.File("out.bin"));
        using var info = JsonDocument.Parse(js);
        Assert.Equal(signed ? 0x0578 : 0x0478, info.RootElement.GetProperty("suite").GetInt32());
        Assert.Equal($"P-{length}", info.RootElement.GetProperty("context").GetProperty("patient").GetString());
        Assert.Equal("scan 1.dcm", info.RootElement.GetProperty("context").GetProperty("file").GetString());
        Assert.Equal(File.ReadAllBytes(d.File("in.bin")), File.ReadAllBytes(d.File("out.bin")));
    }

    [Theory]
    [InlineData(Committing, 4096, 0)]
    [InlineData(Committing, 65536, 300_000)]
    [InlineData(Committing, 5000, 10_000)]
    [InlineData(Signed, 4096, 8192)]
    [InlineData(Signed, 65536, 150_001)]
    public void WeDecryptJavaScriptSdkMessages(string suite, int frame, int length)
    {
        using var d = new StreamTestDir();
        d.WriteRandom("in.bin", length);
        var context = JsonSerializer.Serialize(new Dictionary<string, string> { ["content-type"] = "image/dicom", ["n"] = length.ToString() });
        Node(d, "encrypt.js", "--key", d.KeyFile, "--namespace", "phicrypto", "--name", "raw", "--suite", suite, "--frame", frame.ToString(),
            "--context", context, "--in", d.File("in.bin"), "--out", d.File("js.phi"));
        var inspect = d.Run("inspect js.phi --json");
        using (var json = JsonDocument.Parse(inspect.Stdout))
        {
            Assert.Equal(frame, json.RootElement.GetProperty("frame_length").GetInt32());
            Assert.Equal(suite == Signed, json.RootElement.GetProperty("signed").GetBoolean());
        }
        var dec = d.Run($"decrypt js.phi -o out.bin --key-file key.bin --expect-context n={length}");
        Assert.True(dec.ExitCode == 0, dec.Stderr);
        Assert.Equal(File.ReadAllBytes(d.File("in.bin")), File.ReadAllBytes(d.File("out.bin")));
        var range = d.Run($"decrypt js.phi -o part.bin --key-file key.bin --range {length / 3}-{length / 2}");
        Assert.True(range.ExitCode == 0, range.Stderr);
        Assert.Equal(File.ReadAllBytes(d.File("in.bin"))[(length / 3)..Math.Min(length, length / 2 + 1)], File.ReadAllBytes(d.File("part.bin")));
    }

    [Fact]
    public void JavaScriptSdkUnwrapsOurRecoveryKey()
    {
        using var d = new StreamTestDir();
        d.WriteRandom("in.bin", 50_000);
        d.EncryptWithRecoveryKey("in.bin", "in.phi");
        using var json = JsonDocument.Parse(d.Run("inspect in.phi --json").Stdout);
        string name = json.RootElement.GetProperty("encrypted_data_keys")[1].GetProperty("key_name").GetString()!;
        Node(d, "decrypt.js", "--rsa-private", d.File("rec.pem"), "--namespace", "phicrypto", "--name", name, "--in", d.File("in.phi"), "--out", d.File("out.bin"));
        Assert.Equal(File.ReadAllBytes(d.File("in.bin")), File.ReadAllBytes(d.File("out.bin")));
    }

    internal static string Node(StreamTestDir d, string script, params string[] args)
    {
        var psi = new ProcessStartInfo("node", [Path.Combine(JsDir.Value, script), .. args])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = d.Path,
        };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"node {script} failed: {stderr.Result}");
        return stdout.Result;
    }

    /// <summary>Finds tests/interop-js above the test assembly and runs `npm ci` there when node_modules is absent.</summary>
    private static string Install()
    {
        string? dir = null;
        for (var at = new DirectoryInfo(AppContext.BaseDirectory); at is not null && dir is null; at = at.Parent)
            if (File.Exists(Path.Combine(at.FullName, "tests", "interop-js", "package.json"))) dir = Path.Combine(at.FullName, "tests", "interop-js");
        Assert.True(dir is not null, "tests/interop-js not found above the test assembly");
        if (!Directory.Exists(Path.Combine(dir!, "node_modules", "@aws-crypto", "client-node")))
        {
            var psi = new ProcessStartInfo("npm", File.Exists(Path.Combine(dir!, "package-lock.json")) ? ["ci", "--no-audit", "--no-fund"] : ["install", "--no-audit", "--no-fund"])
            { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, "npm install failed: " + err.Result);
        }
        return dir!;
    }
}

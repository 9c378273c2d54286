using System.Text;
using System.Text.Json;

namespace PhiCrypto.Cli.Tests;

/// <summary>
/// `encrypt --compress zstd`: the message's plaintext is a zstd seekable stream. Our decrypt decompresses
/// (whole and by range); the AWS Encryption SDK for JavaScript decrypts it to the stored stream, which a
/// plain `zstd -d` turns back into the original.
/// </summary>
public class CompressedContentCliTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1024 * 1024)]            // exactly one compressed frame
    [InlineData(3 * 1024 * 1024 + 17)]   // four frames, the last short
    public void RoundTripsAndOtherSdksSeeAZstdStream(int length)
    {
        using var d = new StreamTestDir();
        File.WriteAllBytes(d.File("in.txt"), Records(length));
        var enc = d.Run("encrypt in.txt -o in.phi --key-file key.bin --compress zstd --context patient=P-7");
        Assert.True(enc.ExitCode == 0, enc.Stderr);
        if (length > 0) Assert.True(new FileInfo(d.File("in.phi")).Length < length / 4);

        var dec = d.Run("decrypt in.phi -o out.txt --key-file key.bin");
        Assert.True(dec.ExitCode == 0, dec.Stderr);
        Assert.Equal(File.ReadAllBytes(d.File("in.txt")), File.ReadAllBytes(d.File("out.txt")));

        var js = StreamInteropTests.Node(d, "decrypt.js", "--key", d.KeyFile, "--namespace", "phicrypto", "--name", "raw", "--in", d.File("in.phi"), "--out", d.File("js.zst"));
        using (var info = JsonDocument.Parse(js))
            Assert.Equal("zstd-seekable", info.RootElement.GetProperty("context").GetProperty("phicrypto:content-encoding").GetString());
        var unzstd = d.Shell("zstd -d -q -c js.zst > js.txt");
        Assert.True(unzstd.ExitCode == 0, unzstd.Stderr);
        Assert.Equal(File.ReadAllBytes(d.File("in.txt")), File.ReadAllBytes(d.File("js.txt")));

        var stored = d.Run("decrypt in.phi -o stored.zst --key-file key.bin --compressed");
        Assert.True(stored.ExitCode == 0, stored.Stderr);
        Assert.Equal(File.ReadAllBytes(d.File("js.zst")), File.ReadAllBytes(d.File("stored.zst")));
    }

    [Theory]
    [InlineData(0, 99)]
    [InlineData(1024 * 1024 - 10, 1024 * 1024 + 10)]   // across a frame boundary
    [InlineData(2_500_000, 3_000_000)]
    public void RangesMapThroughTheSeekTable(int start, int end)
    {
        using var d = new StreamTestDir();
        var plaintext = Records(3 * 1024 * 1024 + 17);
        File.WriteAllBytes(d.File("in.txt"), plaintext);
        Assert.Equal(0, d.Run("encrypt in.txt -o in.phi --key-file key.bin --compress zstd").ExitCode);
        var range = d.Run($"decrypt in.phi -o part.txt --key-file key.bin --range {start}-{end}");
        Assert.True(range.ExitCode == 0, range.Stderr);
        Assert.Equal(plaintext[start..(end + 1)], File.ReadAllBytes(d.File("part.txt")));
    }

    [Fact]
    public void ATamperedCompressedMessageFailsAndLeavesNoOutput()
    {
        using var d = new StreamTestDir();
        File.WriteAllBytes(d.File("in.txt"), Records(500_000));
        Assert.Equal(0, d.Run("encrypt in.txt -o in.phi --key-file key.bin --compress zstd").ExitCode);
        var bytes = File.ReadAllBytes(d.File("in.phi"));
        bytes[bytes.Length - 40] ^= 1;
        File.WriteAllBytes(d.File("in.phi"), bytes);
        var dec = d.Run("decrypt in.phi -o out.txt --key-file key.bin");
        Assert.Equal(3, dec.ExitCode);
        Assert.Empty(d.Leftovers("in.txt", "in.phi", "key.bin"));
    }

    [Fact]
    public void AnUnknownCompressionIsAUsageError()
    {
        using var d = new StreamTestDir();
        Assert.Equal(2, d.Run("encrypt in.txt -o x --key-file key.bin --compress lz4").ExitCode);
    }

    private static byte[] Records(int length)
    {
        var text = new StringBuilder(length + 64);
        for (int i = 0; text.Length < length; i++) text.Append($"{{\"mrn\":\"{i * 7919 % 1_000_003}\",\"dx\":\"E11.{i % 10}\",\"note\":\"follow-up\"}}\n");
        return Encoding.ASCII.GetBytes(text.ToString(0, length));
    }
}

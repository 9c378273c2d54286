using PhiCrypto.Cli.Backups;

namespace PhiCrypto.Cli.Tests;

/// <summary>Option parsing and the manifest, without processes.</summary>
public sealed class BackupUnitTests
{
    [Theory]
    [InlineData("1G", 1L << 30)]
    [InlineData("500M", 500L << 20)]
    [InlineData("2048K", 2048L << 10)]
    [InlineData("1048576", 1L << 20)]
    public void Sizes_parse_with_binary_units(string text, long expected) => Assert.Equal(expected, BackupArgs.ParseSize(text));

    [Theory]
    [InlineData("0")]
    [InlineData("1K")]
    [InlineData("-5M")]
    [InlineData("1X")]
    [InlineData("")]
    public void Bad_or_tiny_sizes_are_usage_errors(string text) => Assert.Throws<UsageException>(() => BackupArgs.ParseSize(text));

    [Fact]
    public void Dump_args_split_on_whitespace_and_keep_quoted_groups() =>
        Assert.Equal(["--schema", "a b", "-t", "x"], BackupArgs.SplitArgs("  --schema 'a b'  -t \"x\" "));

    [Fact]
    public void Custom_format_without_pg_dump_compression_is_the_default()
    {
        Assert.Equal(["--format=custom", "--compress=0"], DumpArgs.Prepare([], out var f));
        Assert.Equal("custom", f);
        Assert.Equal(["--format=custom", "-Z6"], DumpArgs.Prepare(["-Z6"], out _));
        Assert.Equal(["-Fp", "--no-owner"], DumpArgs.Prepare(["-Fp", "--no-owner"], out f));
        Assert.Equal("plain", f);
    }

    [Theory]
    [InlineData("-f")]
    [InlineData("--file=x")]
    [InlineData("-j4")]
    [InlineData("-Fd")]
    [InlineData("--format=directory")]
    [InlineData("--dbname=other")]
    public void Dump_args_that_redirect_output_or_cannot_stream_are_refused(string arg) =>
        Assert.Throws<UsageException>(() => DumpArgs.Prepare([arg], out _));

    [Fact]
    public void Manifest_round_trips_and_rejects_hostile_part_names()
    {
        var m = new BackupManifest { BackupId = "abc", Compression = "zstd", Parts = [new ManifestPart { Name = "part-00001.phi", Bytes = 5, Sha256 = new string('0', 64) }] };
        var back = BackupManifest.Parse(m.ToJson());
        Assert.Equal("part-00001.phi", back.Parts[0].Name);
        m.Parts[0].Name = "../../etc/passwd";
        Assert.Throws<MalformedDataException>(() => BackupManifest.Parse(m.ToJson()));
        Assert.Throws<MalformedDataException>(() => BackupManifest.Parse("{"u8.ToArray()));
    }
}

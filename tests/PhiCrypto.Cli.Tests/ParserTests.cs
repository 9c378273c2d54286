using PhiCrypto.Cli.Parsing;

namespace PhiCrypto.Cli.Tests;

/// <summary>Issue 15 section 1: one parser (System.CommandLine) for every command: --help and --version
/// everywhere, one size syntax, one rule for repeated options, usage errors exit 2, shell completion.</summary>
public sealed class ParserTests
{
    public static readonly TheoryData<string> Commands = new()
    {
        "demo", "keys", "keys init", "keys add", "keys list", "keys rotate", "keys rewrap", "keys state", "keys export",
        "keys import", "keys audit", "keys signing-key", "encrypt", "decrypt", "inspect", "backup", "restore", "verify", "completion",
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public void Every_command_has_help_and_version(string command)
    {
        var help = Phicrypt.Run($"{command} --help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains($"usage: phicrypt {command.Split(' ')[0]}", help.Stdout);
        var version = Phicrypt.Run($"{command} --version");
        Assert.Equal(0, version.ExitCode);
        Assert.Matches(@"^phicrypt \d+\.\d+", version.Stdout);
    }

    [Theory]
    [InlineData("encrypt in.bin --key-file key.bin --bogus")]
    [InlineData("backup --pg x -o y --bogus")]
    [InlineData("verify x --recovery-key")]
    [InlineData("keys list --bogus")]
    [InlineData("keys frobnicate")]
    [InlineData("frobnicate")]
    [InlineData("")]
    [InlineData("completion fish")]
    public void Usage_errors_exit_2_with_one_line(string args)
    {
        var r = Phicrypt.Run(args);
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.StartsWith("phicrypt: ", r.Stderr.Length > 0 && args.Length > 0 ? r.Stderr : "phicrypt: usage");
    }

    [Theory]
    [InlineData("encrypt in.bin -o a -o b --key-file key.bin", "-o")]
    [InlineData("backup --pg a --pg b -o x", "--pg")]
    [InlineData("keys rotate files --reason a --reason b", "--reason")]
    [InlineData("verify x --verify-key a --verify-key b", "--verify-key")]
    public void A_non_repeatable_option_given_twice_is_a_usage_error_in_every_command(string args, string option)
    {
        var r = Phicrypt.Run(args);
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains($"option '{option}' given more than once", r.Stderr);
    }

    [Theory]
    [InlineData("65536", 65536)]
    [InlineData("64K", 64L << 10)]
    [InlineData("64KiB", 64L << 10)]
    [InlineData("64kb", 64L << 10)]
    [InlineData("16M", 16L << 20)]
    [InlineData("16MiB", 16L << 20)]
    [InlineData("1G", 1L << 30)]
    [InlineData("1GiB", 1L << 30)]
    [InlineData("2T", 2L << 40)]
    public void One_size_syntax(string text, long bytes)
    {
        Assert.Equal(bytes, Sizes.Parse(text, "--x"));
        if (bytes >= 1 << 20) Assert.Equal(bytes, Backups.BackupArgs.ParseSize(text)); // --split takes the same syntax
    }

    [Theory]
    [InlineData("")]
    [InlineData("K")]
    [InlineData("-1K")]
    [InlineData("1X")]
    [InlineData("1.5M")]
    [InlineData("99999999999T")]
    public void Not_a_size(string text) => Assert.Throws<UsageException>(() => Sizes.Parse(text, "--x"));

    [Fact]
    public void Split_and_frame_size_take_binary_suffixes_alike()
    {
        using var d = new StreamTestDir();
        d.WriteRandom("in.bin", 100_000);
        var r = d.Run("encrypt in.bin -o out.phi --key-file key.bin --frame-size 64KiB");
        Assert.True(r.ExitCode == 0, r.Stderr);
        // --split 1GiB used to be refused while --frame-size 64KiB was accepted; now it reaches the database step
        var split = Phicrypt.Run("backup --pg postgresql://127.0.0.1:1/none -o x/ --split 1GiB --key-file key.bin", workDir: d.Path);
        Assert.DoesNotContain("size", split.Stderr);
    }

    [Fact]
    public void Response_files_are_off_so_a_file_name_keeps_its_meaning()
    {
        using var d = new StreamTestDir();
        File.WriteAllText(d.File("args"), "--bogus");
        var r = d.Run("inspect @args");
        Assert.NotEqual(ExitCodes.Usage, r.ExitCode);
        Assert.DoesNotContain("bogus", r.Stderr);
    }

    [Fact]
    public void Bash_completion_completes_commands_and_options()
    {
        var script = Phicrypt.Run("completion bash");
        Assert.Equal(0, script.ExitCode);
        using var d = new StreamTestDir();
        File.WriteAllText(d.File("complete.sh"), script.Stdout);
        string Complete(string line)
        {
            File.WriteAllText(d.File("run.sh"), $$"""
                PATH={{Path.GetDirectoryName(Phicrypt.ExePath)}}:$PATH
                . ./complete.sh
                COMP_LINE='{{line}}'; COMP_POINT=${#COMP_LINE}
                read -ra COMP_WORDS <<< "$COMP_LINE"
                [ "${COMP_LINE: -1}" = ' ' ] && COMP_WORDS+=('')
                COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
                _phicrypt_complete
                printf '%s\n' "${COMPREPLY[@]}"
                """);
            return d.Shell("bash run.sh").Stdout;
        }
        Assert.Equal("encrypt", Complete("phicrypt enc").Trim());
        Assert.Contains("--frame-size", Complete("phicrypt encrypt --fr"));
        Assert.Contains("rotate", Complete("phicrypt keys ro"));
        Assert.StartsWith("compdef", Phicrypt.Run("completion zsh").Stdout.Split('\n').Last(l => l.Length > 0));
    }
}

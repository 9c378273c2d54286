namespace PhiCrypto.Cli.Tests;

/// <summary>Issue 15 section 3: argument errors read as English, without the runtime's parameter suffix or,
/// in the NativeAOT library built with UseSystemResourceKeys, its bare resource keys.</summary>
public sealed class ErrorTextTests
{
    /// <summary>What ArgumentException.Message is when the runtime's resource strings are stripped.</summary>
    private sealed class StrippedResources : ArgumentException
    {
        private readonly string _text;
        public StrippedResources(string message, string param, string suffix) : base(message, param) => _text = $"{message} {suffix}";
        public override string Message => _text;
    }

    [Fact]
    public void The_parameter_suffix_is_dropped() =>
        Assert.Equal("a DEK is 32 bytes", ErrorText.Of(new ArgumentException("a DEK is 32 bytes", "dek")));

    [Fact]
    public void Resource_keys_of_a_stripped_build_are_dropped()
    {
        Assert.Equal("a DEK is 32 bytes", ErrorText.Of(new StrippedResources("a DEK is 32 bytes", "dek", "Arg_ParamName_Name, dek")));
        Assert.Equal("key size must be 16 to 64 bytes",
            ErrorText.Of(new StrippedResources("key size must be 16 to 64 bytes", "size", "Arg_ParamName_Name, size ArgumentOutOfRange_ActualValue, 31")));
    }

    /// <summary>What a stripped build's ThrowIfNull / ThrowIfNegative / ThrowIfNullOrEmpty say: nothing but keys.</summary>
    private sealed class OnlyResourceKeys : ArgumentException
    {
        private readonly string _text;
        public OnlyResourceKeys(string param, string text) : base(text, param) => _text = text;
        public override string Message => _text;
    }

    [Theory]
    [InlineData("ArgumentNull_Generic Arg_ParamName_Name, key")]
    [InlineData("ArgumentOutOfRange_Generic_MustBeNonNegative, count, -1")]
    [InlineData("Argument_EmptyString, keyName")]
    public void A_message_that_is_only_a_resource_key_becomes_a_sentence(string stripped)
    {
        var text = ErrorText.Of(new OnlyResourceKeys("count", stripped));
        Assert.Equal("'count' is not valid: check its value against the documentation", text);
        Assert.DoesNotContain("_", text);
    }

    [Fact]
    public void Null_and_out_of_range_without_a_text_name_their_parameter()
    {
        Assert.Equal("'key' is missing (null): pass a value", ErrorText.Of(new ArgumentNullException("key", "ArgumentNull_Generic")));
        Assert.Equal("'mode' is out of range: check its value against the documentation",
            ErrorText.Of(new ArgumentOutOfRangeException("mode", "ArgumentOutOfRange_Enum")));
        Assert.Equal("a DEK is 32 bytes", ErrorText.Of(new ArgumentException("a DEK is 32 bytes")));
    }

    [Fact]
    public void An_out_of_range_value_keeps_only_the_sentence() =>
        Assert.Equal("key size must be 16 to 64 bytes", ErrorText.Of(new ArgumentOutOfRangeException("size", 31, "key size must be 16 to 64 bytes")));

    [Fact]
    public void A_bad_key_file_reads_well_on_the_command_line()
    {
        using var d = new StreamTestDir();
        File.WriteAllBytes(d.File("short.key"), new byte[31]);
        d.WriteRandom("in.bin", 10);
        var r = d.Run("encrypt in.bin -o out.phi --key-file short.key");
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.DoesNotContain("Parameter", r.Stderr);
        Assert.DoesNotContain("Arg_", r.Stderr);
        Assert.False(File.Exists(d.File("out.phi")));
    }
}

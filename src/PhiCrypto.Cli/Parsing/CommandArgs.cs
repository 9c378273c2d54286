// What a command sees of its command line: the values System.CommandLine parsed for the options the
// command declared (Parsing/Verb.cs), looked up by any of their names. The parser has already refused
// unknown options, missing values and a non-repeatable option given twice (exit code 2).
using System.CommandLine;
using PhiCrypto.Cli.Parsing;

namespace PhiCrypto.Cli.Streaming;

internal sealed class CommandArgs(ParseResult result, IReadOnlyDictionary<string, Option> options, Argument<string[]>? positionals)
{
    public IReadOnlyList<string> Positionals => positionals is null ? [] : result.GetValue(positionals) ?? [];

    /// <summary>True when the option was written on the command line (not defaulted).</summary>
    public bool Given(string name) => Find(name) is { } o && result.GetResult(o) is { Implicit: false };

    public bool Flag(string name) => Find(name) is Option<bool> o && result.GetValue(o);

    /// <summary>The value of a single-value option, or null when it was not given.</summary>
    public string? Value(string name) => Find(name) switch
    {
        Option<string> o => result.GetValue(o),
        Option<string[]> many => result.GetValue(many) is [.., var last] ? last : null,
        _ => null,
    };

    /// <summary>Every value of a repeatable option, in order.</summary>
    public IReadOnlyList<string> Values(string name) => Find(name) switch
    {
        Option<string[]> many => result.GetValue(many) ?? [],
        Option<string> one => result.GetValue(one) is { } v ? [v] : [],
        _ => [],
    };

    /// <summary>k=v pairs of a repeatable option; a key given twice is a usage error.</summary>
    public Dictionary<string, string> Pairs(string name)
    {
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in Values(name))
        {
            int eq = item.IndexOf('=');
            if (eq <= 0) throw new UsageException($"{name} expects key=value, got '{item}'");
            if (!pairs.TryAdd(item[..eq], item[(eq + 1)..])) throw new UsageException($"{name}: key '{item[..eq]}' given twice");
        }
        return pairs;
    }

    /// <summary>At most one positional: the input path, or "-" (the default) for standard input.</summary>
    public string Input()
    {
        if (Positionals.Count > 1) throw new UsageException("expected at most one input");
        return Positionals.Count == 1 ? Positionals[0] : "-";
    }

    /// <summary>Exactly <paramref name="count"/> positionals, else a usage error quoting <paramref name="usage"/>.</summary>
    public void Expect(int count, string usage)
    {
        if (Positionals.Count != count) throw new UsageException($"usage: {usage}");
    }

    /// <summary>A size option (Parsing/Sizes.cs), or <paramref name="fallback"/> when it was not given.</summary>
    public long Size(string name, long fallback) => Value(name) is { } text ? Sizes.Parse(text, name) : fallback;

    /// <summary>The keyring options (--keyring, --kek, --passphrase-file) of this command line.</summary>
    public KeyringCli Keyring() => new() { Keyring = Value("--keyring"), Kek = Value("--kek"), PassphraseFile = Value("--passphrase-file") };

    private Option? Find(string name) => options.TryGetValue(name, out var o) ? o : null;
}

// One command of `phicrypt` as System.CommandLine sees it: its options (single-value, repeatable or
// flags, each under all its names), its positionals and its hand-written help text.
// The rule for repeated options, the same everywhere: an option documented as repeatable (--context,
// --recovery-key, --purpose of `keys init`, ...) collects every occurrence in order; any other option
// given twice is a usage error (exit code 2), never "the last one wins".
using System.CommandLine;
using PhiCrypto.Cli.Streaming;

namespace PhiCrypto.Cli.Parsing;

internal sealed class Verb
{
    private readonly Dictionary<string, Option> _options = new(StringComparer.Ordinal);
    private Argument<string[]>? _positionals;

    public Verb(string name, string help)
    {
        Command = new Command(name);
        Help = help;
    }

    public Command Command { get; }

    /// <summary>What `--help` prints for this command.</summary>
    public string Help { get; }

    /// <summary>Options that take one value; each spec is "--name" or "--name|-alias".</summary>
    public Verb Options(params string[] specs) => Add(specs, names => new Option<string>(names[0], names[1..]) { Arity = ArgumentArity.ExactlyOne });

    /// <summary>Options that may be given several times, one value each.</summary>
    public Verb Repeatable(params string[] specs) => Add(specs, names =>
        new Option<string[]>(names[0], names[1..]) { Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false });

    /// <summary>Options without a value.</summary>
    public Verb Flags(params string[] specs) => Add(specs, names => new Option<bool>(names[0], names[1..]) { Arity = ArgumentArity.Zero });

    /// <summary>--keyring, --kek and --passphrase-file (Keys/KeyringCli.cs).</summary>
    public Verb KeyringOptions() => Options("--keyring", "--kek", "--passphrase-file");

    /// <summary>Positional arguments (the command checks how many); a word that starts with '-' is an unknown option.</summary>
    public Verb Positionals()
    {
        _positionals = new Argument<string[]>("arguments") { Arity = ArgumentArity.ZeroOrMore };
        _positionals.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
                if (token.Value.Length > 1 && token.Value[0] == '-')
                    result.AddError($"unknown option '{token.Value}'");
        });
        Command.Arguments.Add(_positionals);
        return this;
    }

    public Verb Runs(Func<CommandArgs, int> run)
    {
        Command.SetAction(result => CliErrors.Guard(() => run(new CommandArgs(result, _options, _positionals))));
        return this;
    }

    /// <summary>Subcommands (those of `keys`).</summary>
    public List<Verb> Subs { get; } = [];

    public Verb Add(Verb sub)
    {
        Subs.Add(sub);
        Command.Subcommands.Add(sub.Command);
        return this;
    }

    private Verb Add(string[] specs, Func<string[], Option> create)
    {
        foreach (var spec in specs)
        {
            var names = spec.Split('|');
            var option = create(names);
            Command.Options.Add(option);
            foreach (var n in names) _options.Add(n, option);
        }
        return this;
    }
}

// Parses and runs a `phicrypt` command line with System.CommandLine: --help (the command's own text)
// and --version on every command, the [suggest] directive behind `phicrypt completion`, and every
// parse error as one line on stderr with exit code 2. Response files (@file) are off: a file name
// never changes meaning.
using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace PhiCrypto.Cli.Parsing;

internal static class CommandLine
{
    public static int Run(Verb[] verbs, string[] args)
    {
        if (args.Length == 0) { Console.Error.WriteLine(Program.Usage); return ExitCodes.Usage; }
        if (args[0] == "help") args = [.. args[1..], "--help"];
        if (args[0] == "version") args = ["--version"];
        var root = Build(verbs);
        var result = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (result.Action is ParseErrorAction)
        {
            var command = result.CommandResult.Command;
            string where = command is RootCommand ? "phicrypt --help" : $"{Path(result)} --help";
            return CliErrors.Fail($"{Describe(result.Errors.Select(e => e.Message))} (see {where})", ExitCodes.Usage);
        }
        return result.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
    }

    /// <summary>The root command with every verb, our help texts and our version line.</summary>
    public static RootCommand Build(Verb[] verbs)
    {
        var root = new RootCommand("phicrypt: application-layer encryption for health records");
        var help = new Dictionary<Command, string> { [root] = Program.Usage };
        foreach (var verb in verbs) { root.Subcommands.Add(verb.Command); Collect(verb, help); }
        foreach (var option in root.Options)
        {
            if (option is HelpOption h) h.Action = new TextHelp(help);
            if (option is VersionOption v) { v.Action = new PrintVersion(); v.Recursive = true; }
        }
        root.SetAction(_ => { Console.Error.WriteLine(Program.Usage); return ExitCodes.Usage; });
        return root;
    }

    private static void Collect(Verb verb, Dictionary<Command, string> help)
    {
        help[verb.Command] = verb.Help;
        foreach (var sub in verb.Subs) Collect(sub, help);
    }

    private static string Path(ParseResult result)
    {
        var names = new List<string>();
        for (var c = result.CommandResult; c is not null; c = c.Parent as System.CommandLine.Parsing.CommandResult)
            names.Insert(0, c.Command is RootCommand ? "phicrypt" : c.Command.Name);
        return string.Join(' ', names);
    }

    /// <summary>The most telling parse error, in our wording (System.CommandLine's English texts otherwise).</summary>
    private static string Describe(IEnumerable<string> messages)
    {
        var all = messages.ToList();
        var message = all.FirstOrDefault(m => m.StartsWith("Unrecognized", StringComparison.Ordinal)) ?? all[0];
        if (Quoted(message, "Unrecognized command or argument '") is { } word)
            return word.StartsWith('-') ? $"unknown option '{word}'" : $"unknown command or unexpected argument '{word}'";
        if (message.StartsWith("Required command was not provided", StringComparison.Ordinal)) return "a subcommand is needed";
        if (message.Contains("expects a single argument but", StringComparison.Ordinal) && Quoted(message, "Option '") is { } option)
            return $"option '{option}' given more than once (only options documented as repeatable may be)";
        return message.TrimEnd('.');
    }

    private static string? Quoted(string message, string prefix)
    {
        if (!message.StartsWith(prefix, StringComparison.Ordinal)) return null;
        int end = message.IndexOf('\'', prefix.Length);
        return end < 0 ? null : message[prefix.Length..end];
    }

    /// <summary>The informational version the build stamped (version and commit), else the assembly version.</summary>
    public static string Version =>
        typeof(Program).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion
        ?? typeof(Program).Assembly.GetName().Version?.ToString() ?? "unknown";

    private sealed class TextHelp(Dictionary<Command, string> texts) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var text = texts.GetValueOrDefault(parseResult.CommandResult.Command, Program.Usage);
            Console.Out.Write(text.EndsWith('\n') ? text : text + "\n");
            return ExitCodes.Ok;
        }
    }

    private sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            Console.Out.WriteLine($"phicrypt {Version}");
            return ExitCodes.Ok;
        }
    }
}

// A tiny argument reader for the keys subcommands: flags, repeated options, positionals.
namespace PhiCrypto.Cli;

internal sealed class KeysArgs
{
    private readonly List<string> _positional = [];
    private readonly Dictionary<string, List<string>> _options = [];
    private readonly HashSet<string> _flags = [];

    /// <summary>Parses <paramref name="args"/>; <paramref name="valued"/> take a value, <paramref name="flags"/> do not.</summary>
    public KeysArgs(string[] args, string[] valued, string[] flags)
    {
        for (int i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (valued.Contains(a))
            {
                if (!_options.TryGetValue(a, out var list)) _options[a] = list = [];
                list.Add(KeyringCli.Value(args, ref i));
            }
            else if (flags.Contains(a)) _flags.Add(a);
            else if (a.StartsWith('-') && a.Length > 1) throw new UsageException($"unknown option '{a}'");
            else _positional.Add(a);
        }
    }

    public IReadOnlyList<string> Positional => _positional;
    public bool Flag(string name) => _flags.Contains(name);
    public string? One(string name) => _options.TryGetValue(name, out var l) ? l[^1] : null;
    public IReadOnlyList<string> All(string name) => _options.TryGetValue(name, out var l) ? l : [];

    public void Expect(int count, string usage)
    {
        if (_positional.Count != count) throw new UsageException($"usage: {usage}");
    }
}

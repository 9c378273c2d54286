// A small parser for `phicrypt <command>` arguments: positionals, `--name value` / `--name=value`,
// repeatable options and flags. Unknown options are usage errors (exit code 2).
namespace PhiCrypto.Cli.Streaming;

internal sealed class CommandArgs
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    public List<string> Positionals { get; } = [];
    public bool Help { get; private set; }

    /// <summary>Parses <paramref name="args"/>; <paramref name="options"/> take a value, <paramref name="flags"/> do not.</summary>
    public static CommandArgs Parse(string[] args, string[] options, string[] flags)
    {
        var parsed = new CommandArgs();
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (a is "-h" or "--help") { parsed.Help = true; continue; }
            if (a == "-" || !a.StartsWith('-')) { parsed.Positionals.Add(a); continue; }
            string name = a, value = "";
            bool inline = false;
            int eq = a.IndexOf('=');
            if (a.StartsWith("--", StringComparison.Ordinal) && eq > 0) { name = a[..eq]; value = a[(eq + 1)..]; inline = true; }
            if (flags.Contains(name) && !inline) { parsed._flags.Add(name); continue; }
            if (!options.Contains(name)) throw new UsageException($"unknown option '{name}' (see --help)");
            if (!inline)
            {
                if (i + 1 >= args.Length) throw new UsageException($"option '{name}' needs a value");
                value = args[++i];
            }
            if (!parsed._values.TryGetValue(name, out var list)) parsed._values[name] = list = [];
            list.Add(value);
        }
        return parsed;
    }

    public bool Flag(string name) => _flags.Contains(name);

    public string? Value(string name)
    {
        if (!_values.TryGetValue(name, out var list)) return null;
        if (list.Count > 1) throw new UsageException($"option '{name}' given more than once");
        return list[0];
    }

    public IReadOnlyList<string> Values(string name) => _values.TryGetValue(name, out var list) ? list : [];

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

    /// <summary>A size such as 65536, 64K, 64KiB, 1M, 16MiB.</summary>
    public static long ParseSize(string text)
    {
        var t = text.Trim().ToUpperInvariant().Replace("IB", "").TrimEnd('B');
        long unit = t.EndsWith('K') ? 1024 : t.EndsWith('M') ? 1024 * 1024 : t.EndsWith('G') ? 1024L * 1024 * 1024 : 1;
        if (unit != 1) t = t[..^1];
        if (!long.TryParse(t, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long n) || n > long.MaxValue / unit)
            throw new UsageException($"not a size: '{text}'");
        return n * unit;
    }
}

// Command-line options of `phicrypt backup | restore | verify`, parsed in one place.
using System.Globalization;
using System.Text;

namespace PhiCrypto.Cli.Backups;

internal sealed class BackupArgs
{
    public string? Pg;
    public string? Output;
    public string? Source;
    public List<string> PgDumpArgs = [];
    public List<string>? PgRestoreArgs;
    public long SplitBytes;
    public string Compress = "zstd";
    public List<string> RecoveryKeys = [];
    public string? KeyFile;
    public string KeyName = "raw";
    public bool Help;
    public bool FromStdin;
    /// <summary>--keyring/--kek/--passphrase-file, or null when none was given (then PHICRYPTO_KEYRING decides).</summary>
    public KeyringCli Keyring = new();
    public bool KeyringGiven;
    public string Purpose = "backups";
    /// <summary>--verify-key: the pinned backup verification key (SPKI PEM), else the keyring's.</summary>
    public string? VerifyKey;
    public bool AllowUnsigned;

    /// <summary>Parses options; <paramref name="positional"/> names the one positional argument allowed, if any.</summary>
    public static BackupArgs Parse(string[] args, bool positional)
    {
        var a = new BackupArgs();
        var (keyring, rest) = KeyringCli.Extract(args);
        a.Keyring = keyring;
        a.KeyringGiven = rest.Length != args.Length;
        args = rest;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => ++i < args.Length ? args[i] : throw new UsageException($"{args[i - 1]} needs a value");
            switch (args[i])
            {
                case "-h" or "--help": a.Help = true; break;
                case "--pg": a.Pg = Next(); break;
                case "-o" or "--output": a.Output = Next(); break;
                case "--pg-dump-args": a.PgDumpArgs = SplitArgs(Next()); break;
                case "--pg-restore-args": a.PgRestoreArgs = SplitArgs(Next()); break;
                case "--split": a.SplitBytes = ParseSize(Next()); break;
                case "--compress":
                    a.Compress = Next();
                    if (a.Compress is not ("zstd" or "none")) throw new UsageException("--compress is zstd or none");
                    break;
                case "--recovery-key" or "--recovery-private-key": a.RecoveryKeys.Add(Next()); break;
                case "--key-file": a.KeyFile = Next(); break;
                case "--key-name": a.KeyName = Next(); break;
                case "--purpose": a.Purpose = Next(); a.KeyringGiven = true; break;
                case "--stdin": a.FromStdin = true; break;
                case "--verify-key": a.VerifyKey = Next(); break;
                case "--allow-unsigned": a.AllowUnsigned = true; break;
                default:
                    if (positional && a.Source is null && !args[i].StartsWith('-')) { a.Source = args[i]; break; }
                    throw new UsageException($"unknown option '{args[i]}'");
            }
        }
        return a;
    }

    /// <summary>"1G", "500M", "64K" or bytes; binary units. Parts must be at least 1 MiB.</summary>
    public static long ParseSize(string text)
    {
        long unit = char.ToUpperInvariant(text.Length > 0 ? text[^1] : ' ') switch
        {
            'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, 'T' => 1L << 40, _ => 1,
        };
        var digits = unit == 1 ? text : text[..^1];
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0 || n > (1L << 50) / unit)
            throw new UsageException($"bad size '{text}': use bytes or a number with K, M, G, T");
        if (n * unit < 1 << 20) throw new UsageException("--split parts must be at least 1M");
        return n * unit;
    }

    /// <summary>Splits "-Fc --schema 'a b'" into arguments: whitespace separates, single or double quotes group.</summary>
    public static List<string> SplitArgs(string text)
    {
        var result = new List<string>();
        var current = new StringBuilder();
        bool inArg = false;
        char quote = '\0';
        foreach (char c in text)
        {
            if (quote != '\0') { if (c == quote) quote = '\0'; else current.Append(c); continue; }
            if (c is '\'' or '"') { quote = c; inArg = true; continue; }
            if (char.IsWhiteSpace(c)) { if (inArg) { result.Add(current.ToString()); current.Clear(); inArg = false; } continue; }
            current.Append(c);
            inArg = true;
        }
        if (quote != '\0') throw new UsageException("unbalanced quote in arguments");
        if (inArg) result.Add(current.ToString());
        return result;
    }
}

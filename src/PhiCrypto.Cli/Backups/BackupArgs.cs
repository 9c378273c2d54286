// The options of `phicrypt backup | restore | verify` as one object; System.CommandLine parses them.
using System.Text;
using PhiCrypto.Cli.Backups.S3;
using PhiCrypto.Cli.Parsing;
using PhiCrypto.Cli.Streaming;

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
    public bool FromStdin;
    /// <summary>--keyring/--kek/--passphrase-file, or null when none was given (then PHICRYPTO_KEYRING decides).</summary>
    public KeyringCli Keyring = new();
    public bool KeyringGiven;
    public string Purpose = "backups";
    /// <summary>--verify-key: the pinned backup verification key (SPKI PEM), else the keyring's.</summary>
    public string? VerifyKey;
    public bool AllowUnsigned;
    /// <summary>--s3-sse, --s3-sse-kms-key-id, --retain-until, --retain-mode: what an s3:// backup asks of the store.</summary>
    public S3WriteOptions S3 = S3WriteOptions.None;
    /// <summary>--json: the report as one JSON object on standard output.</summary>
    public bool Json;
    /// <summary>--jobs N: pg_dump's directory format with N jobs, one message per file (0: one stream).</summary>
    public int Jobs;
    /// <summary>--temp-dir: where directory-format dumps are staged in plaintext (default: TMPDIR).</summary>
    public string? TempDir;

    /// <summary>The options of backup, restore or verify, as the parser read them (Commands/CommandTable.cs).</summary>
    public static BackupArgs From(CommandArgs a)
    {
        if (a.Positionals.Count > 1) throw new UsageException("expected one backup location");
        var compress = a.Value("--compress") ?? "zstd";
        if (compress is not ("zstd" or "none")) throw new UsageException("--compress is zstd or none");
        return new BackupArgs
        {
            Pg = a.Value("--pg"),
            Output = a.Value("--output"),
            Source = a.Positionals.Count == 1 ? a.Positionals[0] : null,
            PgDumpArgs = a.Value("--pg-dump-args") is { } dump ? SplitArgs(dump) : [],
            PgRestoreArgs = a.Value("--pg-restore-args") is { } restore ? SplitArgs(restore) : null,
            SplitBytes = a.Value("--split") is { } split ? ParseSize(split) : 0,
            Compress = compress,
            RecoveryKeys = [.. a.Values("--recovery-key")],
            KeyFile = a.Value("--key-file"),
            KeyName = a.Value("--key-name") ?? "raw",
            FromStdin = a.Flag("--stdin"),
            Keyring = a.Keyring(),
            KeyringGiven = a.Given("--keyring") || a.Given("--kek") || a.Given("--passphrase-file") || a.Given("--purpose"),
            Purpose = a.Value("--purpose") ?? "backups",
            VerifyKey = a.Value("--verify-key"),
            AllowUnsigned = a.Flag("--allow-unsigned"),
            Json = a.Flag("--json"),
            S3 = S3WriteOptions.Parse(a.Value("--s3-sse"), a.Value("--s3-sse-kms-key-id"), a.Value("--retain-until"), a.Value("--retain-mode"), DateTimeOffset.UtcNow),
            Jobs = a.Value("--jobs") is { } jobs ? ParseJobs(jobs) : 0,
            TempDir = a.Value("--temp-dir"),
        };
    }

    public static int ParseJobs(string text) =>
        int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) && n is >= 1 and <= 64
            ? n : throw new UsageException("--jobs takes a number of parallel jobs from 1 to 64");

    /// <summary>A --split size (Parsing/Sizes.cs); parts must be at least 1 MiB.</summary>
    public static long ParseSize(string text)
    {
        long n = Sizes.Parse(text, "--split");
        if (n < 1 << 20) throw new UsageException("--split parts must be at least 1M");
        return n;
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

// "Open the keyring from the command line", shared by `keys`, `encrypt`, `decrypt`, `backup`, `restore`:
//   --keyring PATH_OR_URL   or PHICRYPTO_KEYRING   (a JSON file, or postgresql://...; default ~/.phicrypto/keyring.json)
//   --kek env|env:VAR|passphrase|pkcs11:URI   or PHICRYPTO_KEK   (default env: PHICRYPTO_MASTER_KEY)
//   --passphrase-file PATH  or PHICRYPTO_KEK_PASSPHRASE, else a prompt on the terminal
// Secrets never come from the command line itself.
using PhiCrypto.Keys;
using PhiCrypto.Pkcs11;
using PhiCrypto.Postgres;

namespace PhiCrypto.Cli;

public sealed class KeyringCli
{
    public const string KeyringVariable = "PHICRYPTO_KEYRING";
    public const string KekVariable = "PHICRYPTO_KEK";
    public const string PassphraseVariable = "PHICRYPTO_KEK_PASSPHRASE";

    public const string OptionsHelp = """
          --keyring PATH|URL     keyring file or postgresql:// URL (env PHICRYPTO_KEYRING; default ~/.phicrypto/keyring.json)
          --kek SPEC             env | env:VARIABLE | passphrase | pkcs11:URI (env PHICRYPTO_KEK; default env,
                                 which reads PHICRYPTO_MASTER_KEY: base64 of 32 bytes)
          --passphrase-file F    passphrase KEK from a file (or env PHICRYPTO_KEK_PASSPHRASE, or a terminal prompt)
        """;

    public string? Keyring { get; set; }
    public string? Kek { get; set; }
    public string? PassphraseFile { get; set; }

    /// <summary>Takes the keyring options out of <paramref name="args"/>; returns them and the remaining arguments.</summary>
    public static (KeyringCli Options, string[] Remaining) Extract(string[] args)
    {
        var o = new KeyringCli();
        var rest = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--keyring": o.Keyring = Value(args, ref i); break;
                case "--kek": o.Kek = Value(args, ref i); break;
                case "--passphrase-file": o.PassphraseFile = Value(args, ref i); break;
                default:
                    if (args[i].StartsWith("--keyring=", StringComparison.Ordinal)) o.Keyring = args[i]["--keyring=".Length..];
                    else if (args[i].StartsWith("--kek=", StringComparison.Ordinal)) o.Kek = args[i]["--kek=".Length..];
                    else rest.Add(args[i]);
                    break;
            }
        }
        return (o, [.. rest]);
    }

    internal static string Value(string[] args, ref int i)
    {
        if (i + 1 >= args.Length) throw new UsageException($"{args[i]} needs a value");
        return args[++i];
    }

    public string Location => Keyring ?? NonEmpty(Environment.GetEnvironmentVariable(KeyringVariable)) ?? DefaultPath;

    public static string DefaultPath => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".phicrypto", "keyring.json");

    public string KekSpec => Kek ?? NonEmpty(Environment.GetEnvironmentVariable(KekVariable)) ?? "env";

    public IKeyStore OpenStore() => PostgresUrl.IsUrl(Location) ? new PostgresKeyStore(Location) : new JsonFileKeyStore(Location);

    /// <summary>Opens the keyring (it owns the store); a missing one is an error that says how to create it.</summary>
    public Keyring OpenKeyring(KeyringOptions? options = null)
    {
        var keyring = Keys.Keyring.Open(OpenStore(), settings => CreateKek(KekSpec, settings, PassphraseFile, PassphraseVariable),
            (options ?? new KeyringOptions()) with { DisposeStore = true });
        if (keyring.AuditTrail.Count == 0 && keyring.Records.Count == 0)
        {
            var where = keyring.StoreLocation;
            keyring.Dispose();
            throw new KeyNotAvailableException($"no keyring at {where}: create one with `phicrypt keys init`");
        }
        return keyring;
    }

    /// <summary>Builds a KEK from a spec. Passphrase parameters come from the keyring's settings when present.</summary>
    public static IKek CreateKek(string spec, IReadOnlyDictionary<string, string> settings, string? passphraseFile, string passphraseVariable,
                                 string? kdf = null)
    {
        if (spec == "env") return EnvironmentKek.FromEnvironment();
        if (spec.StartsWith("env:", StringComparison.Ordinal)) return EnvironmentKek.FromEnvironment(spec[4..]);
        if (spec == "passphrase")
        {
            var pass = ReadPassphrase(passphraseFile, passphraseVariable, confirm: !PassphraseKek.HasParameters(settings));
            return PassphraseKek.Create(pass, settings, kdf);
        }
        if (Pkcs11Uri.IsPkcs11Uri(spec)) return Pkcs11Kek.Open(spec);
        throw new UsageException($"unknown KEK '{spec}': use env, env:VARIABLE, passphrase or pkcs11:URI");
    }

    /// <summary>A passphrase from a file, an environment variable or the terminal (never an argument).</summary>
    public static string ReadPassphrase(string? file, string variable, bool confirm = false)
    {
        if (file is not null)
        {
            var text = File.ReadAllText(file).TrimEnd('\r', '\n');
            return text.Length > 0 ? text : throw new UsageException($"passphrase file {file} is empty");
        }
        if (NonEmpty(Environment.GetEnvironmentVariable(variable)) is { } env) return env;
        if (Console.IsInputRedirected) throw new UsageException($"no passphrase: use --passphrase-file or set {variable}");
        var first = Prompt("passphrase: ");
        if (confirm && Prompt("again: ") != first) throw new UsageException("the passphrases differ");
        return first.Length > 0 ? first : throw new UsageException("empty passphrase");
    }

    private static string Prompt(string label)
    {
        Console.Error.Write(label);
        var sb = new System.Text.StringBuilder();
        while (true)
        {
            var k = Console.ReadKey(intercept: true);
            if (k.Key == ConsoleKey.Enter) break;
            if (k.Key == ConsoleKey.Backspace) { if (sb.Length > 0) sb.Length--; continue; }
            sb.Append(k.KeyChar);
        }
        Console.Error.WriteLine();
        return sb.ToString();
    }

    internal static string? NonEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}

// "Open the keyring from the command line", shared by `keys`, `encrypt`, `decrypt`, `backup`, `restore`:
//   --keyring PATH_OR_URL   or PHICRYPTO_KEYRING   (a JSON file, or postgresql://...; default ~/.phicrypto/keyring.json)
//   --kek env|env:VAR|passphrase|pkcs11:URI   or PHICRYPTO_KEK   (default env: PHICRYPTO_MASTER_KEY)
//   --passphrase-file PATH  or PHICRYPTO_KEK_PASSPHRASE, else a prompt on the terminal
// Secrets never come from the command line itself.
using PhiCrypto.Keys;
using PhiCrypto.Keys.Hosting;

namespace PhiCrypto.Cli;

public sealed class KeyringCli
{
    public const string KeyringVariable = KeyringLocator.KeyringVariable;
    public const string KekVariable = KeyringLocator.KekVariable;
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

    public string Location => KeyringLocator.ResolveLocation(Keyring);

    public static string DefaultPath => KeyringLocator.DefaultPath;

    /// <summary>Whether a keyring is at hand without --keyring: PHICRYPTO_KEYRING is set, or the default file exists.</summary>
    public static bool Implied => NonEmpty(Environment.GetEnvironmentVariable(KeyringVariable)) is not null || File.Exists(DefaultPath);

    public string KekSpec => KeyringLocator.ResolveKekSpec(Kek);

    public IKeyStore OpenStore() => KeyringLocator.OpenStore(Location);

    /// <summary>Opens the keyring (it owns the store); a missing one is an error that says how to create it.</summary>
    public Keyring OpenKeyring(KeyringOptions? options = null) =>
        KeyringLocator.Open(Location, KekSpec, confirm => ReadPassphrase(PassphraseFile, PassphraseVariable, confirm), options);

    /// <summary>Builds a KEK from a spec. Passphrase parameters come from the keyring's settings when present.</summary>
    public static IKek CreateKek(string spec, IReadOnlyDictionary<string, string> settings, string? passphraseFile, string passphraseVariable,
                                 string? kdf = null) =>
        KeyringLocator.CreateKek(spec, settings, confirm => ReadPassphrase(passphraseFile, passphraseVariable, confirm), kdf);

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

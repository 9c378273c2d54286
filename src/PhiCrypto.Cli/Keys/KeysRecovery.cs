// `phicrypt keys export | import`: the disaster-recovery bundle (docs/runbooks/disaster-recovery.md).
using System.Security.Cryptography;
using PhiCrypto.Keys;

namespace PhiCrypto.Cli;

internal static class KeysRecovery
{
    public const string RecoveryPassphraseVariable = "PHICRYPTO_RECOVERY_PASSPHRASE";
    public const string RecoveryKeyPasswordVariable = "PHICRYPTO_RECOVERY_KEY_PASSWORD";

    public static int Export(KeyringCli cli, string[] rest)
    {
        var a = new KeysArgs(rest, ["--recovery-key", "--recovery-passphrase-file", "-o", "--output"], ["--recovery-passphrase"]);
        a.Expect(0, "phicrypt keys export (--recovery-key PUB.pem)... [--recovery-passphrase-file F] -o FILE");
        var output = a.One("-o") ?? a.One("--output") ?? throw new UsageException("export needs -o FILE");
        var keys = a.All("--recovery-key").Select(LoadPublicKey).ToList();
        string? passphrase = a.One("--recovery-passphrase-file") is not null || a.Flag("--recovery-passphrase")
            ? KeyringCli.ReadPassphrase(a.One("--recovery-passphrase-file"), RecoveryPassphraseVariable, confirm: true)
            : null;
        if (keys.Count == 0 && passphrase is null) throw new UsageException("export needs --recovery-key PUB.pem and/or --recovery-passphrase-file F");
        using var keyring = cli.OpenKeyring();
        var bundle = keyring.ExportRecoveryBundle(keys, passphrase);
        WriteNew(output, bundle);
        foreach (var k in keys) k.Dispose();
        Console.Out.WriteLine($"wrote recovery bundle {output} ({keyring.Records.Count} version(s), {bundle.Length} bytes); keep it offline, apart from the recovery private key");
        return ExitCodes.Ok;
    }

    public static int Import(KeyringCli cli, string[] rest)
    {
        var a = new KeysArgs(rest, ["--recovery-private-key", "--recovery-passphrase-file", "--source-kek"], ["--recovery-passphrase", "--init"]);
        a.Expect(1, "phicrypt keys import FILE (--recovery-private-key PRIV.pem | --recovery-passphrase-file F) [--source-kek SPEC] [--init]");
        var bundle = File.ReadAllBytes(a.Positional[0]);
        using var rsa = a.One("--recovery-private-key") is { } pem ? LoadPrivateKey(pem) : null;
        string? passphrase = rsa is null ? KeyringCli.ReadPassphrase(a.One("--recovery-passphrase-file"), RecoveryPassphraseVariable) : null;
        // A new machine has no keyring: --init creates an empty one (no purposes, so none clashes with the
        // bundle's), after the bundle has opened, so that a wrong key or an altered bundle creates nothing.
        // With the RSA key, the bundle's origin is checked under the source keyring's KEK: --source-kek, else this keyring's.
        using var sourceKek = a.One("--source-kek") is { } spec
            ? KeyringCli.CreateKek(spec, new Dictionary<string, string>(), null, "PHICRYPTO_SOURCE_KEK_PASSPHRASE")
            : null;
        var newKek = a.Flag("--init") ? CliKek(cli) : null;
        if (newKek is not null)
        {
            try { RecoveryBundle.Open(bundle, rsa, passphrase, sourceKek ?? newKek).Dispose(); }
            catch { newKek.Dispose(); throw; }
        }
        using var keyring = newKek is not null ? Keyring.Create(cli.OpenStore(), newKek, new KeyringOptions { DisposeStore = true }) : cli.OpenKeyring();
        int n = keyring.ImportRecoveryBundle(bundle, rsa, passphrase, sourceKek, out var sourceHead);
        Console.Out.WriteLine($"imported {n} version(s) into {keyring.StoreLocation}, wrapped under KEK {keyring.KekId} (check value {keyring.KekCheckValue})");
        Console.Out.WriteLine($"the bundle was made at source audit head {sourceHead}: compare it with the anchor kept for that keyring");
        return ExitCodes.Ok;
    }

    private static IKek CliKek(KeyringCli cli) =>
        KeyringCli.CreateKek(cli.KekSpec, new Dictionary<string, string>(), cli.PassphraseFile, KeyringCli.PassphraseVariable);

    private static RSA LoadPublicKey(string path)
    {
        var rsa = RSA.Create();
        try { rsa.ImportFromPem(File.ReadAllText(path)); }
        catch (ArgumentException) { rsa.Dispose(); throw new UsageException($"{path} is not an RSA public key in PEM form"); }
        return rsa;
    }

    private static RSA LoadPrivateKey(string path)
    {
        var text = File.ReadAllText(path);
        var rsa = RSA.Create();
        try
        {
            if (text.Contains("ENCRYPTED PRIVATE KEY", StringComparison.Ordinal))
                rsa.ImportFromEncryptedPem(text, KeyringCli.ReadPassphrase(null, RecoveryKeyPasswordVariable));
            else rsa.ImportFromPem(text);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            rsa.Dispose();
            throw new UsageException($"{path} is not a usable RSA private key in PEM form");
        }
        return rsa;
    }

    /// <summary>Writes via a temp file and a rename, mode 0600: no partial output file on failure.</summary>
    internal static void WriteNew(string path, byte[] bytes)
    {
        var full = Path.GetFullPath(path);
        var tmp = $"{full}.tmp-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var fs = new FileStream(tmp, options)) { fs.Write(bytes); fs.Flush(flushToDisk: true); }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { }
            throw;
        }
    }
}

// `phicrypt keys export | import`: the disaster-recovery bundle (docs/runbooks/disaster-recovery.md).
using System.Security.Cryptography;
using PhiCrypto.Cli.Reports;
using PhiCrypto.Cli.Streaming;
using PhiCrypto.Keys;

namespace PhiCrypto.Cli;

internal static class KeysRecovery
{
    public const string RecoveryPassphraseVariable = "PHICRYPTO_RECOVERY_PASSPHRASE";

    public static int Export(KeyringCli cli, Streaming.CommandArgs a)
    {
        a.Expect(0, "phicrypt keys export (--recovery-key PUB.pem)... [--recovery-passphrase-file F] -o FILE [--json]");
        var output = a.Value("--output") ?? throw new UsageException("export needs -o FILE");
        var keys = a.Values("--recovery-key").Select(LoadPublicKey).ToList();
        string? passphrase = a.Value("--recovery-passphrase-file") is not null || a.Flag("--recovery-passphrase")
            ? KeyringCli.ReadPassphrase(a.Value("--recovery-passphrase-file"), RecoveryPassphraseVariable, confirm: true)
            : null;
        if (keys.Count == 0 && passphrase is null) throw new UsageException("export needs --recovery-key PUB.pem and/or --recovery-passphrase-file F");
        using var keyring = cli.OpenKeyring();
        var bundle = keyring.ExportRecoveryBundle(keys, passphrase);
        WriteNew(output, bundle);
        foreach (var k in keys) k.Dispose();
        if (a.Flag("--json"))
            JsonReport.Write("keys export", w =>
            {
                KeysReport.Keyring(w, keyring);
                w.WriteString("bundle", output);
                w.WriteNumber("bundle_bytes", bundle.Length);
                w.WriteNumber("recovery_keys", keys.Count);
                w.WriteBoolean("recovery_passphrase", passphrase is not null);
                KeysReport.Keys(w, "keys", keyring.Records);
            });
        else Console.Out.WriteLine($"wrote recovery bundle {output} ({keyring.Records.Count} version(s), {bundle.Length} bytes); keep it offline, apart from the recovery private key");
        return ExitCodes.Ok;
    }

    public static int Import(KeyringCli cli, Streaming.CommandArgs a)
    {
        a.Expect(1, "phicrypt keys import FILE (--recovery-private-key PRIV.pem | --recovery-passphrase-file F) [--source-kek SPEC] [--init] [--json]");
        var bundle = File.ReadAllBytes(a.Positionals[0]);
        using var rsa = a.Value("--recovery-private-key") is { } pem ? RecoveryKeyFile.LoadPrivateRsa(pem) : null;
        string? passphrase = rsa is null ? KeyringCli.ReadPassphrase(a.Value("--recovery-passphrase-file"), RecoveryPassphraseVariable) : null;
        // A new machine has no keyring: --init creates an empty one (no purposes, so none clashes with the
        // bundle's), after the bundle has opened, so that a wrong key or an altered bundle creates nothing.
        // With the RSA key, the bundle's origin is checked under the source keyring's KEK: --source-kek, else this keyring's.
        using var sourceKek = a.Value("--source-kek") is { } spec
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
        if (a.Flag("--json"))
        {
            JsonReport.Write("keys import", w =>
            {
                KeysReport.Keyring(w, keyring);
                w.WriteNumber("imported", n);
                w.WriteString("source_audit_head", sourceHead.ToString());
                KeysReport.Keys(w, "keys", keyring.Records);
            });
            return ExitCodes.Ok;
        }
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

    /// <summary>Writes via a temp file and a rename, mode 0600: no partial output file on failure.</summary>
    internal static void WriteNew(string path, byte[] bytes)
    {
        var full = Path.GetFullPath(path);
        var tmp = $"{full}.tmp-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
        try
        {
            using (var fs = OwnerOnlyFile.CreateNew(tmp)) { fs.Write(bytes); fs.Flush(flushToDisk: true); }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { }
            throw;
        }
    }
}

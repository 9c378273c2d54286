using System.Security.Cryptography;

namespace PhiCrypto.Cli.Tests;

/// <summary>
/// What a backup operator has: a keyring (JSON file, env KEK) with the "backups" and "backup-signing"
/// purposes, and the disaster-recovery kit: the recovery key pair and the exported verification key.
/// </summary>
public sealed class BackupKit : IDisposable
{
    private static readonly Lazy<BackupKit> SharedKit = new(() => Create("clinic"));
    public static BackupKit Shared => SharedKit.Value;

    private readonly string _dir;
    public string RecoveryPublic { get; }
    public string RecoveryPrivate { get; }
    /// <summary>The backup verification key (SPKI PEM) as `phicrypt keys signing-key -o` exports it.</summary>
    public string VerificationKey { get; }
    /// <summary>PHICRYPTO_KEYRING and PHICRYPTO_MASTER_KEY of this operator's keyring.</summary>
    public Dictionary<string, string> Env { get; }

    private BackupKit(string dir, Dictionary<string, string> env)
    {
        _dir = dir;
        Env = env;
        RecoveryPublic = Path.Combine(dir, "recovery.pub.pem");
        RecoveryPrivate = Path.Combine(dir, "recovery.pem");
        VerificationKey = Path.Combine(dir, "backup-signing.pub.pem");
    }

    public static BackupKit Create(string name)
    {
        var dir = Directory.CreateTempSubdirectory($"phicrypt-kit-{name}-").FullName;
        var kit = new BackupKit(dir, new Dictionary<string, string>
        {
            ["PHICRYPTO_KEYRING"] = Path.Combine(dir, "keyring.json"),
            ["PHICRYPTO_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        });
        using (var rsa = RSA.Create(3072))
        {
            File.WriteAllText(kit.RecoveryPublic, rsa.ExportSubjectPublicKeyInfoPem());
            File.WriteAllText(kit.RecoveryPrivate, rsa.ExportPkcs8PrivateKeyPem());
        }
        Check(Phicrypt.Run("keys init --purpose backups --purpose backup-signing", kit.Env));
        Check(Phicrypt.Run($"keys signing-key -o {kit.VerificationKey}", kit.Env));
        return kit;
    }

    private static void Check(Phicrypt.Result r)
    {
        if (r.ExitCode != 0) throw new InvalidOperationException($"phicrypt exited {r.ExitCode}: {r.Stderr}");
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

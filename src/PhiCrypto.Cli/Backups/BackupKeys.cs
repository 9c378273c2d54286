// The keys a backup's data key is wrapped under, and the keys a restore may unwrap it with.
// Encrypt: every --recovery-key PUB.pem (RSA-OAEP; the private half stays offline), plus the
// keyring's active "backups" key once the CLI opens a keyring. Decrypt: --recovery-key PRIV.pem.
using PhiCrypto.Messages;

namespace PhiCrypto.Cli.Backups;

internal sealed class BackupKeys : IDisposable
{
    private readonly List<IDisposable> _owned = [];
    public List<IDataKeyWrapper> Wrappers { get; } = [];
    public List<ManifestKey> Names { get; } = [];

    public static BackupKeys ForEncrypt(BackupArgs args) => Load(args, encrypt: true);
    public static BackupKeys ForDecrypt(BackupArgs args) => Load(args, encrypt: false);

    private static BackupKeys Load(BackupArgs args, bool encrypt)
    {
        var keys = new BackupKeys();
        try
        {
            foreach (var path in args.RecoveryKeys)
            {
                string pem = File.ReadAllText(path);
                if (!encrypt && !pem.Contains("PRIVATE KEY", StringComparison.Ordinal))
                    throw new UsageException($"{path}: restoring with a recovery key needs its private key (PEM)");
                keys.Add(RawRsaKeyring.FromPem(pem));
            }
            if (keys.Wrappers.Count == 0)
                throw new UsageException(encrypt ? "backup needs a key: --recovery-key PUB.pem" : "restore needs a key: --recovery-key PRIV.pem");
            return keys;
        }
        catch { keys.Dispose(); throw; }
    }

    private void Add(RawRsaKeyring rsa)
    {
        _owned.Add(rsa);
        Wrappers.Add(rsa);
        Names.Add(new ManifestKey { Provider = rsa.KeyNamespace, Name = rsa.KeyName });
    }

    public void Dispose()
    {
        foreach (var d in _owned) d.Dispose();
    }
}

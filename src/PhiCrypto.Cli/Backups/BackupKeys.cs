// The keys a backup's data key is wrapped under, and the keys a restore may unwrap it with.
// Encrypt: a raw 32-byte AES key (--key-file, the same form `phicrypt encrypt --key-file` uses) and/or
// every --recovery-key PUB.pem (RSA-OAEP; the private half stays offline). Decrypt: the same key file
// and/or --recovery-key PRIV.pem. The keyring's "backups" purpose plugs in here once the CLI opens one.
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
            if (args.KeyFile is not null) keys.AddRaw(args.KeyFile, args.KeyName);
            foreach (var path in args.RecoveryKeys)
            {
                string pem = File.ReadAllText(path);
                if (!encrypt && !pem.Contains("PRIVATE KEY", StringComparison.Ordinal))
                    throw new UsageException($"{path}: restoring with a recovery key needs its private key (PEM)");
                keys.Add(RawRsaKeyring.FromPem(pem));
            }
            if (keys.Wrappers.Count == 0)
                throw new UsageException(encrypt ? "backup needs a key: --key-file FILE and/or --recovery-key PUB.pem"
                    : "restore needs a key: --key-file FILE or --recovery-key PRIV.pem");
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

    private void AddRaw(string path, string keyName)
    {
        var key = File.ReadAllBytes(path);
        try
        {
            if (key.Length != 32) throw new UsageException($"--key-file must hold exactly 32 raw bytes (found {key.Length})");
            var aes = new RawAesKeyring(RawAesKeyring.DefaultNamespace, keyName, key);
            _owned.Add(aes);
            Wrappers.Add(aes);
            Names.Add(new ManifestKey { Provider = aes.KeyNamespace, Name = aes.KeyName });
        }
        finally { System.Security.Cryptography.CryptographicOperations.ZeroMemory(key); }
    }

    public void Dispose()
    {
        foreach (var d in _owned) d.Dispose();
    }
}

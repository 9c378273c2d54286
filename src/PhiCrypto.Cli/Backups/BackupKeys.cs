// The keys a backup's data key is wrapped under, and the keys a restore may unwrap it with.
// Encrypt: the keyring is always opened (its "backup-signing" key signs every backup), and its active
// "backups" version wraps the data key (--keyring/--kek or PHICRYPTO_KEYRING; --purpose to change the
// purpose), with a raw 32-byte AES key (--key-file, the form `phicrypt encrypt --key-file` uses) and
// every --recovery-key PUB.pem (RSA-OAEP; the private half stays offline). Decrypt: whichever of these is
// given (the keyring: the versions of its purpose only, so no other purpose's key unwraps a part); with
// only --recovery-key PRIV.pem no keyring is opened (the disaster-recovery drill, where the
// signature is checked against --verify-key).
using PhiCrypto.Keys;
using PhiCrypto.Messages;

namespace PhiCrypto.Cli.Backups;

internal sealed class BackupKeys : IDisposable
{
    private readonly List<IDisposable> _owned = [];
    public List<IDataKeyWrapper> Wrappers { get; } = [];
    public List<ManifestKey> Names { get; } = [];
    /// <summary>The keyring, when one was opened (always for a backup).</summary>
    public Keyring? Keyring { get; private set; }

    public static BackupKeys ForEncrypt(BackupArgs args) => Load(args, encrypt: true);
    public static BackupKeys ForDecrypt(BackupArgs args) => Load(args, encrypt: false);

    private static BackupKeys Load(BackupArgs args, bool encrypt)
    {
        var keys = new BackupKeys();
        try
        {
            // A restore given no key uses the keyring every other command uses (PHICRYPTO_KEYRING, else the
            // default file when it exists); given another key it does not open it (the recovery drill must
            // work where the keyring and its KEK are absent).
            bool noOtherKey = args.KeyFile is null && args.RecoveryKeys.Count == 0;
            if (encrypt || args.KeyringGiven || (noOtherKey && KeyringCli.Implied))
                keys.AddKeyring(args, encrypt);
            if (args.KeyFile is not null) keys.AddRaw(args.KeyFile, args.KeyName);
            foreach (var path in args.RecoveryKeys)
                keys.Add(RecoveryKeyFile.Load(path, needPrivate: !encrypt));
            if (keys.Wrappers.Count == 0)   // only a restore gets here: a backup always has the keyring
                throw new UsageException("restore needs a key: --keyring (or PHICRYPTO_KEYRING), --key-file FILE or --recovery-key PRIV.pem");
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

    private void AddKeyring(BackupArgs args, bool encrypt)
    {
        var keyring = args.Keyring.OpenKeyring();
        _owned.Add(keyring);
        Keyring = keyring;
        if (!encrypt)
        {
            // A restore unwraps with the versions of its purpose only ("backups" unless --purpose).
            var keys = Streaming.KeySource.DecryptingKeys(keyring, args.Purpose, _owned);
            _owned.Add(keys);
            Wrappers.Add(keys);
            Names.Add(new ManifestKey { Provider = RawAesKeyring.DefaultNamespace, Name = args.Purpose });
            return;
        }
        KeyringHints.RequirePurpose(keyring, args.Purpose);
        var wrapper = new KeyringDataKeys(keyring, args.Purpose);
        _owned.Add(wrapper);
        Wrappers.Add(wrapper);
        Names.Add(new ManifestKey { Provider = RawAesKeyring.DefaultNamespace, Name = wrapper.KeyName ?? args.Purpose });
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
        for (int i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose();   // wrappers before their keyring
    }
}

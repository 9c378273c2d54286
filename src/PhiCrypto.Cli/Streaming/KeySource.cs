// Resolves the data key wrappers a streaming command uses: the keyring (the purpose's active DEK version
// on encrypt, key name "purpose/vN"; any version an EDK names on decrypt), or a raw 32-byte AES key from
// --key-file (namespace/name from --key-namespace/--key-name, defaults "phicrypto"/"raw", the form any
// Encryption SDK with the same raw key reads), plus RSA recovery keys from PEM files.
using PhiCrypto.Keys;
using PhiCrypto.Messages;

namespace PhiCrypto.Cli.Streaming;

internal sealed class KeySource : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    public List<IDataKeyWrapper> Wrappers { get; } = [];

    private static readonly string[] KeyringOptions = ["--keyring", "--kek", "--passphrase-file"];
    public static readonly string[] EncryptOptions = ["--key-file", "--key-namespace", "--key-name", "--purpose", "--recovery-key", .. KeyringOptions];
    public static readonly string[] DecryptOptions = ["--key-file", "--key-namespace", "--key-name", "--recovery-private-key", .. KeyringOptions];

    /// <summary>Wrappers for a new message: the main key (raw file or keyring) plus any recovery public keys.</summary>
    public static KeySource ForEncrypt(CommandArgs a)
    {
        var source = new KeySource();
        try
        {
            source.Add(source.ResolveMainKey(a, encrypt: true));
            foreach (var pem in a.Values("--recovery-key")) source.Add(RecoveryKeyFile.Load(pem, needPrivate: false));
            return source;
        }
        catch { source.Dispose(); throw; }
    }

    /// <summary>Wrappers to try on an existing message: a raw key or the keyring, and/or a recovery private key.</summary>
    public static KeySource ForDecrypt(CommandArgs a)
    {
        var source = new KeySource();
        try
        {
            var recovery = a.Value("--recovery-private-key");
            if (recovery is not null) source.Add(RecoveryKeyFile.Load(recovery, needPrivate: true));
            if (recovery is null || a.Value("--key-file") is not null) source.Add(source.ResolveMainKey(a, encrypt: false));
            return source;
        }
        catch { source.Dispose(); throw; }
    }

    private IDataKeyWrapper ResolveMainKey(CommandArgs a, bool encrypt)
    {
        var keyFile = a.Value("--key-file");
        if (keyFile is null) return ResolveKeyring(a, encrypt);
        var key = File.ReadAllBytes(keyFile);
        try
        {
            if (key.Length != 32) throw new UsageException($"--key-file must hold exactly 32 raw bytes (found {key.Length})");
            return new RawAesKeyring(a.Value("--key-namespace") ?? RawAesKeyring.DefaultNamespace, a.Value("--key-name") ?? RawAesKeyring.DefaultKeyName, key);
        }
        finally { System.Security.Cryptography.CryptographicOperations.ZeroMemory(key); }
    }

    /// <summary>The keyring: purpose (default "files") -> active DEK version on encrypt, any version an EDK names on decrypt.</summary>
    private IDataKeyWrapper ResolveKeyring(CommandArgs a, bool encrypt)
    {
        var options = new KeyringCli { Keyring = a.Value("--keyring"), Kek = a.Value("--kek"), PassphraseFile = a.Value("--passphrase-file") };
        var keyring = options.OpenKeyring();
        _owned.Add(keyring);
        var purpose = encrypt ? a.Value("--purpose") ?? "files" : null;
        if (purpose is not null) KeyringHints.RequirePurpose(keyring, purpose);
        return new KeyringDataKeys(keyring, purpose);
    }

    private void Add(IDataKeyWrapper wrapper)
    {
        Wrappers.Add(wrapper);
        if (wrapper is IDisposable d) _owned.Add(d);
    }

    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose(); // wrappers before their keyring
    }
}

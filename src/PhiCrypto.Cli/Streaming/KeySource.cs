// Resolves the data key wrappers a streaming command uses. Today: a raw 32-byte AES key from --key-file
// (namespace/name from --key-namespace/--key-name, defaults "phicrypto"/"raw", the form any Encryption SDK
// with the same raw key reads) and RSA recovery keys from PEM files. The keyring (purpose + active DEK
// version, key name "purpose/vN") plugs in at ResolveKeyring: the one seam to fill in.
using PhiCrypto.Messages;

namespace PhiCrypto.Cli.Streaming;

internal sealed class KeySource : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    public List<IDataKeyWrapper> Wrappers { get; } = [];

    public static readonly string[] EncryptOptions = ["--key-file", "--key-namespace", "--key-name", "--purpose", "--recovery-key"];
    public static readonly string[] DecryptOptions = ["--key-file", "--key-namespace", "--key-name", "--recovery-private-key"];

    /// <summary>Wrappers for a new message: the main key (raw file or keyring) plus any recovery public keys.</summary>
    public static KeySource ForEncrypt(CommandArgs a)
    {
        var source = new KeySource();
        try
        {
            source.Add(ResolveMainKey(a, encrypt: true));
            foreach (var pem in a.Values("--recovery-key")) source.Add(RawRsaKeyring.FromPem(ReadPem(pem)));
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
            if (recovery is not null) source.Add(RawRsaKeyring.FromPem(ReadPem(recovery)));
            if (recovery is null || a.Value("--key-file") is not null) source.Add(ResolveMainKey(a, encrypt: false));
            return source;
        }
        catch { source.Dispose(); throw; }
    }

    private static IDataKeyWrapper ResolveMainKey(CommandArgs a, bool encrypt)
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

    /// <summary>The keyring seam: purpose -> active DEK version on encrypt, any version named by an EDK on decrypt.</summary>
    private static IDataKeyWrapper ResolveKeyring(CommandArgs a, bool encrypt)
        => throw new KeyNotAvailableException("no key given: pass --key-file FILE (32 raw bytes); keyring keys are not wired into encrypt/decrypt yet");

    private static string ReadPem(string path)
    {
        var text = File.ReadAllText(path);
        if (!text.Contains("-----BEGIN", StringComparison.Ordinal)) throw new UsageException($"'{path}' is not a PEM file");
        return text;
    }

    private void Add(IDataKeyWrapper wrapper)
    {
        Wrappers.Add(wrapper);
        if (wrapper is IDisposable d) _owned.Add(d);
    }

    public void Dispose()
    {
        foreach (var d in _owned) d.Dispose();
    }
}

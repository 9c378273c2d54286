// The streaming format's data keys under keyring DEKs: a message is encrypted under the active
// version of a purpose (raw AES keyring form: namespace "phicrypto", key name "purpose/vN", so other
// Encryption SDKs given that DEK can read it) and decrypted with whichever version an encrypted data
// key names, if that version may still decrypt. Rotation therefore never re-encrypts files.
using PhiCrypto.Messages;
using PhiCrypto.Primitives;

namespace PhiCrypto.Keys;

/// <summary>The keyring as a message key wrapper: used by the CLI (encrypt, decrypt, backup) and the C ABI.</summary>
public sealed class KeyringDataKeys : IDataKeyWrapper, IDisposable
{
    private readonly Keyring _keyring;
    private readonly string? _purpose;
    private readonly RawAesKeyring? _active;

    /// <summary>With <paramref name="purpose"/>: encrypts under its active version and decrypts with its
    /// versions only (KeySource.FromKeyring is the general form). Without: decrypts with any purpose's
    /// version, for the operator's own tools only.</summary>
    public KeyringDataKeys(Keyring keyring, string? purpose)
    {
        _keyring = keyring;
        _purpose = purpose;
        if (purpose is null) return;
        var (keyName, _, key) = keyring.GetEncryptionKey(purpose);
        using (key) _active = new RawAesKeyring(RawAesKeyring.DefaultNamespace, keyName, key);
    }

    public EncryptedDataKey Wrap(ReadOnlySpan<byte> dataKey, ReadOnlySpan<byte> serializedContext) =>
        (_active ?? throw new InvalidOperationException("no purpose to encrypt under")).Wrap(dataKey, serializedContext);

    public bool TryUnwrap(EncryptedDataKey edk, ReadOnlySpan<byte> serializedContext, Span<byte> dataKey)
    {
        if (edk.ProviderId != RawAesKeyring.DefaultNamespace || !RawAesKeyring.TryParseProviderInfo(edk.ProviderInfo, out string keyName, out _))
            return false;
        if (_purpose is not null && (!KeyNames.TryParse(keyName, out var named, out _) || named != _purpose)) return false;
        SecretKey key;
        try { key = _keyring.GetDecryptionKey(keyName); }
        catch (KeyNotAvailableException) { return false; }
        using (key)
        using (var version = new RawAesKeyring(RawAesKeyring.DefaultNamespace, keyName, key))
            return version.TryUnwrap(edk, serializedContext, dataKey);
    }

    /// <summary>The key name new messages are wrapped under ("files/v3"), or null when decrypt-only.</summary>
    public string? KeyName => _active?.KeyName;

    public void Dispose() => _active?.Dispose();
}

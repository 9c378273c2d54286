// The keyring as a message key wrapper: raw AES keyring EDKs (namespace "phicrypto") whose key name is
// "purpose/vN" (raw-aes-keyring.md; the name the keys branch gives its versions). Wrapping uses the
// purpose's active version; unwrapping uses whatever version an EDK names, while that version may still
// decrypt (active or deactivated). An EDK of another purpose or an unknown version is "not mine".
using PhiCrypto.Keys;
using PhiCrypto.Messages;

namespace PhiCrypto.Cli.Backups;

internal sealed class KeyringWrapper : IDataKeyWrapper, IDisposable
{
    private readonly Keyring _keyring;
    private readonly string _purpose;
    private readonly RawAesKeyring? _active;

    public string KeyName => _active?.KeyName ?? _purpose;

    private KeyringWrapper(Keyring keyring, string purpose, RawAesKeyring? active)
    {
        _keyring = keyring; _purpose = purpose; _active = active;
    }

    /// <summary>Wraps under the active version of <paramref name="purpose"/> (and unwraps any of its versions).</summary>
    public static KeyringWrapper ForEncrypt(Keyring keyring, string purpose)
    {
        var (name, _, key) = keyring.GetEncryptionKey(purpose);
        using (key) return new KeyringWrapper(keyring, purpose, new RawAesKeyring(RawAesKeyring.DefaultNamespace, name, key));
    }

    public static KeyringWrapper ForDecrypt(Keyring keyring, string purpose) => new(keyring, purpose, null);

    public EncryptedDataKey Wrap(ReadOnlySpan<byte> dataKey, ReadOnlySpan<byte> serializedContext) =>
        (_active ?? throw new InvalidOperationException("a decrypt-only keyring wrapper cannot wrap")).Wrap(dataKey, serializedContext);

    public bool TryUnwrap(EncryptedDataKey edk, ReadOnlySpan<byte> serializedContext, Span<byte> dataKey)
    {
        if (edk.ProviderId != RawAesKeyring.DefaultNamespace
            || !RawAesKeyring.TryParseProviderInfo(edk.ProviderInfo, out var name, out _)
            || !KeyNames.TryParse(name, out var purpose, out var version) || purpose != _purpose)
            return false;
        Primitives.SecretKey key;
        try { key = _keyring.GetDecryptionKey(purpose, version); }
        catch (KeyNotAvailableException) { return false; }
        using (key)
        using (var ring = new RawAesKeyring(RawAesKeyring.DefaultNamespace, name, key))
            return ring.TryUnwrap(edk, serializedContext, dataKey);
    }

    public void Dispose() => _active?.Dispose();
}

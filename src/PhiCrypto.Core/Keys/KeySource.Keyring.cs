// A keyring purpose as a key source: the purpose's active version encrypts; a ciphertext's version
// decrypts when it is of THIS purpose and its state allows (Keyring.ForDecrypt: one reload for an
// unknown version). A message key name of another purpose ("backups/v1" for "files") is not ours.
using PhiCrypto.Fields;
using PhiCrypto.Messages;
using PhiCrypto.Search;

namespace PhiCrypto.Keys;

internal sealed class KeyringKeySource(Keyring keyring, string purpose) : KeySource(purpose)
{
    public override uint ActiveVersion => keyring.ActiveForEncrypt(Purpose).Record.Version;

    internal override FieldKey ActiveFieldKey(FieldMode mode, int count) => keyring.TakeFieldKey(Purpose, mode, count);

    internal override FieldKey RequireFieldKey(uint version) => keyring.RequireFieldKey(Purpose, version);

    internal override IEnumerable<FieldKey> DecryptableFieldKeys() => keyring.DecryptableFieldKeys(Purpose);

    internal override SearchKeys ActiveSearchKeys() => keyring.ActiveForEncrypt(Purpose).Material!.SearchKeys();

    internal override SearchKeys RequireSearchKeys(uint version) => keyring.ForDecrypt(Purpose, version).Material!.SearchKeys();

    public override IReadOnlyList<uint> DecryptableVersions() => [.. keyring.Decryptable(Purpose).Select(v => v.Record.Version)];

    internal override RawAesKeyring ActiveWrapper()
    {
        var (keyName, _, key) = keyring.GetEncryptionKey(Purpose);
        using (key) return new RawAesKeyring(RawAesKeyring.DefaultNamespace, keyName, key);
    }

    internal override RawAesKeyring? FindWrapper(string keyName)
    {
        if (!KeyNames.TryParse(keyName, out var named, out var version) || named != Purpose) return null;
        try
        {
            using var key = keyring.GetDecryptionKey(Purpose, version);
            return new RawAesKeyring(RawAesKeyring.DefaultNamespace, keyName, key);
        }
        catch (KeyNotAvailableException) { return null; }
    }
}

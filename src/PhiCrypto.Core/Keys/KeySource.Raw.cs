// A raw key as a key source: one key standing for one version. Field subkeys are derived on first
// use (a key used only for messages need not be 32 bytes); messages name it "raw".
using PhiCrypto.Fields;
using PhiCrypto.Messages;
using PhiCrypto.Primitives;
using PhiCrypto.Search;

namespace PhiCrypto.Keys;

internal sealed class RawKeySource : KeySource
{
    private readonly SecretKey _key;
    private readonly uint _version;
    private readonly Lazy<FieldKey> _fieldKey;
    private readonly Lazy<SearchKeys> _searchKeys;

    internal RawKeySource(SecretKey key, uint version, string purpose) : base(purpose)
    {
        _key = SecretKey.Import(key.Span);
        _version = version;
        _fieldKey = new Lazy<FieldKey>(() => FieldKey.Create(_key, _version), LazyThreadSafetyMode.ExecutionAndPublication);
        _searchKeys = new Lazy<SearchKeys>(() => SearchKeys.Create(_key, _version, Purpose), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public override uint ActiveVersion => _version;

    internal override FieldKey ActiveFieldKey(FieldMode mode, int count) => _fieldKey.Value;

    internal override FieldKey RequireFieldKey(uint version) => version == _version ? _fieldKey.Value
        : throw new KeyNotAvailableException($"the envelope names key version {version}; this key stands for version {_version}");

    internal override IEnumerable<FieldKey> DecryptableFieldKeys() => [_fieldKey.Value];

    internal override SearchKeys ActiveSearchKeys() => _searchKeys.Value;

    internal override SearchKeys RequireSearchKeys(uint version) => version == _version ? _searchKeys.Value
        : throw new KeyNotAvailableException($"key version {version} was asked for; this key stands for version {_version}");

    public override IReadOnlyList<uint> DecryptableVersions() => [_version];

    internal override RawAesKeyring ActiveWrapper() => new(RawAesKeyring.DefaultNamespace, RawAesKeyring.DefaultKeyName, _key);

    internal override RawAesKeyring? FindWrapper(string keyName) => keyName == RawAesKeyring.DefaultKeyName ? ActiveWrapper() : null;

    public override void Dispose()
    {
        if (_fieldKey.IsValueCreated) _fieldKey.Value.Dispose();
        if (_searchKeys.IsValueCreated) _searchKeys.Value.Dispose();
        _key.Dispose();
    }
}

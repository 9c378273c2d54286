// The shared key-store suites (Keys/Conformance) run on the JSON file store.
using PhiCrypto.Keys;
using PhiCrypto.Keys.Conformance;

namespace PhiCrypto.Core.Tests.Keys;

public sealed class JsonStoreWriterAttacks : StoreWriterAttacks, IDisposable
{
    private readonly TempKeyring _dir = new();

    protected override IKeyStore Store() => _dir.Store();

    protected override void Overwrite(KeyStoreContents contents) => File.WriteAllBytes(_dir.Path, JsonFileKeyStore.Serialize(contents));

    public void Dispose() => _dir.Dispose();
}

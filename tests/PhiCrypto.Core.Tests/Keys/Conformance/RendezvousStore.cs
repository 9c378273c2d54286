// Test support shared by every store's tests (linked into PhiCrypto.Postgres.Tests).
using PhiCrypto.Keys;

namespace PhiCrypto.Keys.Conformance;

/// <summary>A real store whose next load, once armed, waits for the other writer's: two writers then plan
/// from the same state, which makes the "rotating at the same moment" race happen every time.</summary>
public sealed class RendezvousStore(IKeyStore inner, Barrier barrier) : IKeyStore
{
    private int _armed;
    public void Arm() => Volatile.Write(ref _armed, 1);
    public string Location => inner.Location;
    public KeyStoreContents Load()
    {
        var c = inner.Load();
        if (Interlocked.Exchange(ref _armed, 0) == 1) barrier.SignalAndWait(TimeSpan.FromSeconds(30));
        return c;
    }
    public void Commit(KeyStoreCommit commit) => inner.Commit(commit);
    public void Dispose() => inner.Dispose();
}

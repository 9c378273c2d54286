// The unwrapped DEK of one key version and its per-process usage budget. Shared by every snapshot
// that contains the version, so a rotation or a reload never disturbs a concurrent encryption.
using PhiCrypto.Primitives;

namespace PhiCrypto.Keys;

internal sealed partial class KeyMaterial : IDisposable
{
    private long _budget; // randomized encryptions this process may still do under its reservation

    public KeyMaterial(string purpose, uint version, ReadOnlySpan<byte> dek)
    {
        Purpose = purpose;
        Version = version;
        Dek = SecretKey.Import(dek);
    }

    public string Purpose { get; }
    public uint Version { get; }
    public SecretKey Dek { get; }

    /// <summary>Takes one encryption from the budget; false when a new reservation is needed.</summary>
    public bool TryTakeUsage() => Interlocked.Decrement(ref _budget) >= 0;

    public void AddBudget(long n) => Interlocked.Exchange(ref _budget, n);

    public long Budget => Math.Max(0, Volatile.Read(ref _budget));

    public void Dispose()
    {
        DisposeFieldKey();
        Dek.Dispose();
    }

    partial void DisposeFieldKey();
}

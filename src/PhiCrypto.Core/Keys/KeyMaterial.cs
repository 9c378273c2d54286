// The unwrapped DEK of one key version and its per-process usage budget. Shared by every snapshot
// that contains the version, so a rotation or a reload never disturbs a concurrent encryption. When a
// swap drops the version (destroyed elsewhere) or the keyring is disposed, Dispose closes the DEK and
// the field subkeys: operations in flight hold leases and finish under the real key, later ones throw.
using PhiCrypto.Fields;
using PhiCrypto.Primitives;
using PhiCrypto.Search;

namespace PhiCrypto.Keys;

internal sealed class KeyMaterial : IDisposable
{
    private FieldKey? _fieldKey;
    private SearchKeys? _searchKeys;
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

    /// <summary>Takes <paramref name="n"/> encryptions from the budget; false when a new reservation is needed.</summary>
    public bool TryTakeUsage(long n = 1) => Interlocked.Add(ref _budget, -n) >= 0;

    public void AddBudget(long n) => Interlocked.Exchange(ref _budget, n);

    public long Budget => Math.Max(0, Volatile.Read(ref _budget));

    public object UsageLock { get; } = new();

    /// <summary>A copy of the DEK, read under a lease (a concurrent Dispose cannot zero it half-way).</summary>
    public SecretKey CopyDek() => Dek.Clone();

    /// <summary>The field subkeys of this version, derived on first use.</summary>
    public FieldKey FieldKey(long usageLimit)
    {
        var k = Volatile.Read(ref _fieldKey);
        if (k is not null) return k;
        lock (UsageLock)
        {
            _fieldKey ??= Fields.FieldKey.Create(Dek, Version); // throws ObjectDisposedException once disposed
            _fieldKey.UsageLimit = usageLimit;
            return _fieldKey;
        }
    }

    /// <summary>The blind-index and FF1 keys of this version, derived on first use.</summary>
    public SearchKeys SearchKeys()
    {
        var k = Volatile.Read(ref _searchKeys);
        if (k is not null) return k;
        lock (UsageLock) return _searchKeys ??= Search.SearchKeys.Create(Dek, Version, Purpose);
    }

    public void Dispose()
    {
        lock (UsageLock)
        {
            _fieldKey?.Dispose();
            _searchKeys?.Dispose();
        }
        Dek.Dispose();
    }
}

// A few keyed OpenSSL objects (AesGcm, ECB transforms) that are not thread-safe, shared by the
// threads of one key: a fixed array of slots taken and returned with Interlocked, so the common case
// (one caller, slot 0 free) costs two atomic operations. ConcurrentBag was measured slower here:
// its Count locks every thread's list.
namespace PhiCrypto.Primitives;

internal sealed class InstancePool<T>(Func<T> create) where T : class, IDisposable
{
    private readonly T?[] _slots = new T?[Math.Max(2, Environment.ProcessorCount * 2)];
    private volatile bool _disposed;

    public T Rent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        for (int i = 0; i < _slots.Length; i++)
        {
            if (Volatile.Read(ref _slots[i]) is not null && Interlocked.Exchange(ref _slots[i], null) is { } item)
                return item;
        }
        return create();
    }

    public void Return(T item)
    {
        for (int i = 0; i < _slots.Length && !_disposed; i++)
        {
            if (Interlocked.CompareExchange(ref _slots[i], item, null) is null)
            {
                if (_disposed) Drain(); // lost a race with Dispose: do not leave it behind
                return;
            }
        }
        item.Dispose();
    }

    public void Dispose()
    {
        _disposed = true;
        Drain();
    }

    private void Drain()
    {
        for (int i = 0; i < _slots.Length; i++) Interlocked.Exchange(ref _slots[i], null)?.Dispose();
    }
}

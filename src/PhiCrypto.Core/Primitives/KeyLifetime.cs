// Reference counting for key material, after SafeHandle (DangerousAddRef / DangerousRelease): every
// operation on a key holds a lease; Dispose marks the key closed at once, so new leases throw
// ObjectDisposedException, and the key bytes are zeroed when the last lease ends. A thread in the
// middle of a call therefore never runs under zeroed round keys, and a disposed key never encrypts.
// Cost: one Interlocked add to take a lease and one to drop it; a lease is a ref struct (no allocation).
namespace PhiCrypto.Primitives;

internal sealed class KeyLifetime(string ownerName, Action zeroKeys)
{
    private const int ClosedBit = 1, OneLease = 2;
    private int _state = OneLease; // bit 0: closed; above it, the leases in flight plus the owner's own
    private int _zeroed;

    public bool IsClosed => (Volatile.Read(ref _state) & ClosedBit) != 0;

    /// <summary>Takes a lease (keys stay intact until it is disposed), or throws when the key is disposed.</summary>
    public KeyLease Lease()
    {
        if ((Interlocked.Add(ref _state, OneLease) & ClosedBit) != 0)
        {
            Exit();
            throw new ObjectDisposedException(ownerName);
        }
        return new KeyLease(this);
    }

    /// <summary>Closes the key: no new lease; the keys are zeroed now or when the last lease ends.</summary>
    public void Close()
    {
        if ((Interlocked.Or(ref _state, ClosedBit) & ClosedBit) == 0) Exit(); // drops the owner's reference, once
    }

    internal void Exit()
    {
        if (Interlocked.Add(ref _state, -OneLease) == ClosedBit && Interlocked.Exchange(ref _zeroed, 1) == 0) zeroKeys();
    }
}

/// <summary>One operation's hold on a key: <c>using var lease = lifetime.Lease();</c></summary>
internal readonly ref struct KeyLease(KeyLifetime lifetime)
{
    public void Dispose() => lifetime.Exit();
}

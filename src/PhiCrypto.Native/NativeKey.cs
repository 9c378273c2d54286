// What a phi_key handle points at: a SecretKey plus its field subkeys, derived once (HKDF and key
// schedules) and served for any key version through FieldKey views, since the version is not a
// derivation input. The view cache is bounded: hostile envelopes naming many versions cost at most
// MaxCachedVersions small objects. Thread-safe. Dispose (phi_key_free) closes the subkeys and the
// secret: calls in flight hold leases and finish under the real key; later calls throw.
using PhiCrypto.Fields;
using PhiCrypto.Primitives;

namespace PhiCrypto.Native;

internal sealed class NativeKey(SecretKey secret) : IDisposable
{
    internal const int MaxCachedVersions = 64;

    private readonly object _gate = new();
    private readonly Dictionary<uint, FieldKey> _views = new();
    private FieldKey? _subkeys; // owns the key schedules; the views share them
    private FieldKey? _last;    // the version asked for last: nearly always the only one
    private bool _disposed;

    internal SecretKey Secret { get; } = secret;

    /// <summary>The field subkeys of this key, writing <paramref name="version"/>.</summary>
    internal FieldKey FieldKey(uint version)
    {
        var last = Volatile.Read(ref _last);
        if (last is not null && last.Version == version) return last;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _subkeys ??= Fields.FieldKey.Create(Secret, version);
            if (!_views.TryGetValue(version, out var key))
            {
                if (_views.Count >= MaxCachedVersions) _views.Clear(); // views own no key material
                key = _subkeys.ForVersion(version);
                _views.Add(version, key);
            }
            Volatile.Write(ref _last, key);
            return key;
        }
    }

    internal int CachedVersions
    {
        get { lock (_gate) return _views.Count; }
    }

    /// <summary>Copies the key bytes into <paramref name="buffer"/> (at least MaxSize); the caller zeroes it.</summary>
    internal Span<byte> ExportTo(Span<byte> buffer)
    {
        var raw = buffer[..Secret.Size];
        Secret.Export(raw);
        return raw;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _views.Clear();
            _last = null;
            _subkeys?.Dispose();
        }
        Secret.Dispose();
    }
}

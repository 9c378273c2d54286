// What a phi_key handle points at: a SecretKey plus the field subkeys derived from it, cached per key
// version so a field call does not run HKDF and key schedules again. Thread-safe.
using PhiCrypto.Fields;
using PhiCrypto.Primitives;

namespace PhiCrypto.Native;

internal sealed class NativeKey(SecretKey secret) : IDisposable
{
    private readonly Dictionary<uint, FieldKey> _fieldKeys = new();
    private FieldKey? _last; // the version asked for last: nearly always the only one

    internal SecretKey Secret { get; } = secret;

    /// <summary>The field subkeys of this key for <paramref name="version"/>.</summary>
    internal FieldKey FieldKey(uint version)
    {
        var last = Volatile.Read(ref _last);
        if (last is not null && last.Version == version) return last;
        lock (_fieldKeys)
        {
            if (!_fieldKeys.TryGetValue(version, out var key))
            {
                key = Fields.FieldKey.Create(Secret, version);
                _fieldKeys.Add(version, key);
            }
            Volatile.Write(ref _last, key);
            return key;
        }
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
        lock (_fieldKeys)
        {
            foreach (var key in _fieldKeys.Values) key.Dispose();
            _fieldKeys.Clear();
            _last = null;
        }
        Secret.Dispose();
    }
}

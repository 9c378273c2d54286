// An opaque handle to secret key bytes: pinned so the GC never copies them, zeroed on Dispose,
// never shown by ToString. Generated from the OS CSPRNG (RandomNumberGenerator). Readers inside the
// library hold a KeyLifetime lease, so Dispose zeroes the bytes only once no reader is in flight.
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace PhiCrypto.Primitives;

public sealed class SecretKey : IDisposable
{
    public const int MaxSize = 64;
    private readonly byte[] _bytes; // pinned (POH)
    private readonly KeyLifetime _lifetime;

    private SecretKey(int size)
    {
        _bytes = GC.AllocateUninitializedArray<byte>(size, pinned: true);
        _lifetime = new KeyLifetime(nameof(SecretKey), () => CryptographicOperations.ZeroMemory(_bytes));
    }

    /// <summary>Size of the key in bytes.</summary>
    public int Size => _bytes.Length;

    /// <summary>A new key of <paramref name="size"/> random bytes (default 32: AES-256).</summary>
    public static SecretKey Generate(int size = 32)
    {
        CheckSize(size);
        var key = new SecretKey(size);
        RandomNumberGenerator.Fill(key._bytes); // keys never pass through SecureRandom's buffer
        return key;
    }

    /// <summary>A key holding a copy of <paramref name="raw"/>. The caller should zero its own copy.</summary>
    public static SecretKey Import(ReadOnlySpan<byte> raw)
    {
        CheckSize(raw.Length);
        var key = new SecretKey(raw.Length);
        raw.CopyTo(key._bytes);
        return key;
    }

    /// <summary>Copies the key bytes out: an explicit export, for wrapping or handing to another system.</summary>
    public void Export(Span<byte> destination)
    {
        if (destination.Length != Size) throw new ArgumentException($"destination must be exactly {Size} bytes", nameof(destination));
        using var lease = Lease();
        _bytes.CopyTo(destination);
    }

    /// <summary>A new key holding a copy of these bytes, read under a lease (never a half-zeroed copy).</summary>
    public SecretKey Clone()
    {
        using var lease = Lease();
        return Import(_bytes);
    }

    /// <summary>The key bytes, for the library's own primitives only. A reader that may race with
    /// Dispose holds <see cref="Lease"/> while it reads.</summary>
    internal ReadOnlySpan<byte> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(_lifetime.IsClosed, this);
            return _bytes;
        }
    }

    /// <summary>Keeps the bytes intact until the lease is disposed; throws when the key is disposed.</summary>
    internal KeyLease Lease() => _lifetime.Lease();

    public bool IsDisposed => _lifetime.IsClosed;

    public void Dispose() => _lifetime.Close();

    public override string ToString() => $"SecretKey({Size} bytes)";

    private static void CheckSize(int size)
    {
        if (size is < 16 or > MaxSize) throw new ArgumentOutOfRangeException(nameof(size), "key size must be 16 to 64 bytes");
    }
}

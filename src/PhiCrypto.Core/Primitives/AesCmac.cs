// AES-CMAC, NIST SP 800-38B (also RFC 4493 for AES-128): key of 16, 24 or 32 bytes, any message
// length, a 16-byte tag (Verify also accepts a tag truncated to 8..16 bytes, SP 800-38B 6.3 / A.2).
// Subkeys K1 = dbl(AES(K, 0^128)) and K2 = dbl(K1) are computed once per key. Public calls hold a
// KeyLifetime lease: Dispose zeroes the keys once no call is in flight, and later calls throw.
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace PhiCrypto.Primitives;

/// <summary>An AES-CMAC key ready to use: thread-safe, no allocation per call.</summary>
public sealed class AesCmac : IDisposable
{
    public const int TagSize = 16;
    public const int MinTagSize = 8;

    private readonly AesBlockCipher _cipher;
    private readonly byte[] _subkeys = GC.AllocateArray<byte>(32, pinned: true); // K1 || K2
    private readonly KeyLifetime _lifetime;

    private AesCmac(AesBlockCipher cipher)
    {
        _cipher = cipher;
        _lifetime = new KeyLifetime(nameof(AesCmac), ZeroKeys);
        Span<byte> k1 = _subkeys.AsSpan(0, 16), k2 = _subkeys.AsSpan(16, 16);
        k1.Clear();
        cipher.EncryptBlock(k1, k1);
        Block.Dbl(k1);
        k1.CopyTo(k2);
        Block.Dbl(k2);
    }

    /// <summary>Keys AES-CMAC with a 16-, 24- or 32-byte AES key.</summary>
    public static AesCmac Create(ReadOnlySpan<byte> key)
    {
        if (key.Length is not (16 or 24 or 32)) throw new ArgumentException("AES-CMAC key must be 16, 24 or 32 bytes", nameof(key));
        return CreateCore(key, forceOpenSsl: false);
    }

    public static AesCmac Create(SecretKey key)
    {
        using var lease = key.Lease();
        return Create(key.Span);
    }

    internal static AesCmac CreateCore(ReadOnlySpan<byte> key, bool forceOpenSsl)
        => new(AesBlockCipher.Create(key, forceOpenSsl));

    /// <summary>True when the AES-NI implementation is in use (false: OpenSSL).</summary>
    public bool IsHardwareAccelerated => _cipher.IsHardware;

    /// <summary>Writes the 16-byte tag of <paramref name="message"/> to <paramref name="tag"/>.</summary>
    public void Compute(ReadOnlySpan<byte> message, Span<byte> tag)
    {
        if (tag.Length != TagSize) throw new ArgumentException("CMAC tag must be 16 bytes", nameof(tag));
        using var lease = _lifetime.Lease();
        ComputeCore(message, tag);
    }

    /// <summary>The 16-byte tag (allocating convenience).</summary>
    public byte[] Compute(ReadOnlySpan<byte> message)
    {
        var tag = new byte[TagSize];
        using var lease = _lifetime.Lease();
        ComputeCore(message, tag);
        return tag;
    }

    /// <summary>Constant-time check of a full or truncated (8 to 16 bytes, leftmost) tag.</summary>
    public bool Verify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> tag)
    {
        if (tag.Length is < MinTagSize or > TagSize) throw new ArgumentException("CMAC tag must be 8 to 16 bytes", nameof(tag));
        Span<byte> full = stackalloc byte[TagSize];
        using var lease = _lifetime.Lease();
        ComputeCore(message, full);
        return CryptographicOperations.FixedTimeEquals(full[..tag.Length], tag);
    }

    /// <summary>No lease: for an owner (Aes256Siv) that holds its own around the call.</summary>
    internal void ComputeCore(ReadOnlySpan<byte> message, Span<byte> tag)
    {
        var state = new State(this);
        state.Update(message);
        state.Final(tag);
    }

    public void Dispose() => _lifetime.Close();

    private void ZeroKeys()
    {
        CryptographicOperations.ZeroMemory(_subkeys);
        _cipher.Dispose();
    }

    /// <summary>Streaming CMAC: keeps the last 1..16 bytes back, since the final block is treated apart.</summary>
    internal struct State
    {
        private readonly AesCmac _owner;
        private Block16 _mac;
        private Block16 _buf;
        private int _len;

        public State(AesCmac owner) => _owner = owner;

        public void Update(ReadOnlySpan<byte> data)
        {
            if (data.IsEmpty) return;
            Span<byte> buf = _buf, mac = _mac;
            if (_len > 0)
            {
                int n = Math.Min(16 - _len, data.Length);
                data[..n].CopyTo(buf[_len..]);
                _len += n;
                data = data[n..];
                if (data.IsEmpty) return;
                _owner._cipher.CbcMac(mac, buf);
                _len = 0;
            }
            int bulk = (data.Length - 1) & ~15; // keep 1..16 bytes for Final
            _owner._cipher.CbcMac(mac, data[..bulk]);
            data[bulk..].CopyTo(buf);
            _len = data.Length - bulk;
        }

        public void Final(Span<byte> tag)
        {
            Debug.Assert(tag.Length == TagSize);
            Span<byte> buf = _buf, mac = _mac;
            ReadOnlySpan<byte> subkey;
            if (_len == 16)
            {
                subkey = _owner._subkeys.AsSpan(0, 16);
            }
            else
            {
                buf[_len] = 0x80;
                buf[(_len + 1)..].Clear();
                subkey = _owner._subkeys.AsSpan(16, 16);
            }
            Block.Xor(buf, subkey, buf);
            _owner._cipher.CbcMac(mac, buf);
            mac.CopyTo(tag);
            CryptographicOperations.ZeroMemory(buf);
            CryptographicOperations.ZeroMemory(mac);
        }
    }
}

[InlineArray(16)]
internal struct Block16
{
    private byte _element0;
}

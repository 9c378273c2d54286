// AES-SIV, RFC 5297: deterministic authenticated encryption, S2V over AES-CMAC (SP 800-38B) then
// AES-CTR (SP 800-38A) with the synthetic IV as counter, bits 31 and 63 cleared (section 2.5).
// Key: 64 bytes (AES-256-SIV, the one this library uses). 32- and 48-byte keys (AES-128/192-SIV)
// are accepted too, so the RFC and Wycheproof vectors of those sizes run; K1 = left half (S2V),
// K2 = right half (CTR).
// Wire: SIV (16 bytes) || ciphertext (same length as the plaintext).
// Limits: at most 126 associated-data components (S2V takes up to 127 strings, plaintext included);
// plaintext up to int.MaxValue - 16 bytes.
// Block cipher: AES-NI when the CPU has it and FIPS mode is off when the key is created (measured
// about 10x faster for a 50-byte field), otherwise OpenSSL's AES; both give the same bytes.
// Lifetime: public calls hold a KeyLifetime lease; Dispose zeroes the keys once no call is in flight
// and every later call throws ObjectDisposedException (zeroed round keys are a public permutation).
using System.Diagnostics;
using System.Security.Cryptography;

namespace PhiCrypto.Primitives;

/// <summary>An AES-SIV key ready to use: key schedules set up once, thread-safe, no allocation per call.</summary>
public sealed class Aes256Siv : IDisposable
{
    public const int KeySize = 64;
    public const int SivSize = 16;
    public const int MaxAssociatedDataComponents = 126;

    private readonly AesCmac _mac;          // K1
    private readonly AesBlockCipher _ctr;   // K2
    private readonly byte[] _d0 = GC.AllocateArray<byte>(16, pinned: true); // CMAC(K1, 0^128), fixed per key
    private readonly KeyLifetime _lifetime;

    private Aes256Siv(ReadOnlySpan<byte> key, bool forceOpenSsl)
    {
        _lifetime = new KeyLifetime(nameof(Aes256Siv), ZeroKeys);
        int half = key.Length / 2;
        _mac = AesCmac.CreateCore(key[..half], forceOpenSsl);
        _ctr = AesBlockCipher.Create(key[half..], forceOpenSsl);
        Span<byte> zero = stackalloc byte[16];
        zero.Clear();
        _mac.ComputeCore(zero, _d0);
    }

    /// <summary>Keys AES-SIV: 64 bytes (AES-256-SIV); 32 or 48 bytes give AES-128/192-SIV.</summary>
    public static Aes256Siv Create(ReadOnlySpan<byte> key) => Create(key, forceOpenSsl: false);

    public static Aes256Siv Create(SecretKey key)
    {
        using var lease = key.Lease();
        return Create(key.Span);
    }

    /// <summary>For tests and benchmarks: force the OpenSSL block cipher even when AES-NI is present.</summary>
    internal static Aes256Siv Create(ReadOnlySpan<byte> key, bool forceOpenSsl)
    {
        if (key.Length is not (32 or 48 or 64)) throw new ArgumentException("AES-SIV key must be 64 bytes (or 32/48 for AES-128/192-SIV)", nameof(key));
        return new Aes256Siv(key, forceOpenSsl);
    }

    /// <summary>True when the AES-NI implementation is in use (false: OpenSSL).</summary>
    public bool IsHardwareAccelerated => _ctr.IsHardware;

    /// <summary>Encrypts with one associated-data component (always one, even when empty).
    /// <paramref name="output"/> is exactly plaintext + 16 bytes: SIV || ciphertext.</summary>
    public void Encrypt(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> output)
    {
        CheckEncrypt(plaintext, output);
        using var lease = _lifetime.Lease();
        EncryptUnleased(plaintext, associatedData, output);
    }

    /// <summary>Encrypt without taking a lease: for an owner (FieldKey) that holds one around the call.</summary>
    internal void EncryptUnleased(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> output)
    {
        CryptoPolicy.RequireAesSivAllowed(); // the field path comes here directly: the FIPS refusal must too
        Span<byte> d = stackalloc byte[16];
        _d0.CopyTo(d);
        Absorb(d, associatedData);
        EncryptCore(d, plaintext, output);
    }

    /// <summary>Encrypts with a vector of associated-data components, RFC 5297 section 2.6; for the
    /// nonce-based use of section 3 the nonce is the last component.</summary>
    public void Encrypt(ReadOnlySpan<byte> plaintext, ReadOnlySpan<ReadOnlyMemory<byte>> associatedData, Span<byte> output)
    {
        CheckEncrypt(plaintext, output);
        CheckComponents(associatedData);
        using var lease = _lifetime.Lease();
        Span<byte> d = stackalloc byte[16];
        _d0.CopyTo(d);
        foreach (var component in associatedData) Absorb(d, component.Span);
        EncryptCore(d, plaintext, output);
    }

    /// <summary>Allocating convenience: SIV || ciphertext.</summary>
    public byte[] Encrypt(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        var output = new byte[checked(plaintext.Length + SivSize)];
        Encrypt(plaintext, associatedData, output);
        return output;
    }

    /// <summary>Decrypts and verifies with one associated-data component; false on failure with
    /// <paramref name="plaintext"/> zeroed. <paramref name="plaintext"/> is exactly input - 16 bytes.</summary>
    public bool TryDecrypt(ReadOnlySpan<byte> sivAndCiphertext, ReadOnlySpan<byte> associatedData, Span<byte> plaintext)
    {
        using var lease = _lifetime.Lease();
        return TryDecryptUnleased(sivAndCiphertext, associatedData, plaintext);
    }

    /// <summary>TryDecrypt without taking a lease: for an owner (FieldKey) that holds one around the call.</summary>
    internal bool TryDecryptUnleased(ReadOnlySpan<byte> sivAndCiphertext, ReadOnlySpan<byte> associatedData, Span<byte> plaintext)
    {
        if (!CheckDecrypt(sivAndCiphertext, plaintext)) return false;
        Span<byte> d = stackalloc byte[16];
        _d0.CopyTo(d);
        Absorb(d, associatedData);
        return DecryptCore(d, sivAndCiphertext, plaintext);
    }

    /// <summary>Decrypts and verifies with a vector of associated-data components.</summary>
    public bool TryDecrypt(ReadOnlySpan<byte> sivAndCiphertext, ReadOnlySpan<ReadOnlyMemory<byte>> associatedData, Span<byte> plaintext)
    {
        CheckComponents(associatedData);
        using var lease = _lifetime.Lease();
        if (!CheckDecrypt(sivAndCiphertext, plaintext)) return false;
        Span<byte> d = stackalloc byte[16];
        _d0.CopyTo(d);
        foreach (var component in associatedData) Absorb(d, component.Span);
        return DecryptCore(d, sivAndCiphertext, plaintext);
    }

    /// <summary>Like <see cref="TryDecrypt(ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte})"/> but throws
    /// <see cref="AuthenticationFailedException"/>.</summary>
    public void Decrypt(ReadOnlySpan<byte> sivAndCiphertext, ReadOnlySpan<byte> associatedData, Span<byte> plaintext)
    {
        if (!TryDecrypt(sivAndCiphertext, associatedData, plaintext)) throw new AuthenticationFailedException();
    }

    /// <summary>Allocating convenience; throws <see cref="AuthenticationFailedException"/>.</summary>
    public byte[] Decrypt(ReadOnlySpan<byte> sivAndCiphertext, ReadOnlySpan<byte> associatedData)
    {
        if (sivAndCiphertext.Length < SivSize) throw new AuthenticationFailedException();
        var plaintext = new byte[sivAndCiphertext.Length - SivSize];
        Decrypt(sivAndCiphertext, associatedData, plaintext);
        return plaintext;
    }

    private static void CheckEncrypt(ReadOnlySpan<byte> plaintext, Span<byte> output)
    {
        CryptoPolicy.RequireAesSivAllowed(); // not an approved mode: refused in FIPS mode unless allowed by name
        if (plaintext.Length > int.MaxValue - SivSize) throw new ArgumentException("plaintext too long", nameof(plaintext));
        if (output.Length != plaintext.Length + SivSize) throw new ArgumentException("output must be plaintext length + 16", nameof(output));
        if (plaintext.Overlaps(output)) throw new ArgumentException("plaintext and output overlap", nameof(output));
    }

    private static bool CheckDecrypt(ReadOnlySpan<byte> input, Span<byte> plaintext)
    {
        CryptoPolicy.RequireAesSivAllowed();
        if (input.Length < SivSize) return false;
        if (plaintext.Length != input.Length - SivSize) throw new ArgumentException("output must be input length - 16", nameof(plaintext));
        if (plaintext.Overlaps(input)) throw new ArgumentException("input and output overlap", nameof(plaintext));
        return true;
    }

    private static void CheckComponents(ReadOnlySpan<ReadOnlyMemory<byte>> components)
    {
        if (components.Length > MaxAssociatedDataComponents)
            throw new ArgumentException($"AES-SIV takes at most {MaxAssociatedDataComponents} associated-data components", nameof(components));
    }

    // S2V step for one component: D = dbl(D) xor CMAC(K1, S_i).
    private void Absorb(Span<byte> d, ReadOnlySpan<byte> component)
    {
        Span<byte> mac = stackalloc byte[16];
        _mac.ComputeCore(component, mac);
        Block.Dbl(d);
        Block.Xor(d, mac, d);
    }

    // S2V last step on the plaintext: V = CMAC(K1, Sn xorend D) or CMAC(K1, dbl(D) xor pad(Sn)).
    private void Finish(Span<byte> d, ReadOnlySpan<byte> plaintext, Span<byte> v)
    {
        var state = new AesCmac.State(_mac);
        if (plaintext.Length >= 16)
        {
            Block.Xor(plaintext[^16..], d, d);
            state.Update(plaintext[..^16]);
            state.Update(d);
        }
        else
        {
            Span<byte> padded = stackalloc byte[16];
            padded.Clear();
            plaintext.CopyTo(padded);
            padded[plaintext.Length] = 0x80;
            Block.Dbl(d);
            Block.Xor(d, padded, d);
            state.Update(d);
        }
        state.Final(v);
    }

    private void EncryptCore(Span<byte> d, ReadOnlySpan<byte> plaintext, Span<byte> output)
    {
        Debug.Assert(output.Length == plaintext.Length + SivSize);
        Span<byte> v = output[..SivSize];
        Finish(d, plaintext, v);
        Span<byte> q = stackalloc byte[16];
        CounterFromSiv(v, q);
        _ctr.Ctr64(q, plaintext, output[SivSize..]);
    }

    private bool DecryptCore(Span<byte> d, ReadOnlySpan<byte> input, Span<byte> plaintext)
    {
        Debug.Assert(plaintext.Length == input.Length - SivSize);
        var v = input[..SivSize];
        Span<byte> q = stackalloc byte[16];
        CounterFromSiv(v, q);
        _ctr.Ctr64(q, input[SivSize..], plaintext);
        Span<byte> t = stackalloc byte[16];
        Finish(d, plaintext, t);
        if (CryptographicOperations.FixedTimeEquals(t, v)) return true;
        CryptographicOperations.ZeroMemory(plaintext);
        return false;
    }

    // Q = V AND 1^64 0^1 1^31 0^1 1^31: clears the top bit of bytes 8 and 12 (RFC 5297 2.5).
    private static void CounterFromSiv(ReadOnlySpan<byte> v, Span<byte> q)
    {
        v.CopyTo(q);
        q[8] &= 0x7f;
        q[12] &= 0x7f;
    }

    public void Dispose() => _lifetime.Close();

    private void ZeroKeys()
    {
        CryptographicOperations.ZeroMemory(_d0);
        _mac.Dispose();
        _ctr.Dispose();
    }
}

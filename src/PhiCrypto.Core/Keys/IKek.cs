// A key-encryption key (KEK): wraps and unwraps 32-byte DEKs (NIST SP 800-38F: KWP = RFC 5649,
// KW = RFC 3394). Implementations: SoftwareKek (env, passphrase) in this folder, Pkcs11Kek on a token.
// A KEK never leaves its provider; the keyring sees only wrapped bytes and the key check value.
using System.Security.Cryptography;

namespace PhiCrypto.Keys;

/// <summary>How a DEK record's key bytes are wrapped. Wire values are part of the record format.</summary>
public enum WrapAlgorithm : byte
{
    /// <summary>No key bytes: a destroyed record.</summary>
    None = 0,
    /// <summary>AES key wrap with padding, RFC 5649 / SP 800-38F KWP.</summary>
    AesKwp = 1,
    /// <summary>AES key wrap, RFC 3394 / SP 800-38F KW (for tokens without KWP; 32-byte keys only).</summary>
    AesKw = 2,
}

public interface IKek : IDisposable
{
    /// <summary>A name for the KEK that carries no secret, e.g. "env:PHICRYPTO_MASTER_KEY" or a pkcs11: URI.</summary>
    string Id { get; }

    /// <summary>The KEK's key check value: the first 3 bytes of AES-ECB(KEK, 16 zero bytes), as PKCS#11 CKA_CHECK_VALUE.</summary>
    ReadOnlySpan<byte> CheckValue { get; }

    /// <summary>Settings the keyring must store so this KEK can be rebuilt later (passphrase salt and cost). No secrets.</summary>
    IReadOnlyDictionary<string, string> StoreSettings { get; }

    /// <summary>Wraps <paramref name="dek"/> (32 bytes) and returns the algorithm used and the wrapped bytes.</summary>
    (WrapAlgorithm Algorithm, byte[] Wrapped) Wrap(ReadOnlySpan<byte> dek);

    /// <summary>Unwraps into <paramref name="dek"/> (exactly 32 bytes); throws <see cref="AuthenticationFailedException"/> on a bad wrapping.</summary>
    void Unwrap(WrapAlgorithm algorithm, ReadOnlySpan<byte> wrapped, Span<byte> dek);
}

public static class KeyCheckValue
{
    public const int Size = 3;

    /// <summary>PKCS#11 v2.40 CKA_CHECK_VALUE for an AES key: first 3 bytes of ECB encryption of a zero block.</summary>
    public static byte[] Compute(ReadOnlySpan<byte> aesKey)
    {
        using var aes = Aes.Create();
        aes.Key = aesKey.ToArray();
        Span<byte> block = stackalloc byte[16];
        block.Clear();
        Span<byte> output = stackalloc byte[16];
        aes.EncryptEcb(block, output, PaddingMode.None);
        var kcv = output[..Size].ToArray();
        CryptographicOperations.ZeroMemory(output);
        return kcv;
    }

    public static string ToHex(ReadOnlySpan<byte> kcv) => Convert.ToHexStringLower(kcv);
}

// HKDF, RFC 5869 (SP 800-56C rev2 two-step KDF), with SHA-256 or SHA-512, through OpenSSL.
// Output length at most 255 * hash length.
using System.Security.Cryptography;

namespace PhiCrypto.Primitives;

public static class Hkdf
{
    /// <summary>HKDF-Extract-then-Expand into <paramref name="output"/> (its length is L).</summary>
    public static void DeriveKey(HashAlgorithmName hash, ReadOnlySpan<byte> ikm, Span<byte> output, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> info)
    {
        CheckHash(hash);
        int max = 255 * HashLength(hash);
        if (output.Length is 0 || output.Length > max) throw new ArgumentException($"HKDF output must be 1 to {max} bytes", nameof(output));
        HKDF.DeriveKey(hash, ikm, output, salt, info);
    }

    /// <summary>HKDF-Expand only, from a pseudorandom key.</summary>
    public static void Expand(HashAlgorithmName hash, ReadOnlySpan<byte> prk, Span<byte> output, ReadOnlySpan<byte> info)
    {
        CheckHash(hash);
        HKDF.Expand(hash, prk, output, info);
    }

    /// <summary>HKDF-Extract only.</summary>
    public static int Extract(HashAlgorithmName hash, ReadOnlySpan<byte> ikm, ReadOnlySpan<byte> salt, Span<byte> prk)
    {
        CheckHash(hash);
        return HKDF.Extract(hash, ikm, salt, prk);
    }

    internal static int HashLength(HashAlgorithmName hash) => hash == HashAlgorithmName.SHA512 ? 64 : hash == HashAlgorithmName.SHA384 ? 48 : 32;

    private static void CheckHash(HashAlgorithmName hash)
    {
        if (hash != HashAlgorithmName.SHA256 && hash != HashAlgorithmName.SHA384 && hash != HashAlgorithmName.SHA512)
            throw new ArgumentException("HKDF supports SHA-256, SHA-384 and SHA-512", nameof(hash));
    }
}

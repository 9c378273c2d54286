// An ECDSA P-384 key pair derived from a keyring data key, so that a signing key is an ordinary
// keyring purpose (versions, rotation, states, audit and recovery bundles come for free).
// References:
//   FIPS 186-5 (2023), section 6.2 and appendix A.2.1 "ECDSA Key Pair Generation using Extra Random
//     Bits": returned_bits of length N + 64 (448 bits for P-384), c = int(returned_bits),
//     d = (c mod (n - 1)) + 1, Q = d·G.
//   SP 800-56C rev. 2 / RFC 5869: HKDF-SHA-384 supplies the returned_bits from the 256-bit DEK (which
//     the keyring drew from an approved RNG); the info string separates this use from any other.
//   SP 800-186: the P-384 domain parameters (order n below).
// Limits: System.Numerics.BigInteger is immutable and cannot be zeroed; the intermediate integers live
// until collected. The byte buffers holding the seed and the scalar are zeroed.
using System.Numerics;
using System.Security.Cryptography;
using PhiCrypto.Primitives;

namespace PhiCrypto.Signing;

internal static class SigningKeyDerivation
{
    /// <summary>Domain separation: changing it changes every derived key (so it is versioned).</summary>
    private static ReadOnlySpan<byte> Info => "phicrypto/signing-key/ecdsa-p384/v1"u8;
    private const int ScalarBytes = 48;                    // N = 384
    private const int ReturnedBytes = ScalarBytes + 8;     // N + 64 bits

    private static readonly BigInteger Order = BigInteger.Parse(
        "0FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973",
        System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The P-384 key pair of <paramref name="seed"/> (a 32-byte data key). The caller disposes it.</summary>
    public static ECDsa DeriveP384(ReadOnlySpan<byte> seed)
    {
        if (seed.Length < 32) throw new ArgumentException("a signing seed is at least 32 bytes", nameof(seed));
        Span<byte> returned = stackalloc byte[ReturnedBytes];
        var d = new byte[ScalarBytes];
        try
        {
            Hkdf.DeriveKey(HashAlgorithmName.SHA384, seed, returned, salt: default, Info);
            var c = new BigInteger(returned, isUnsigned: true, isBigEndian: true);
            var scalar = (c % (Order - 1)) + 1;
            int written = scalar.GetByteCount(isUnsigned: true);
            scalar.TryWriteBytes(d.AsSpan(ScalarBytes - written), out _, isUnsigned: true, isBigEndian: true);
            // The public point is computed by the provider from d.
            return ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP384, D = d });
        }
        finally
        {
            CryptographicOperations.ZeroMemory(returned);
            CryptographicOperations.ZeroMemory(d);
        }
    }
}

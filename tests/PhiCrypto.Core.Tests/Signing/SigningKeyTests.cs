using System.Security.Cryptography;
using PhiCrypto.Primitives;
using PhiCrypto.Signing;

namespace PhiCrypto.Core.Tests.Signing;

/// <summary>The ECDSA P-384 signing key derived from a keyring data key (FIPS 186-5 A.2.1 from HKDF-SHA-384).</summary>
public sealed class SigningKeyTests
{
    private static readonly byte[] Seed = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];

    // Computed independently with Python's `cryptography` (HKDF-SHA384, salt none, info
    // "phicrypto/signing-key/ecdsa-p384/v1", 56 bytes; d = c mod (n - 1) + 1; SPKI DER of d·G).
    private const string ExpectedD = "fec814bb0f96cb353ee689424ca15f6ca4592b9a46221f95f1a6d25bd005b8ce9b6ec8981a78aa74f580912f6b59f4a7";
    private const string ExpectedFingerprint = "SHA256:4252a6e2e4f055b5e6e517292f8ab332ebc45cf57312e7b1987249e0f82f0513";

    private static SigningKey KeyOf(byte[] seed, string name = "backup-signing/v1")
    {
        using var dek = SecretKey.Import(seed);
        return SigningKey.FromDataKey(name, dek);
    }

    [Fact]
    public void The_scalar_and_public_key_match_an_independent_implementation()
    {
        using var ecdsa = SigningKeyDerivation.DeriveP384(Seed);
        Assert.Equal(ExpectedD, Convert.ToHexStringLower(ecdsa.ExportParameters(true).D!));
        using var key = KeyOf(Seed);
        Assert.Equal(ExpectedFingerprint, key.VerificationKey.Fingerprint);
    }

    [Fact]
    public void Signatures_verify_only_for_the_same_data_and_key()
    {
        using var key = KeyOf(Seed);
        using var other = KeyOf(RandomNumberGenerator.GetBytes(32));
        var data = "manifest"u8.ToArray();
        var sig = key.Sign(data);
        Assert.True(key.VerificationKey.Verify(data, sig));
        Assert.False(key.VerificationKey.Verify("manifesT"u8, sig));
        Assert.False(other.VerificationKey.Verify(data, sig));
        Assert.False(key.VerificationKey.Verify(data, sig.AsSpan(1)));      // malformed DER
        Assert.False(key.VerificationKey.Verify(data, []));
        Assert.NotEqual(key.VerificationKey.Fingerprint, other.VerificationKey.Fingerprint);
    }

    [Fact]
    public void The_pem_round_trips_and_only_p384_public_keys_are_accepted()
    {
        using var key = KeyOf(Seed);
        using var back = VerificationKey.FromPem(key.VerificationKey.ToPem(), "kit.pem");
        Assert.Equal(ExpectedFingerprint, back.Fingerprint);
        Assert.True(back.Verify("x"u8, key.Sign("x"u8)));

        using var p256 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var rsa = RSA.Create(2048);
        Assert.Throws<MalformedDataException>(() => VerificationKey.FromPem(p256.ExportSubjectPublicKeyInfoPem(), "p256.pem"));
        Assert.Throws<MalformedDataException>(() => VerificationKey.FromPem(rsa.ExportSubjectPublicKeyInfoPem(), "rsa.pem"));
        Assert.Throws<MalformedDataException>(() => VerificationKey.FromPem(rsa.ExportPkcs8PrivateKeyPem(), "private.pem"));
        Assert.Throws<MalformedDataException>(() => VerificationKey.FromPem("not a pem", "x"));
    }

    [Fact]
    public void A_seed_shorter_than_32_bytes_is_refused() =>
        Assert.Throws<ArgumentException>(() => SigningKeyDerivation.DeriveP384(new byte[16]));
}

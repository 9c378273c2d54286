// A long-term signing key: ECDSA P-384 with SHA-384 (FIPS 186-5 section 6.4; SP 800-131A approves it
// for signature generation), signatures DER-encoded (RFC 3279 Ecdsa-Sig-Value) so that
// `openssl dgst -sha384 -verify key.pub.pem -signature sig` checks them too.
// The private half comes from a keyring purpose (SigningKeyDerivation); only the key name
// ("backup-signing/v2") and the public half ever leave this object.
using System.Security.Cryptography;
using PhiCrypto.Keys;

namespace PhiCrypto.Signing;

/// <summary>The private signing key of one keyring version.</summary>
public sealed class SigningKey : IDisposable
{
    private readonly ECDsa _ecdsa;

    /// <summary>The keyring version it comes from, e.g. "backup-signing/v1".</summary>
    public string KeyName { get; }
    public VerificationKey VerificationKey { get; }

    private SigningKey(string keyName, ECDsa ecdsa)
    {
        KeyName = keyName;
        _ecdsa = ecdsa;
        VerificationKey = VerificationKey.FromSubjectPublicKeyInfo(ecdsa.ExportSubjectPublicKeyInfo(), keyName);
    }

    /// <summary>The active version of <paramref name="purpose"/>.</summary>
    public static SigningKey FromKeyring(Keyring keyring, string purpose)
    {
        var (keyName, _, dek) = keyring.GetEncryptionKey(purpose);
        using (dek) return FromDataKey(keyName, dek);
    }

    internal static SigningKey FromDataKey(string keyName, Primitives.SecretKey dek)
    {
        var seed = new byte[dek.Size];
        try
        {
            dek.Export(seed);
            return new SigningKey(keyName, SigningKeyDerivation.DeriveP384(seed));
        }
        finally { CryptographicOperations.ZeroMemory(seed); }
    }

    /// <summary>ECDSA P-384 / SHA-384 over <paramref name="data"/>, DER-encoded.</summary>
    public byte[] Sign(ReadOnlySpan<byte> data) =>
        _ecdsa.SignData(data, HashAlgorithmName.SHA384, DSASignatureFormat.Rfc3279DerSequence);

    public void Dispose()
    {
        _ecdsa.Dispose();
        VerificationKey.Dispose();
    }
}

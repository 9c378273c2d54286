// The public half of a SigningKey: what a verifier pins. Exported as SubjectPublicKeyInfo PEM
// (RFC 5480) and named by a fingerprint, "SHA256:" + hex of SHA-256 over the DER SubjectPublicKeyInfo,
// which an operator can recompute with `openssl pkey -pubin -outform der | sha256sum`.
// Only P-384 keys are accepted: a pinned file holding any other key is an error, not a weaker check.
using System.Security.Cryptography;
using PhiCrypto.Keys;

namespace PhiCrypto.Signing;

/// <summary>An ECDSA P-384 public key that verifies SHA-384 signatures (DER).</summary>
public sealed class VerificationKey : IDisposable
{
    private const string P384Oid = "1.3.132.0.34";   // secp384r1 (RFC 5480)
    private readonly ECDsa _ecdsa;
    private readonly byte[] _spki;

    /// <summary>Where it came from: a keyring version ("backup-signing/v1") or a file name.</summary>
    public string Source { get; }
    /// <summary>"SHA256:" + lowercase hex of SHA-256(SubjectPublicKeyInfo DER).</summary>
    public string Fingerprint => "SHA256:" + Convert.ToHexStringLower(SHA256.HashData(_spki));

    private VerificationKey(ECDsa ecdsa, byte[] spki, string source)
    {
        _ecdsa = ecdsa;
        _spki = spki;
        Source = source;
    }

    internal static VerificationKey FromSubjectPublicKeyInfo(byte[] spki, string source)
    {
        var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportSubjectPublicKeyInfo(spki, out int read);
            if (read != spki.Length || ecdsa.KeySize != 384 || ecdsa.ExportParameters(false).Curve.Oid.Value != P384Oid)
                throw new MalformedDataException($"{source}: not an ECDSA P-384 public key");
            return new VerificationKey(ecdsa, spki, source);
        }
        catch (CryptographicException)
        {
            ecdsa.Dispose();
            throw new MalformedDataException($"{source}: not an ECDSA P-384 public key");
        }
        catch { ecdsa.Dispose(); throw; }
    }

    /// <summary>Reads a "-----BEGIN PUBLIC KEY-----" PEM (as <see cref="ToPem"/> writes it).</summary>
    public static VerificationKey FromPem(string pem, string source)
    {
        if (!PemEncoding.TryFind(pem, out var fields) || pem[fields.Label] != "PUBLIC KEY")
            throw new MalformedDataException($"{source}: not a PUBLIC KEY in PEM form");
        return FromSubjectPublicKeyInfo(Convert.FromBase64String(pem[fields.Base64Data].ToString()), source);
    }

    /// <summary>The public key of a keyring version (active or deactivated: one that may still decrypt).</summary>
    public static VerificationKey FromKeyring(Keyring keyring, string keyName)
    {
        using var dek = keyring.GetDecryptionKey(keyName);
        using var key = SigningKey.FromDataKey(keyName, dek);
        return FromSubjectPublicKeyInfo(key.VerificationKey._spki, keyName);
    }

    public string ToPem() => PemEncoding.WriteString("PUBLIC KEY", _spki);

    /// <summary>True only for a valid signature of <paramref name="data"/> under this key.</summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        try { return _ecdsa.VerifyData(data, signature, HashAlgorithmName.SHA384, DSASignatureFormat.Rfc3279DerSequence); }
        catch (CryptographicException) { return false; }   // a malformed DER signature is just a wrong one
    }

    public void Dispose() => _ecdsa.Dispose();
}

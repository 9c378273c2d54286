// Raw RSA keyring EDK form, aws-encryption-sdk-specification framework/raw-rsa-keyring.md, padding
// OAEP with SHA-256 and MGF1-SHA-256 (RFC 8017 7.1):
//   key provider ID = key namespace, key provider info = key name (UTF-8), ciphertext = RSA-OAEP(data key).
// Used for an offline recovery key: messages are wrapped to its public key; only the holder of the private
// key (kept offline) can unwrap. The key name we use is "recovery/" + the first 8 bytes (hex) of SHA-256
// over the public key's SubjectPublicKeyInfo, so several recovery keys can coexist.
using System.Security.Cryptography;
using System.Text;

namespace PhiCrypto.Messages;

/// <summary>Wraps data keys to an RSA public key (encrypt) or unwraps with its private key (decrypt).</summary>
public sealed class RawRsaKeyring : IDataKeyWrapper, IDisposable
{
    public const int MinKeyBits = 2048;
    private readonly RSA _rsa;
    private readonly bool _hasPrivate;

    private RawRsaKeyring(string keyNamespace, string keyName, RSA rsa, bool hasPrivate)
    {
        if (rsa.KeySize < MinKeyBits) throw new ArgumentException($"RSA recovery key must be at least {MinKeyBits} bits");
        KeyNamespace = keyNamespace; KeyName = keyName; _rsa = rsa; _hasPrivate = hasPrivate;
    }

    public string KeyNamespace { get; }
    public string KeyName { get; }

    /// <summary>A keyring from a PEM public key ("PUBLIC KEY" or "RSA PUBLIC KEY") or private key; wraps only with a public key.</summary>
    public static RawRsaKeyring FromPem(string pem, string keyNamespace = RawAesKeyring.DefaultNamespace, string? keyName = null)
    {
        var rsa = RSA.Create();
        try { rsa.ImportFromPem(pem); }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            rsa.Dispose();
            throw new ArgumentException("not an RSA key in PEM form");
        }
        bool hasPrivate = pem.Contains("PRIVATE KEY", StringComparison.Ordinal);
        return new RawRsaKeyring(keyNamespace, keyName ?? RecoveryKeyName(rsa), rsa, hasPrivate);
    }

    /// <summary>Takes ownership of <paramref name="rsa"/> (e.g. a private key decrypted from an encrypted PEM).</summary>
    public static RawRsaKeyring FromRsa(RSA rsa, bool hasPrivate, string keyNamespace = RawAesKeyring.DefaultNamespace) =>
        new(keyNamespace, RecoveryKeyName(rsa), rsa, hasPrivate);

    /// <summary>"recovery/" + hex of the first 8 bytes of SHA-256(SubjectPublicKeyInfo).</summary>
    public static string RecoveryKeyName(RSA rsa)
    {
        var digest = SHA256.HashData(rsa.ExportSubjectPublicKeyInfo());
        return "recovery/" + Convert.ToHexStringLower(digest.AsSpan(0, 8));
    }

    public EncryptedDataKey Wrap(ReadOnlySpan<byte> dataKey, ReadOnlySpan<byte> serializedContext)
    {
        var ciphertext = _rsa.Encrypt(dataKey.ToArray(), RSAEncryptionPadding.OaepSHA256);
        return new EncryptedDataKey(KeyNamespace, Encoding.UTF8.GetBytes(KeyName), ciphertext);
    }

    public bool TryUnwrap(EncryptedDataKey edk, ReadOnlySpan<byte> serializedContext, Span<byte> dataKey)
    {
        if (!_hasPrivate || edk.ProviderId != KeyNamespace) return false;
        if (!edk.ProviderInfo.AsSpan().SequenceEqual(Encoding.UTF8.GetBytes(KeyName))) return false;
        var buffer = new byte[_rsa.KeySize / 8];
        try
        {
            if (!_rsa.TryDecrypt(edk.Ciphertext, buffer, RSAEncryptionPadding.OaepSHA256, out int written) || written != dataKey.Length) return false;
            buffer.AsSpan(0, written).CopyTo(dataKey);
            return true;
        }
        catch (CryptographicException) { return false; }
        finally { CryptographicOperations.ZeroMemory(buffer); }
    }

    public void Dispose() => _rsa.Dispose();
}

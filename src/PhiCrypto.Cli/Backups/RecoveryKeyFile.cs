// A recovery key from a PEM file: the public half (to wrap to) or the private half (to unwrap with),
// the private one possibly password-protected (`openssl genpkey ... -aes-256-cbc`, as the disaster-
// recovery runbook makes it). The password comes from PHICRYPTO_RECOVERY_KEY_PASSWORD or a terminal
// prompt, never from the command line. A wrong password is its own error, not "not an RSA key".
using System.Security.Cryptography;
using PhiCrypto.Messages;

namespace PhiCrypto.Cli;

internal static class RecoveryKeyFile
{
    public const string PasswordVariable = "PHICRYPTO_RECOVERY_KEY_PASSWORD";

    public static RawRsaKeyring Load(string path, bool needPrivate)
    {
        var pem = File.ReadAllText(path);
        if (needPrivate) RequirePrivate(path, pem);
        if (!IsEncrypted(pem))
        {
            try { return RawRsaKeyring.FromPem(pem); }
            catch (ArgumentException) { throw NotRsa(path); }
        }
        var rsa = OpenEncrypted(path, pem);
        try { return RawRsaKeyring.FromRsa(rsa, hasPrivate: true); }
        catch { rsa.Dispose(); throw; }
    }

    /// <summary>The private key as an RSA object (`keys import`), with the same password rules and errors.</summary>
    public static RSA LoadPrivateRsa(string path)
    {
        var pem = File.ReadAllText(path);
        RequirePrivate(path, pem);
        if (IsEncrypted(pem)) return OpenEncrypted(path, pem);
        var rsa = RSA.Create();
        try { rsa.ImportFromPem(pem); return rsa; }
        catch (Exception e) when (e is ArgumentException or CryptographicException) { rsa.Dispose(); throw NotRsa(path); }
    }

    private static bool IsEncrypted(string pem) => pem.Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal);

    private static void RequirePrivate(string path, string pem)
    {
        if (!pem.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
            throw new UsageException($"{path}: decrypting with a recovery key needs its private key (PEM), not the public one");
    }

    private static UsageException NotRsa(string path) => new($"{path} is not an RSA key in PEM form");

    private static RSA OpenEncrypted(string path, string pem)
    {
        var rsa = RSA.Create();
        try
        {
            var password = KeyringCli.ReadPassphrase(null, PasswordVariable);
            try { rsa.ImportFromEncryptedPem(pem, password); }
            catch (CryptographicException)
            {
                throw new PhiCryptoException(PhiStatus.AuthenticationFailed,
                    $"{path}: wrong password for the encrypted recovery key (set {PasswordVariable} or type it at the prompt)");
            }
            catch (ArgumentException) { throw NotRsa(path); }
            return rsa;
        }
        catch { rsa.Dispose(); throw; }
    }
}

// The parameters of a passphrase-based key derivation, stored beside what the derived key protects so
// the same key can be derived again. Two algorithms: PBKDF2-HMAC-SHA-256 (SP 800-132, FIPS-approved)
// and Argon2id (RFC 9106, not approved: refused in FIPS mode).
namespace PhiCrypto.Primitives;

/// <summary>Algorithm name, salt and cost of a passphrase KDF; <see cref="DeriveKey(ReadOnlySpan{byte}, int)"/> re-derives.</summary>
public abstract record PassphraseKdfParameters
{
    private protected PassphraseKdfParameters(byte[] salt) => Salt = salt;

    /// <summary>"PBKDF2-HMAC-SHA256" or "Argon2id".</summary>
    public abstract string Algorithm { get; }

    /// <summary>The random salt (16 bytes for new parameters).</summary>
    public byte[] Salt { get; }

    /// <summary>Derives a key of <paramref name="size"/> bytes from the passphrase bytes.</summary>
    public abstract SecretKey DeriveKey(ReadOnlySpan<byte> passphrase, int size = 32);

    /// <summary>Derives a key from a passphrase given as text (UTF-8 encoded first).</summary>
    public SecretKey DeriveKey(ReadOnlySpan<char> passphrase, int size = 32)
    {
        var utf8 = System.Text.Encoding.UTF8;
        byte[] bytes = GC.AllocateUninitializedArray<byte>(utf8.GetByteCount(passphrase), pinned: true);
        try
        {
            utf8.GetBytes(passphrase, bytes);
            return DeriveKey((ReadOnlySpan<byte>)bytes, size);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(bytes);
        }
    }

    // Never print the salt's neighbours; the salt itself is not secret, but keep ToString short.
    public override string ToString() => $"{Algorithm}({Salt.Length}-byte salt)";
}

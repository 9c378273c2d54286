// AES-256-GCM, NIST SP 800-38D: 32-byte key, 12-byte nonce, 16-byte tag only.
// Limits: plaintext up to 2^36 - 32 bytes per message (SP 800-38D 5.2.1.1); with random nonces at most
// 2^32 messages per key (SP 800-38D 8.3), which the keyring counts.
// Two backends that produce identical bytes: libsodium (NSec) and OpenSSL (System.Security.Cryptography).
// Output layout is ciphertext || tag, as NSec and the AWS Encryption SDK frame body both use.
// Lifetime: public calls hold a KeyLifetime lease; Dispose zeroes the key once no call is in flight
// and every later call throws ObjectDisposedException.
using System.Diagnostics;
using System.Security.Cryptography;
using NSec.Cryptography;

namespace PhiCrypto.Primitives;

/// <summary>An AES-256-GCM key ready to use: key schedule set up once, thread-safe.</summary>
public abstract class Aes256Gcm : IDisposable
{
    public const int KeySize = 32;
    public const int NonceSize = 12;
    public const int TagSize = 16;

    private readonly KeyLifetime _lifetime;

    private protected Aes256Gcm() => _lifetime = new KeyLifetime(nameof(Aes256Gcm), ZeroKeys);

    public abstract AeadBackend Backend { get; }

    /// <summary>Keys <paramref name="key"/> (32 bytes) for the given backend, or the policy's default.</summary>
    public static Aes256Gcm Create(ReadOnlySpan<byte> key, AeadBackend? backend = null)
    {
        if (key.Length != KeySize) throw new ArgumentException("AES-256-GCM key must be 32 bytes", nameof(key));
        CryptoPolicy.NoteKeyCreated();
        var chosen = backend ?? CryptoPolicy.DefaultAeadBackend;
        if (chosen == AeadBackend.Sodium) CryptoPolicy.RequireApproved("libsodium AES-GCM (non-OpenSSL backend)", approved: false);
        return chosen == AeadBackend.Sodium ? new SodiumGcm(key) : new OpenSslGcm(key);
    }

    public static Aes256Gcm Create(SecretKey key, AeadBackend? backend = null)
    {
        using var lease = key.Lease();
        return Create(key.Span, backend);
    }

    /// <summary>Encrypts <paramref name="plaintext"/> into <paramref name="ciphertextAndTag"/>, which must be exactly plaintext + 16 bytes.</summary>
    public void Encrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> ciphertextAndTag)
    {
        if (nonce.Length != NonceSize) throw new ArgumentException("nonce must be 12 bytes", nameof(nonce));
        if (ciphertextAndTag.Length != plaintext.Length + TagSize) throw new ArgumentException("output must be plaintext length + 16", nameof(ciphertextAndTag));
        if (plaintext.Overlaps(ciphertextAndTag, out int offset) && offset != 0) throw new ArgumentException("plaintext and output overlap", nameof(ciphertextAndTag));
        using var lease = _lifetime.Lease();
        EncryptCore(nonce, plaintext, associatedData, ciphertextAndTag);
    }

    /// <summary>Decrypts and verifies. On failure returns false and leaves <paramref name="plaintext"/> zeroed.</summary>
    public bool TryDecrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertextAndTag, ReadOnlySpan<byte> associatedData, Span<byte> plaintext)
    {
        if (nonce.Length != NonceSize) throw new ArgumentException("nonce must be 12 bytes", nameof(nonce));
        using var lease = _lifetime.Lease();
        if (ciphertextAndTag.Length < TagSize) return false;
        if (plaintext.Length != ciphertextAndTag.Length - TagSize) throw new ArgumentException("output must be ciphertext length - 16", nameof(plaintext));
        if (plaintext.Overlaps(ciphertextAndTag, out int offset) && offset != 0) throw new ArgumentException("ciphertext and output overlap", nameof(plaintext));
        if (DecryptCore(nonce, ciphertextAndTag, associatedData, plaintext)) return true;
        CryptographicOperations.ZeroMemory(plaintext);
        return false;
    }

    /// <summary>Like <see cref="TryDecrypt"/> but throws <see cref="AuthenticationFailedException"/>.</summary>
    public void Decrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertextAndTag, ReadOnlySpan<byte> associatedData, Span<byte> plaintext)
    {
        if (!TryDecrypt(nonce, ciphertextAndTag, associatedData, plaintext)) throw new AuthenticationFailedException();
    }

    /// <summary>Takes a lease for an owner (FieldKey) that calls the cores below several times.</summary>
    internal KeyLease Lease() => _lifetime.Lease();

    // The cores take no lease: the caller holds one (or owns the key outright, as a message stream does).
    internal abstract void EncryptCore(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> ad, Span<byte> output);
    internal abstract bool DecryptCore(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> input, ReadOnlySpan<byte> ad, Span<byte> plaintext);

    public void Dispose() => _lifetime.Close();

    private protected abstract void ZeroKeys();

    private sealed class SodiumGcm : Aes256Gcm
    {
        private readonly Key _key;

        public SodiumGcm(ReadOnlySpan<byte> key)
        {
            _key = Key.Import(AeadAlgorithm.Aes256Gcm, key, KeyBlobFormat.RawSymmetricKey);
        }

        public override AeadBackend Backend => AeadBackend.Sodium;

        internal override void EncryptCore(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> ad, Span<byte> output)
            => AeadAlgorithm.Aes256Gcm.Encrypt(_key, nonce, ad, plaintext, output);

        internal override bool DecryptCore(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> input, ReadOnlySpan<byte> ad, Span<byte> plaintext)
            => AeadAlgorithm.Aes256Gcm.Decrypt(_key, nonce, ad, input, plaintext);

        private protected override void ZeroKeys() => _key.Dispose();
    }

    // System.Security.Cryptography.AesGcm is not thread-safe, so a small pool of keyed instances
    // serves concurrent callers; each instance keeps its OpenSSL key schedule.
    private sealed class OpenSslGcm : Aes256Gcm
    {
        private readonly byte[] _key = GC.AllocateArray<byte>(KeySize, pinned: true);
        private readonly InstancePool<AesGcm> _pool;

        public OpenSslGcm(ReadOnlySpan<byte> key)
        {
            key.CopyTo(_key);
            _pool = new InstancePool<AesGcm>(() => new AesGcm(_key, TagSize));
        }

        public override AeadBackend Backend => AeadBackend.OpenSsl;

        internal override void EncryptCore(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> ad, Span<byte> output)
        {
            var gcm = _pool.Rent();
            try { gcm.Encrypt(nonce, plaintext, output[..plaintext.Length], output[plaintext.Length..], ad); }
            finally { _pool.Return(gcm); }
        }

        internal override bool DecryptCore(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> input, ReadOnlySpan<byte> ad, Span<byte> plaintext)
        {
            var gcm = _pool.Rent();
            try
            {
                int n = input.Length - TagSize;
                gcm.Decrypt(nonce, input[..n], input[n..], plaintext, ad);
                return true;
            }
            catch (AuthenticationTagMismatchException) { return false; }
            finally { _pool.Return(gcm); }
        }

        private protected override void ZeroKeys()
        {
            _pool.Dispose();
            CryptographicOperations.ZeroMemory(_key);
        }
    }
}

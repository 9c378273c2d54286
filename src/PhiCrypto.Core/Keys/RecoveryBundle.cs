// Disaster-recovery bundle: every key record of a keyring with its DEK, sealed to an offline RSA
// recovery key (RSA-OAEP-SHA-256, 4096-bit, RFC 8017) and/or a recovery passphrase (PBKDF2-HMAC-SHA-256,
// SP 800-132, then AES-KWP). Hybrid: a random 32-byte bundle key encrypts the payload with AES-256-GCM
// (SP 800-38D) and each recipient wraps that bundle key.
//
// Origin: RSA-OAEP hides the bundle key but proves nothing about who chose it: anyone with the recovery
// public key could seal DEKs of their own. So a bundle also carries the source keyring's integrity key
// wrapped under the source KEK, and ends with an HMAC-SHA-256 under a key derived from it. Opening with
// the RSA key needs that KEK (the target's own when it is the same, else given); opening with the
// passphrase proves origin by itself (only its holder could wrap the bundle key under it).
// Binary form, big-endian (docs/keyring-format.md):
//
//   u8   format = 0x02       (0x01, without the origin MAC, is refused)
//   4    magic "PHRB"
//   i64  created (Unix ms)
//   u8   R recipients (1..16), each:
//          u8 type (1 = RSA-OAEP-SHA-256, 2 = passphrase), u16 L, L bytes:
//            type 1: 32-byte SHA-256 of the recipient's SubjectPublicKeyInfo, then the OAEP ciphertext
//            type 2: u32 PBKDF2 iterations, 16-byte salt, 40-byte AES-KWP(derived key, bundle key)
//   u16  source KEK id, u8 + 3 bytes its check value, u16 + the integrity key wrapped under it
//        (the keyring setting "keyring.integrity-key": "aes-kwp:" + base64)
//   12   nonce
//   n    AES-256-GCM(bundle key, nonce, payload, AD = every byte before the nonce): ciphertext || tag
//   32   origin MAC: HMAC-SHA-256(HKDF(integrity key, "phicrypto recovery bundle mac v2"), every byte before)
//
//   payload: u64 source audit head, 32-byte source audit head hash, u32 N, then N times:
//            u16 length + key record (binary form), u8 D + D bytes DEK (0 for a destroyed record)
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using PhiCrypto.Primitives;

namespace PhiCrypto.Keys;

public sealed class RecoveredKeys : IDisposable
{
    internal RecoveredKeys(DateTimeOffset created, long sourceAuditHead, byte[] sourceAuditHash, List<(KeyRecord Record, SecretKey? Dek)> keys)
    {
        Created = created; SourceAuditHead = sourceAuditHead; SourceAuditHash = sourceAuditHash; Keys = keys;
    }

    public DateTimeOffset Created { get; }
    public long SourceAuditHead { get; }
    public byte[] SourceAuditHash { get; }
    public IReadOnlyList<(KeyRecord Record, SecretKey? Dek)> Keys { get; }
    /// <summary>The id of the KEK the source keyring was under, as the bundle says.</summary>
    public string SourceKekId { get; init; } = "";

    /// <summary>The source keyring's audit head when the bundle was made: compare it with the anchor kept for that keyring.</summary>
    public AuditHead SourceAuditHeadAnchor => new(SourceAuditHead, SourceAuditHash);

    public void Dispose() { foreach (var (_, k) in Keys) k?.Dispose(); }
}

public static class RecoveryBundle
{
    public const byte FormatVersion = 2;
    public const int MinRsaBits = 4096;
    public const int DefaultPbkdf2Iterations = 600_000;
    private const byte RsaRecipient = 1, PassphraseRecipient = 2;
    private static readonly byte[] Magic = "PHRB"u8.ToArray();

    /// <summary>SHA-256 of the key's SubjectPublicKeyInfo, in hex: how a bundle names its RSA recipient.</summary>
    public static string Fingerprint(RSA key) => Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));

    internal static byte[] Seal(IReadOnlyList<(KeyRecord Record, ReadOnlyMemory<byte> Dek)> keys, long auditHead, byte[] auditHash,
                                IReadOnlyList<RSA> rsaRecipients, string? passphrase, int iterations, DateTimeOffset now,
                                KeyringIntegrity origin, IKek sourceKek)
    {
        if (rsaRecipients.Count == 0 && string.IsNullOrEmpty(passphrase)) throw new ArgumentException("a recovery bundle needs an RSA recovery key or a recovery passphrase");
        if (rsaRecipients.Count + (passphrase is null ? 0 : 1) > 16) throw new ArgumentException("at most 16 recovery recipients");
        foreach (var rsa in rsaRecipients)
            if (rsa.KeySize < MinRsaBits) throw new ArgumentException($"the recovery key must be RSA of at least {MinRsaBits} bits (got {rsa.KeySize})");
        if (iterations < 100_000) throw new ArgumentException("at least 100,000 PBKDF2 iterations for a recovery passphrase");

        byte[] bundleKey = RandomNumberGenerator.GetBytes(32);
        byte[] payload = Payload(keys, auditHead, auditHash);
        try
        {
            var w = new BinaryWriter8();
            w.U8(FormatVersion); w.Raw(Magic); w.Time(now);
            w.U8((byte)(rsaRecipients.Count + (passphrase is null ? 0 : 1)));
            foreach (var rsa in rsaRecipients)
            {
                w.U8(RsaRecipient);
                w.Bytes16([.. SHA256.HashData(rsa.ExportSubjectPublicKeyInfo()), .. rsa.Encrypt(bundleKey, RSAEncryptionPadding.OaepSHA256)]);
            }
            if (passphrase is not null)
            {
                w.U8(PassphraseRecipient);
                w.Bytes16(PassphraseRecipientBody(passphrase, iterations, bundleKey));
            }
            w.Str16(sourceKek.Id);
            w.Bytes8(sourceKek.CheckValue);
            w.Str16(origin.WrapUnder(sourceKek).Value);
            var header = w.ToArray();
            var nonce = RandomNumberGenerator.GetBytes(Aes256Gcm.NonceSize);
            int sealedEnd = header.Length + nonce.Length + payload.Length + Aes256Gcm.TagSize;
            var output = new byte[sealedEnd + OriginMacSize];
            header.CopyTo(output, 0);
            nonce.CopyTo(output, header.Length);
            using (var gcm = Aes256Gcm.Create(bundleKey)) gcm.Encrypt(nonce, payload, header, output.AsSpan(header.Length + nonce.Length, payload.Length + Aes256Gcm.TagSize));
            origin.BundleMac(output.AsSpan(0, sealedEnd)).CopyTo(output, sealedEnd);
            return output;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bundleKey);
            CryptographicOperations.ZeroMemory(payload);
        }
    }

    /// <summary>Opens a bundle with the RSA private key or the passphrase; <see cref="AuthenticationFailedException"/>
    /// when neither opens it or it was altered. Opened with the RSA key, its origin MAC must verify under the
    /// integrity key that <paramref name="sourceKek"/> unwraps (<see cref="KeyringIntegrityException"/> when no
    /// such KEK is given: the bundle may be a forgery). Each record's MAC is checked against its DEK.</summary>
    public static RecoveredKeys Open(ReadOnlySpan<byte> bundle, RSA? privateKey, string? passphrase, IKek? sourceKek = null)
    {
        if (privateKey is null && string.IsNullOrEmpty(passphrase)) throw new ArgumentException("opening a recovery bundle needs the RSA private key or the recovery passphrase");
        var r = new BinaryReader8(bundle, "recovery bundle");
        if (r.U8() != FormatVersion || !r.Raw(4).AsSpan().SequenceEqual(Magic))
            throw new MalformedDataException("not a recovery bundle of a supported version (format 1, without an origin MAC, is refused)");
        var created = r.Time() ?? throw new MalformedDataException("recovery bundle has no creation time");
        int count = r.U8();
        byte[]? bundleKey = null;
        bool byPassphrase = false;
        for (int i = 0; i < count; i++)
        {
            byte type = r.U8();
            var body = r.Bytes16();
            if (bundleKey is not null) continue;
            bundleKey = TryRecipient(type, body, privateKey, passphrase);
            byPassphrase = bundleKey is not null && type == PassphraseRecipient;
        }
        var source = new BundleSource(r.Str16(), r.Bytes8(), r.Str16());
        int headerLength = bundle.Length - r.Remaining;
        var nonce = r.Raw(Aes256Gcm.NonceSize);
        if (bundleKey is null) throw new AuthenticationFailedException();
        if (r.Remaining < Aes256Gcm.TagSize + OriginMacSize) throw new MalformedDataException("recovery bundle is truncated");
        if (!byPassphrase) CheckOrigin(bundle, source, sourceKek);
        var sealedPayload = bundle[(headerLength + nonce.Length)..^OriginMacSize];
        if (sealedPayload.Length < Aes256Gcm.TagSize) throw new MalformedDataException("recovery bundle is truncated");
        var payload = new byte[sealedPayload.Length - Aes256Gcm.TagSize];
        try
        {
            using (var gcm = Aes256Gcm.Create(bundleKey)) gcm.Decrypt(nonce, sealedPayload, bundle[..headerLength], payload);
            return ParsePayload(payload, created, source.KekId);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bundleKey);
            CryptographicOperations.ZeroMemory(payload);
        }
    }

    private const int OriginMacSize = 32;

    /// <summary>What the bundle says about the keyring it came from (unauthenticated until the origin MAC verifies).</summary>
    private sealed record BundleSource(string KekId, byte[] KekCheckValue, string WrappedIntegrityKey);

    /// <summary>The origin MAC under the source keyring's integrity key, which only its KEK unwraps.</summary>
    private static void CheckOrigin(ReadOnlySpan<byte> bundle, BundleSource source, IKek? kek)
    {
        if (kek is null || !CryptographicOperations.FixedTimeEquals(kek.CheckValue, source.KekCheckValue))
            throw new KeyringIntegrityException(
                $"the bundle's origin is unproven: it was made under KEK '{source.KekId}' (check value {KeyCheckValue.ToHex(source.KekCheckValue)}); " +
                "give that KEK (phicrypt keys import --source-kek), or open the bundle with its recovery passphrase");
        KeyringIntegrity origin;
        try { origin = KeyringIntegrity.Unwrap(new Dictionary<string, string> { [KeyringIntegrity.Setting] = source.WrappedIntegrityKey }, kek); }
        catch (KeyringIntegrityException) { throw new KeyringIntegrityException("the bundle's origin MAC does not verify: it is not from a keyring under that KEK (forged or altered)"); }
        using (origin)
            if (!CryptographicOperations.FixedTimeEquals(origin.BundleMac(bundle[..^OriginMacSize]), bundle[^OriginMacSize..]))
                throw new KeyringIntegrityException("the bundle's origin MAC does not verify: it is not from a keyring under that KEK (forged or altered)");
    }

    private static byte[]? TryRecipient(byte type, byte[] body, RSA? privateKey, string? passphrase)
    {
        if (type == RsaRecipient && privateKey is not null && body.Length > 32 &&
            body.AsSpan(0, 32).SequenceEqual(SHA256.HashData(privateKey.ExportSubjectPublicKeyInfo())))
        {
            try { return privateKey.Decrypt(body[32..], RSAEncryptionPadding.OaepSHA256); }
            catch (CryptographicException) { return null; }
        }
        if (type == PassphraseRecipient && !string.IsNullOrEmpty(passphrase) && body.Length == 4 + 16 + 40)
        {
            int iterations = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(body), 100_000_000);
            Span<byte> kek = stackalloc byte[32];
            try
            {
                DerivePassphraseKey(passphrase, body.AsSpan(4, 16), iterations, kek);
                var buffer = new byte[32];
                int n = AesKeyWrap.UnwrapPadded(kek, body.AsSpan(20), buffer);
                if (n != 32) return null;
                return buffer;
            }
            catch (Exception e) when (e is AuthenticationFailedException or CryptographicException) { return null; }
            finally { CryptographicOperations.ZeroMemory(kek); }
        }
        return null;
    }

    private static byte[] PassphraseRecipientBody(string passphrase, int iterations, ReadOnlySpan<byte> bundleKey)
    {
        var body = new byte[4 + 16 + 40];
        BinaryPrimitives.WriteUInt32BigEndian(body, (uint)iterations);
        RandomNumberGenerator.Fill(body.AsSpan(4, 16));
        Span<byte> kek = stackalloc byte[32];
        try
        {
            DerivePassphraseKey(passphrase, body.AsSpan(4, 16), iterations, kek);
            AesKeyWrap.WrapPadded(kek, bundleKey, body.AsSpan(20));
            return body;
        }
        finally { CryptographicOperations.ZeroMemory(kek); }
    }

    private static void DerivePassphraseKey(string passphrase, ReadOnlySpan<byte> salt, int iterations, Span<byte> key)
    {
        var secret = Encoding.UTF8.GetBytes(passphrase);
        try { PassphraseKek.Derive(new PassphraseKek.Parameters(PassphraseKek.Pbkdf2Name, salt.ToArray(), iterations, 0), secret, key); }
        finally { CryptographicOperations.ZeroMemory(secret); }
    }

    private static byte[] Payload(IReadOnlyList<(KeyRecord Record, ReadOnlyMemory<byte> Dek)> keys, long auditHead, byte[] auditHash)
    {
        var w = new BinaryWriter8();
        w.U64((ulong)auditHead);
        w.Raw(auditHash);
        w.U32((uint)keys.Count);
        foreach (var (record, dek) in keys)
        {
            w.Bytes16(record.ToBytes());
            w.Bytes8(dek.Span);
        }
        return w.ToArray(); // the MemoryStream's internal buffer may keep a copy until collected: a known limit
    }

    private static RecoveredKeys ParsePayload(ReadOnlySpan<byte> payload, DateTimeOffset created, string sourceKekId)
    {
        var r = new BinaryReader8(payload, "recovery bundle payload");
        long head = (long)r.U64();
        var hash = r.Raw(AuditEvent.HashSize);
        uint n = r.U32();
        var keys = new List<(KeyRecord, SecretKey?)>();
        try
        {
            for (uint i = 0; i < n; i++)
            {
                var record = KeyRecord.Parse(r.Bytes16());
                var dek = r.Bytes8();
                try
                {
                    if (record.State == KeyState.Destroyed) { keys.Add((record, null)); continue; }
                    if (dek.Length != KeyRecord.DekSize || !record.VerifyMac(dek))
                        throw new MalformedDataException($"recovery bundle entry {record.KeyName} failed its integrity check");
                    keys.Add((record, SecretKey.Import(dek)));
                }
                finally { CryptographicOperations.ZeroMemory(dek); }
            }
            r.End();
            return new RecoveredKeys(created, head, hash, keys) { SourceKekId = sourceKekId };
        }
        catch
        {
            foreach (var (_, k) in keys) k?.Dispose();
            throw;
        }
    }
}

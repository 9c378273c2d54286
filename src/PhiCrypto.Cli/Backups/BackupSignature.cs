// Origin authentication of backups (issue 11): the manifest, and through its digests the whole
// message, is signed with the keyring's long-term "backup-signing" key (ECDSA P-384 / SHA-384,
// PhiCrypto.Signing). The recovery public key, which every backup host holds, can make a valid message;
// only the signing key can make a backup that verify and restore accept.
// Signed data: "phicrypto-backup/2 signature" 0x00, then every manifest field in a fixed order, each
// string as a 4-byte big-endian length and its UTF-8 bytes, each number as 8 bytes big-endian, each
// list as a 4-byte count and its items; the encryption context sorted by key (ordinal). Encoding the
// fields rather than the JSON text means no JSON canonicalization, and every field restore uses is covered.
// A directory-format manifest's file list follows the parts (appended only for that format, so older
// signatures verify unchanged).
// Verification key: pinned (--verify-key FILE, from the disaster-recovery kit), else the keyring's version
// the signature names (purpose "backup-signing" only). Never a key the backup itself supplies.
using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using PhiCrypto.Keys;
using PhiCrypto.Signing;

namespace PhiCrypto.Cli.Backups;

internal static class BackupSignature
{
    public const string Purpose = "backup-signing";
    public const string Algorithm = "ECDSA-P384-SHA384";

    /// <summary>Signs <paramref name="manifest"/> (all fields already final) with the keyring's active signing key.</summary>
    public static void Sign(BackupManifest manifest, Keyring keyring)
    {
        using var key = OpenSigningKey(keyring);
        manifest.Signature = new ManifestSignature { Algorithm = Algorithm, KeyName = key.KeyName, Fingerprint = key.VerificationKey.Fingerprint };
        manifest.Signature.Value = Convert.ToBase64String(key.Sign(SignedData(manifest)));
    }

    public static SigningKey OpenSigningKey(Keyring keyring)
    {
        KeyringHints.RequirePurpose(keyring, Purpose, "backups are signed with it");
        return SigningKey.FromKeyring(keyring, Purpose);
    }

    /// <summary>
    /// Refuses a backup that is unsigned (unless allowed: then loudly, and never a plain-format dump) or
    /// whose signature does not verify under the pinned key. Returns a line for the operator.
    /// </summary>
    public static string Check(BackupManifest manifest, string? pinnedKeyFile, Keyring? keyring, bool allowUnsigned)
    {
        if (!manifest.IsSigned) return CheckUnsigned(manifest, allowUnsigned);
        var sig = manifest.Signature!;
        if (sig.Algorithm != Algorithm) throw new MalformedDataException($"unknown backup signature algorithm '{sig.Algorithm}'");
        using var key = VerifyingKey(sig, pinnedKeyFile, keyring);
        if (!key.Verify(SignedData(manifest), Decode(sig.Value)))
            throw new PhiCryptoException(PhiStatus.AuthenticationFailed,
                $"backup {manifest.BackupId}: the signature does not verify under the pinned verification key {key.Fingerprint}: refused");
        return $"signed by {sig.KeyName}, verification key {key.Fingerprint}";
    }

    private static string CheckUnsigned(BackupManifest manifest, bool allowUnsigned)
    {
        if (!allowUnsigned)
            throw new PolicyViolationException($"backup {manifest.BackupId} is not signed: refused. Backups made before signed backups "
                + "can be read with --allow-unsigned, only if you trust everyone who could write where it was stored");
        if (manifest.DumpFormat == "plain")
            throw new PolicyViolationException($"backup {manifest.BackupId} is not signed and holds a plain-format dump (SQL that psql would run): refused even with --allow-unsigned");
        Console.Error.WriteLine($"phicrypt: WARNING: backup {manifest.BackupId} is NOT SIGNED; its origin is not authenticated (--allow-unsigned)");
        return "NOT SIGNED (--allow-unsigned)";
    }

    private static VerificationKey VerifyingKey(ManifestSignature sig, string? pinnedKeyFile, Keyring? keyring)
    {
        if (pinnedKeyFile is not null) return VerificationKey.FromPem(File.ReadAllText(pinnedKeyFile), pinnedKeyFile);
        if (keyring is null)
            throw new UsageException("checking a backup's signature needs the backup verification key: --verify-key backup-signing.pub.pem "
                + "(from the disaster-recovery kit; `phicrypt keys signing-key -o FILE` exports it) or the keyring (--keyring or PHICRYPTO_KEYRING)");
        if (!KeyNames.TryParse(sig.KeyName, out var purpose, out _) || purpose != Purpose)
            throw new PhiCryptoException(PhiStatus.AuthenticationFailed, $"the backup names signing key '{sig.KeyName}', which is not a {Purpose} key: refused");
        return VerificationKey.FromKeyring(keyring, sig.KeyName);
    }

    private static byte[] Decode(string base64)
    {
        try { return Convert.FromBase64String(base64); }
        catch (FormatException) { return []; }   // verifies as a wrong signature
    }

    /// <summary>The bytes the signature covers (see the header comment).</summary>
    internal static byte[] SignedData(BackupManifest m)
    {
        var w = new SignedDataWriter();
        w.Label("phicrypto-backup/2 signature");
        w.Strings(m.Format, m.BackupId, m.Created.ToString("O"), m.Completed.ToString("O"), m.PgDumpVersion);
        w.List(m.PgDumpArgs, a => w.Strings(a));
        w.Strings(m.DumpFormat, m.Compression);
        w.Numbers(m.DumpBytes, m.EncryptedBytes);
        w.Strings(m.Suite);
        w.Numbers(m.FrameLength);
        w.List(m.Keys, k => w.Strings(k.Provider, k.Name));
        w.List(m.EncryptionContext.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList(), kv => w.Strings(kv.Key, kv.Value));
        w.Numbers(m.HeaderBytes);
        w.Strings(m.HeaderSha384, m.MessageSha384);
        w.List(m.Parts, p => { w.Strings(p.Name); w.Numbers(p.Bytes); w.Strings(p.Sha256); });
        // Directory dumps only (the dump format, signed above, says which): every file, bound by name and digests.
        if (m.IsDirectory)
            w.List(m.Files, f => { w.Strings(f.Name, f.Part); w.Numbers(f.Bytes); w.Strings(f.Sha256); w.Numbers(f.DumpBytes, f.HeaderBytes); w.Strings(f.HeaderSha384, f.MessageSha384); });
        var sig = m.Signature ?? new ManifestSignature();
        w.Strings(sig.Algorithm, sig.KeyName, sig.Fingerprint);
        return w.ToArray();
    }

    private sealed class SignedDataWriter
    {
        private readonly ArrayBufferWriter<byte> _out = new();

        public void Label(string label) { _out.Write(Encoding.UTF8.GetBytes(label)); _out.Write("\0"u8); }

        public void Strings(params string[] values)
        {
            foreach (var v in values)
            {
                var bytes = Encoding.UTF8.GetBytes(v);
                Count(bytes.Length);
                _out.Write(bytes);
            }
        }

        public void Numbers(params long[] values)
        {
            foreach (var v in values)
            {
                BinaryPrimitives.WriteInt64BigEndian(_out.GetSpan(8), v);
                _out.Advance(8);
            }
        }

        public void List<T>(IReadOnlyList<T> items, Action<T> each)
        {
            Count(items.Count);
            foreach (var item in items) each(item);
        }

        private void Count(int n) { BinaryPrimitives.WriteInt32BigEndian(_out.GetSpan(4), n); _out.Advance(4); }

        public byte[] ToArray() => _out.WrittenSpan.ToArray();
    }
}

// The manifest written beside a backup, last, and only when every stage succeeded: its presence is
// what marks a backup complete. Layout (JSON, camelCase, "format": "phicrypto-backup/2"):
//   backupId      random id, also in the message's encryption context (binds manifest and parts)
//   created/completed  UTC times; pgDumpVersion, pgDumpArgs, dumpFormat (custom|plain|tar)
//   compression   zstd|none; dumpBytes (pg_dump output), encryptedBytes (the whole message)
//   suite, frameLength, keys (key namespace + name of every EDK: keyring version, recovery key)
//   parts         in order: name, bytes, sha256 (hex) of that part's ciphertext
//   headerBytes, headerSha384  length and SHA-384 of the message header (checked before any decryption)
//   messageSha384 SHA-384 of the whole message (checked before its final frame is released)
//   signature     algorithm, keyName ("backup-signing/v1"), fingerprint and value (base64, DER) of the
//                 ECDSA P-384 signature over every field above (BackupSignature.SignedData)
// The parts concatenated are one AWS Encryption SDK message: `cat part-* | phicrypt decrypt` works.
// The manifest is not secret. Version 1 manifests (before signed backups) carry no signature and no
// message digests: they are read only with --allow-unsigned, and never restored when plain-format.
// See docs/runbooks/backup-and-restore.md ("Manifest format").
using System.Text.Json;
using System.Text.Json.Serialization;

namespace PhiCrypto.Cli.Backups;

internal sealed class BackupManifest
{
    public const string FormatName = "phicrypto-backup/2";
    public const string UnsignedFormatName = "phicrypto-backup/1";
    public const int MaxHeaderBytes = 1 << 20;   // the message reader's own bound

    public string Format { get; set; } = FormatName;
    public string BackupId { get; set; } = "";
    public DateTime Created { get; set; }
    public DateTime Completed { get; set; }
    public string PgDumpVersion { get; set; } = "";
    public List<string> PgDumpArgs { get; set; } = [];
    public string DumpFormat { get; set; } = "custom";
    public string Compression { get; set; } = "none";
    public long DumpBytes { get; set; }
    public long EncryptedBytes { get; set; }
    public string Suite { get; set; } = "";
    public int FrameLength { get; set; }
    public List<ManifestKey> Keys { get; set; } = [];
    public Dictionary<string, string> EncryptionContext { get; set; } = [];
    public List<ManifestPart> Parts { get; set; } = [];
    public int HeaderBytes { get; set; }
    public string HeaderSha384 { get; set; } = "";
    public string MessageSha384 { get; set; } = "";
    public ManifestSignature? Signature { get; set; }

    /// <summary>A version 2 manifest: signed, with message digests (Parse has checked they are present).</summary>
    [JsonIgnore] public bool IsSigned => Format == FormatName;

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, ManifestJson.Default.BackupManifest);

    public static BackupManifest Parse(byte[] json)
    {
        BackupManifest? m;
        try { m = JsonSerializer.Deserialize(json, ManifestJson.Default.BackupManifest); }
        catch (JsonException) { throw new MalformedDataException("the backup manifest is not valid JSON"); }
        if (m is null || m.Format is not (FormatName or UnsignedFormatName)) throw new MalformedDataException($"not a {FormatName} manifest");
        if (m.Parts.Count == 0 || m.BackupId.Length == 0) throw new MalformedDataException("the backup manifest lists no parts");
        foreach (var p in m.Parts)
            if (p.Name.Length == 0 || p.Name.Contains('/') || p.Name.Contains("..") || p.Bytes < 0 || !IsHex(p.Sha256, 64))
                throw new MalformedDataException("the backup manifest has a malformed part entry");
        if (m.Compression is not ("zstd" or "none")) throw new MalformedDataException($"unknown compression '{m.Compression}'");
        if (m.DumpFormat is not ("custom" or "plain" or "tar")) throw new MalformedDataException($"unknown dump format '{m.DumpFormat}'");
        if (m.IsSigned && (m.Signature is null || m.HeaderBytes is <= 0 or > MaxHeaderBytes || !IsHex(m.HeaderSha384, 96) || !IsHex(m.MessageSha384, 96)))
            throw new MalformedDataException("the backup manifest lacks its signature or message digests");
        return m;
    }

    private static bool IsHex(string s, int length) => s.Length == length && s.All(char.IsAsciiHexDigitLower);
}

internal sealed class ManifestSignature
{
    public string Algorithm { get; set; } = "";
    public string KeyName { get; set; } = "";
    public string Fingerprint { get; set; } = "";
    public string Value { get; set; } = "";
}

internal sealed class ManifestPart
{
    public string Name { get; set; } = "";
    public long Bytes { get; set; }
    public string Sha256 { get; set; } = "";
}

internal sealed class ManifestKey
{
    public string Provider { get; set; } = "";
    public string Name { get; set; } = "";
}

// Source-generated: the CLI is NativeAOT, where reflection-based serialization is unavailable.
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(BackupManifest))]
internal sealed partial class ManifestJson : JsonSerializerContext;

// The manifest written beside a backup, last, and only when every stage succeeded: its presence is
// what marks a backup complete. Layout (JSON, camelCase, "format": "phicrypto-backup/2"):
//   backupId      random id, also in the message's encryption context (binds manifest and parts)
//   created/completed  UTC times; pgDumpVersion, pgDumpArgs, dumpFormat (custom|plain|tar|directory)
//   compression   zstd|none (zstd: ZstdSharp in process, the seekable format: standard zstd frames)
//   dumpBytes (pg_dump output), encryptedBytes (the whole message, or all files' messages)
//   suite, frameLength, keys (key namespace + name of every EDK: keyring version, recovery key)
//   parts         in order: name, bytes, sha256 (hex) of that part's ciphertext
//   headerBytes, headerSha384  length and SHA-384 of the message header (checked before any decryption)
//   messageSha384 SHA-384 of the whole message (checked before its final frame is released); empty since
//                 December 2026: the signed part digests cover every byte (PartStreams.cs)
//   signature     algorithm, keyName ("backup-signing/v1"), fingerprint and value (base64, DER) of the
//                 ECDSA P-384 signature over every field above (BackupSignature.SignedData)
//   files         directory format only (`backup --jobs N`), instead of parts and the three digests above:
//                 every file pg_dump wrote, each its own message: name (pg_dump's), part (stored name),
//                 bytes and sha256 of the stored file, dumpBytes, headerBytes, headerSha384, messageSha384
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
    public List<ManifestFile> Files { get; set; } = [];
    public int HeaderBytes { get; set; }
    public string HeaderSha384 { get; set; } = "";
    public string MessageSha384 { get; set; } = "";
    public ManifestSignature? Signature { get; set; }

    /// <summary>A version 2 manifest: signed, with message digests (Parse has checked they are present).</summary>
    [JsonIgnore] public bool IsSigned => Format == FormatName;
    /// <summary>pg_dump's directory format: one message per file (Files), no single message.</summary>
    [JsonIgnore] public bool IsDirectory => DumpFormat == "directory";
    /// <summary>What is stored beside the manifest: the parts, or for a directory backup each file's part.</summary>
    [JsonIgnore] public List<ManifestPart> StoredParts => IsDirectory ? [.. Files.Select(f => f.AsPart())] : Parts;

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, ManifestJson.Default.BackupManifest);

    public static BackupManifest Parse(byte[] json)
    {
        BackupManifest? m;
        try { m = JsonSerializer.Deserialize(json, ManifestJson.Default.BackupManifest); }
        catch (JsonException) { throw new MalformedDataException("the backup manifest is not valid JSON"); }
        if (m is null || m.Format is not (FormatName or UnsignedFormatName)) throw new MalformedDataException($"not a {FormatName} manifest");
        if (m.BackupId.Length == 0) throw new MalformedDataException("the backup manifest has no backup id");
        if (m.Compression is not ("zstd" or "none")) throw new MalformedDataException($"unknown compression '{m.Compression}'");
        if (m.DumpFormat is not ("custom" or "plain" or "tar" or "directory")) throw new MalformedDataException($"unknown dump format '{m.DumpFormat}'");
        if (m.IsDirectory) CheckFiles(m);
        else CheckParts(m);
        return m;
    }

    private static void CheckParts(BackupManifest m)
    {
        if (m.Parts.Count == 0 || m.Files.Count != 0) throw new MalformedDataException("the backup manifest lists no parts");
        foreach (var p in m.Parts)
            if (!IsPartName(p.Name) || p.Bytes < 0 || !IsHex(p.Sha256, 64))
                throw new MalformedDataException("the backup manifest has a malformed part entry");
        if (m.IsSigned && (m.Signature is null || !DigestsWellFormed(m.HeaderBytes, m.HeaderSha384, m.MessageSha384)))
            throw new MalformedDataException("the backup manifest lacks its signature or message digests");
    }

    // Directory backups came with signed manifests: an unsigned one is a forgery, never read.
    private static void CheckFiles(BackupManifest m)
    {
        if (!m.IsSigned || m.Signature is null) throw new MalformedDataException("a directory-format backup manifest must be signed");
        if (m.Files.Count == 0 || m.Parts.Count != 0) throw new MalformedDataException("the backup manifest lists no files");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in m.Files)
            if (!IsPartName(f.Name) || f.Part != ManifestFile.PartFor(f.Name) || !names.Add(f.Name) || f.Bytes < 0 || f.DumpBytes < 0
                || !IsHex(f.Sha256, 64) || !DigestsWellFormed(f.HeaderBytes, f.HeaderSha384, f.MessageSha384))
                throw new MalformedDataException("the backup manifest has a malformed or repeated file entry");
        if (!names.Contains("toc.dat")) throw new MalformedDataException("the backup manifest lists no toc.dat: not a pg_dump directory");
    }

    private static bool IsPartName(string name) => name.Length > 0 && !name.Contains('/') && !name.Contains('\\') && !name.Contains("..") && name != "manifest.json";

    // messageSha384 is empty in backups made since December 2026 (PartStreams.cs says why).
    private static bool DigestsWellFormed(int headerBytes, string headerSha384, string messageSha384) =>
        headerBytes is > 0 and <= MaxHeaderBytes && IsHex(headerSha384, 96) && (messageSha384.Length == 0 || IsHex(messageSha384, 96));

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

/// <summary>One file of a directory-format dump, stored as its own message.</summary>
internal sealed class ManifestFile
{
    public string Name { get; set; } = "";
    public string Part { get; set; } = "";
    public long Bytes { get; set; }
    public string Sha256 { get; set; } = "";
    public long DumpBytes { get; set; }
    public int HeaderBytes { get; set; }
    public string HeaderSha384 { get; set; } = "";
    public string MessageSha384 { get; set; } = "";

    /// <summary>The stored name of pg_dump's file <paramref name="name"/>.</summary>
    public static string PartFor(string name) => name + ".phi";

    public ManifestPart AsPart() => new() { Name = Part, Bytes = Bytes, Sha256 = Sha256 };
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

// The manifest written beside a backup, last, and only when every stage succeeded: its presence is
// what marks a backup complete. Layout (JSON, camelCase, "format": "phicrypto-backup/1"):
//   backupId      random id, also in the message's encryption context (binds manifest and parts)
//   created/completed  UTC times; pgDumpVersion, pgDumpArgs, dumpFormat (custom|plain|tar)
//   compression   zstd|none; dumpBytes (pg_dump output), encryptedBytes (the whole message)
//   suite, frameLength, keys (key namespace + name of every EDK: keyring version, recovery key)
//   parts         in order: name, bytes, sha256 (hex) of that part's ciphertext
// The parts concatenated are one AWS Encryption SDK message: `cat part-* | phicrypt decrypt` works.
// The manifest itself is not secret and not authenticated: the parts' SHA-256 find a damaged part
// early; the message's own frames and header are what authenticate the data.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace PhiCrypto.Cli.Backups;

internal sealed class BackupManifest
{
    public const string FormatName = "phicrypto-backup/1";

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

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, ManifestJson.Default.BackupManifest);

    public static BackupManifest Parse(byte[] json)
    {
        BackupManifest? m;
        try { m = JsonSerializer.Deserialize(json, ManifestJson.Default.BackupManifest); }
        catch (JsonException) { throw new MalformedDataException("the backup manifest is not valid JSON"); }
        if (m is null || m.Format != FormatName) throw new MalformedDataException($"not a {FormatName} manifest");
        if (m.Parts.Count == 0 || m.BackupId.Length == 0) throw new MalformedDataException("the backup manifest lists no parts");
        foreach (var p in m.Parts)
            if (p.Name.Length == 0 || p.Name.Contains('/') || p.Name.Contains("..") || p.Bytes < 0 || p.Sha256.Length != 64)
                throw new MalformedDataException("the backup manifest has a malformed part entry");
        if (m.Compression is not ("zstd" or "none")) throw new MalformedDataException($"unknown compression '{m.Compression}'");
        return m;
    }
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

// The --json report of `phicrypt backup`, `verify` and `restore` (docs/runbooks/json-reports.md): what
// the manifest says about the backup, in the one JSON style (Reports/JsonReport.cs), plus what the
// command checked. Never key material: keys appear by name, the signer by its public fingerprint.
using System.Text.Json;
using PhiCrypto.Cli.Backups;

namespace PhiCrypto.Cli.Reports;

internal static class BackupReport
{
    /// <summary>Writes the report of <paramref name="command"/>; <paramref name="origin"/> is who signed it, when checked.</summary>
    public static void Write(string command, BackupManifest m, string? origin = null, long? checkedDumpBytes = null) =>
        JsonReport.Write(command, w =>
        {
            w.WriteString("backup_id", m.BackupId);
            w.WriteString("manifest_format", m.Format);
            JsonReport.Time(w, "created", new DateTimeOffset(DateTime.SpecifyKind(m.Created, DateTimeKind.Utc)));
            JsonReport.Time(w, "completed", new DateTimeOffset(DateTime.SpecifyKind(m.Completed, DateTimeKind.Utc)));
            w.WriteString("dump_format", m.DumpFormat);
            w.WriteString("compression", m.Compression);
            w.WriteNumber("dump_bytes", m.DumpBytes);
            w.WriteNumber("encrypted_bytes", m.EncryptedBytes);
            if (checkedDumpBytes is { } n) w.WriteNumber("checked_dump_bytes", n);
            w.WriteStartArray("parts");
            foreach (var p in m.StoredParts)
            {
                w.WriteStartObject();
                w.WriteString("name", p.Name);
                w.WriteNumber("bytes", p.Bytes);
                w.WriteString("sha256", p.Sha256);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("keys");
            foreach (var k in m.Keys)
            {
                w.WriteStartObject();
                w.WriteString("key_namespace", k.Provider);
                w.WriteString("key_name", k.Name);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (m.Signature is { } s)
            {
                w.WriteStartObject("signature");
                w.WriteString("algorithm", s.Algorithm);
                w.WriteString("key_name", s.KeyName);
                w.WriteString("fingerprint", s.Fingerprint);
                w.WriteEndObject();
            }
            else w.WriteNull("signature");
            if (origin is not null) w.WriteString("origin", origin);
        });
}

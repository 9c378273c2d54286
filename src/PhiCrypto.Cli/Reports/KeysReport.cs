// The --json reports of `phicrypt keys ...` (docs/runbooks/json-reports.md), in the one style of
// Reports/JsonReport.cs. Keys appear by name, state and times; never key material.
using System.Text.Json;
using PhiCrypto.Keys;

namespace PhiCrypto.Cli.Reports;

internal static class KeysReport
{
    /// <summary>"keyring", "kek_id", "kek_check_value": which keyring, under which KEK.</summary>
    public static void Keyring(Utf8JsonWriter w, Keyring k)
    {
        w.WriteString("keyring", k.StoreLocation);
        w.WriteString("kek_id", k.KekId);
        w.WriteString("kek_check_value", k.KekCheckValue);
    }

    /// <summary>An array of DEK versions under <paramref name="name"/>.</summary>
    public static void Keys(Utf8JsonWriter w, string name, IEnumerable<KeyRecord> records)
    {
        w.WriteStartArray(name);
        foreach (var r in records) Key(w, r);
        w.WriteEndArray();
    }

    /// <summary>One DEK version: purpose, version, name, state, lifecycle times, usage, wrapping.</summary>
    public static void Key(Utf8JsonWriter w, KeyRecord r)
    {
        w.WriteStartObject();
        w.WriteString("purpose", r.Purpose);
        w.WriteNumber("version", r.Version);
        w.WriteString("key_name", r.KeyName);
        w.WriteString("state", KeyLifecycle.Name(r.State));
        JsonReport.Time(w, "created", r.Created);
        JsonReport.Time(w, "activated", r.Activated);
        JsonReport.Time(w, "deactivated", r.Deactivated);
        JsonReport.Time(w, "compromised", r.Compromised);
        JsonReport.Time(w, "destroyed", r.Destroyed);
        w.WriteNumber("usage_reserved", r.UsageReserved);
        w.WriteString("kek_id", r.KekId);
        w.WriteString("wrap", KeyringJson.WrapName(r.WrapAlgorithm));
        w.WriteEndObject();
    }

    /// <summary>A report of the keyring and some of its versions (all: list; the new or changed ones: init, add, rotate, state).</summary>
    public static void Write(string command, Keyring k, IEnumerable<KeyRecord> records) =>
        JsonReport.Write(command, w => { Keyring(w, k); Keys(w, "keys", records); });
}

// JSON form of key records and audit events (docs/keyring-format.md), written with Utf8JsonWriter and
// read with JsonDocument: no reflection, so it runs under NativeAOT. Each object starts with
// "format": 2 (KeyRecord.FormatVersion, AuditEvent.FormatVersion); times are UTC ISO 8601 with milliseconds, exactly what the binary form keeps, so a
// record's MAC and an event's hash verify after a JSON round trip.
using System.Globalization;
using System.Text.Json;

namespace PhiCrypto.Keys;

public static class KeyringJson
{
    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public static void WriteRecord(Utf8JsonWriter w, KeyRecord r)
    {
        w.WriteStartObject();
        w.WriteNumber("format", KeyRecord.FormatVersion);
        w.WriteString("purpose", r.Purpose);
        w.WriteNumber("version", r.Version);
        w.WriteNumber("generation", r.Generation);
        w.WriteString("state", KeyLifecycle.Name(r.State));
        WriteTime(w, "created", r.Created);
        WriteTime(w, "activated", r.Activated);
        WriteTime(w, "deactivated", r.Deactivated);
        WriteTime(w, "compromised", r.Compromised);
        WriteTime(w, "destroyed", r.Destroyed);
        w.WriteNumber("usageReserved", r.UsageReserved);
        w.WriteString("kekId", r.KekId);
        w.WriteString("kekCheckValue", Convert.ToHexStringLower(r.KekCheckValue));
        w.WriteString("wrap", WrapName(r.WrapAlgorithm));
        w.WriteString("wrapped", Convert.ToBase64String(r.Wrapped));
        w.WriteString("mac", Convert.ToBase64String(r.Mac));
        w.WriteString("storeMac", Convert.ToBase64String(r.StoreMac));
        w.WriteEndObject();
    }

    public static KeyRecord ReadRecord(JsonElement e)
    {
        try
        {
            if (e.GetProperty("format").GetInt32() != KeyRecord.FormatVersion) throw KeyRecord.UnsupportedFormat();
            var r = new KeyRecord
            {
                Purpose = e.GetProperty("purpose").GetString()!,
                Version = e.GetProperty("version").GetUInt32(),
                Generation = e.GetProperty("generation").GetInt64(),
                State = KeyLifecycle.Parse(e.GetProperty("state").GetString()!),
                Created = ReadTime(e, "created") ?? throw new MalformedDataException("key record has no creation time"),
                Activated = ReadTime(e, "activated"),
                Deactivated = ReadTime(e, "deactivated"),
                Compromised = ReadTime(e, "compromised"),
                Destroyed = ReadTime(e, "destroyed"),
                UsageReserved = e.GetProperty("usageReserved").GetUInt64(),
                KekId = e.GetProperty("kekId").GetString()!,
                KekCheckValue = Convert.FromHexString(e.GetProperty("kekCheckValue").GetString()!),
                WrapAlgorithm = ParseWrap(e.GetProperty("wrap").GetString()!),
                Wrapped = Convert.FromBase64String(e.GetProperty("wrapped").GetString()!),
                Mac = Convert.FromBase64String(e.GetProperty("mac").GetString()!),
                StoreMac = Convert.FromBase64String(e.GetProperty("storeMac").GetString()!),
            };
            r.Validate();
            return r;
        }
        catch (Exception ex) when (IsJsonShapeError(ex))
        {
            throw new MalformedDataException("a key record in the keyring is malformed");
        }
    }

    public static void WriteAudit(Utf8JsonWriter w, AuditEvent a)
    {
        w.WriteStartObject();
        w.WriteNumber("format", AuditEvent.FormatVersion);
        w.WriteNumber("seq", a.Sequence);
        WriteTime(w, "time", a.Time);
        w.WriteString("event", AuditEvent.KindName(a.Kind));
        if (a.Purpose is not null) w.WriteString("purpose", a.Purpose);
        if (a.Version != 0) w.WriteNumber("version", a.Version);
        if (a.FromState is { } f) w.WriteString("from", KeyLifecycle.Name(f));
        if (a.ToState is { } t) w.WriteString("to", KeyLifecycle.Name(t));
        w.WriteString("actor", a.Actor);
        w.WriteString("detail", a.Detail);
        w.WriteString("prev", Convert.ToHexStringLower(a.PreviousHash));
        w.WriteString("hash", Convert.ToHexStringLower(a.Hash));
        w.WriteEndObject();
    }

    public static AuditEvent ReadAudit(JsonElement e)
    {
        try
        {
            if (e.GetProperty("format").GetInt32() != AuditEvent.FormatVersion) throw AuditEvent.UnsupportedFormat();
            if (!AuditEvent.TryParseKind(e.GetProperty("event").GetString()!, out var kind)) throw new MalformedDataException("audit record has an unknown event");
            return new AuditEvent
            {
                Sequence = e.GetProperty("seq").GetInt64(),
                Time = ReadTime(e, "time") ?? throw new MalformedDataException("audit record has no time"),
                Kind = kind,
                Purpose = e.TryGetProperty("purpose", out var p) ? p.GetString() : null,
                Version = e.TryGetProperty("version", out var v) ? v.GetUInt32() : 0,
                FromState = e.TryGetProperty("from", out var f) ? KeyLifecycle.Parse(f.GetString()!) : null,
                ToState = e.TryGetProperty("to", out var t) ? KeyLifecycle.Parse(t.GetString()!) : null,
                Actor = e.GetProperty("actor").GetString()!,
                Detail = e.GetProperty("detail").GetString()!,
                PreviousHash = Convert.FromHexString(e.GetProperty("prev").GetString()!),
                Hash = Convert.FromHexString(e.GetProperty("hash").GetString()!),
            };
        }
        catch (Exception ex) when (IsJsonShapeError(ex))
        {
            throw new MalformedDataException("an audit record in the keyring is malformed");
        }
    }

    public static string WrapName(WrapAlgorithm a) => a switch
    {
        WrapAlgorithm.AesKwp => "aes-kwp",
        WrapAlgorithm.AesKw => "aes-kw",
        _ => "none",
    };

    internal static WrapAlgorithm ParseWrap(string s) => s switch
    {
        "aes-kwp" => WrapAlgorithm.AesKwp,
        "aes-kw" => WrapAlgorithm.AesKw,
        "none" => WrapAlgorithm.None,
        _ => throw new MalformedDataException("unknown key wrap algorithm"),
    };

    public static string FormatTime(DateTimeOffset t) => t.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    private static void WriteTime(Utf8JsonWriter w, string name, DateTimeOffset? t)
    {
        if (t is { } v) w.WriteString(name, FormatTime(v));
    }

    private static DateTimeOffset? ReadTime(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var p) || p.ValueKind == JsonValueKind.Null) return null;
        return DateTimeOffset.ParseExact(p.GetString()!, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
    }

    internal static bool IsJsonShapeError(Exception ex) =>
        ex is KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException or OverflowException or JsonException or NullReferenceException;
}

// The JSON the C ABI speaks: encryption contexts (an object of string -> string) in and out, and
// message descriptions out. Utf8JsonWriter/JsonDocument need no reflection, so they work under AOT.
using System.Text.Json;
using PhiCrypto.Messages;

namespace PhiCrypto.Native;

internal static unsafe class Json
{
    /// <summary>Parses a NUL-terminated JSON object of strings (at most PHI_CONTEXT_JSON_MAX bytes); NULL or "" is an empty context.</summary>
    internal static Dictionary<string, string> ReadContext(byte* json)
    {
        var context = new Dictionary<string, string>(StringComparer.Ordinal);
        if (json == null) return context;
        var text = NativeBuffers.Terminated(json, AbiConstants.ContextJsonMax, "context_json");
        if (text.IsEmpty) return context;
        try
        {
            using var document = JsonDocument.Parse(text.ToArray());
            if (document.RootElement.ValueKind != JsonValueKind.Object) throw new ArgumentException("context_json must be a JSON object");
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Value.ValueKind != JsonValueKind.String) throw new ArgumentException("context_json values must be strings");
                context[property.Name] = property.Value.GetString()!;
            }
        }
        catch (JsonException) { throw new ArgumentException("context_json is not valid JSON"); }
        return context;
    }

    internal static byte[] WriteContext(IReadOnlyDictionary<string, string> context)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteContext(writer, context);
        }
        return buffer.ToArray();
    }

    private static void WriteContext(Utf8JsonWriter writer, IReadOnlyDictionary<string, string> context)
    {
        writer.WriteStartObject();
        foreach (var (name, value) in context.OrderBy(p => p.Key, StringComparer.Ordinal)) writer.WriteString(name, value);
        writer.WriteEndObject();
    }

    /// <summary>What inspect reports: nothing here is authenticated (no key was used).</summary>
    internal static byte[] WriteDescription(MessageDescription description)
    {
        var header = description.Header;
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteBoolean("authenticated", false);
            writer.WriteNumber("format_version", header.Version);
            writer.WriteString("suite", $"0x{header.Suite.Id:X4}");
            writer.WriteString("suite_name", header.Suite.Name);
            writer.WriteBoolean("signed", header.Suite.IsSigned);
            writer.WriteBoolean("key_commitment", header.Suite.Commits);
            writer.WriteString("message_id", Convert.ToHexStringLower(header.MessageId));
            writer.WriteString("content_type", header.ContentType == ContentType.Framed ? "framed" : "non-framed");
            writer.WriteNumber("frame_length", header.FrameLength);
            writer.WriteNumber("frame_count", description.FrameCount);
            writer.WriteNumber("plaintext_length", description.PlaintextLength);
            writer.WriteNumber("header_length", header.Length);
            writer.WritePropertyName("encryption_context");
            WriteContext(writer, header.EncryptionContext);
            writer.WriteStartArray("encrypted_data_keys");
            foreach (var edk in header.EncryptedDataKeys)
            {
                writer.WriteStartObject();
                writer.WriteString("provider_id", edk.ProviderId);
                writer.WriteString("provider_info", PrintableOrHex(edk.ProviderInfo));
                writer.WriteNumber("ciphertext_length", edk.Ciphertext.Length);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    // Raw AES provider info is key name || tag length || IV length || IV: show the name, not the IV bytes.
    private static string PrintableOrHex(byte[] info)
    {
        if (RawAesKeyring.TryParseProviderInfo(info, out string keyName, out _)) return keyName;
        return Convert.ToHexStringLower(info);
    }
}

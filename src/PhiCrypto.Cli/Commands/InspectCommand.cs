using System.Text.Json;
using PhiCrypto.Cli.Reports;
using PhiCrypto.Cli.Streaming;
using PhiCrypto.Messages;

namespace PhiCrypto.Cli;

/// <summary>`phicrypt inspect`: what a message says about itself, read without any key.</summary>
internal static class InspectCommand
{
    public const string Help = """
        usage: phicrypt inspect FILE|- [--json]

        Shows a message's header without a key: format version, algorithm suite, frame length, encrypted
        data keys (key namespace and key name, i.e. purpose and version), encryption context, frame count
        and plaintext length. None of it is authenticated until the message is decrypted with a key.

          --json    one JSON object on standard output

        exit codes: 0 ok, 2 usage, 5 malformed message, 7 I/O, 1 other
        """;

    public static int Run(CommandArgs a)
    {
        if (a.Positionals.Count != 1) throw new UsageException("inspect expects one FILE (or - for standard input)");
        using var input = InputSource.Open(a.Positionals[0], out _);
        var d = MessageInspector.Describe(input);
        if (a.Flag("--json")) JsonReport.Write("inspect", w => WriteJson(w, d));
        else Console.Out.Write(ToText(d));
        return ExitCodes.Ok;
    }

    private static IEnumerable<(string Namespace, string Name, string Kind, int Bytes)> Keys(MessageHeader h) => h.EncryptedDataKeys.Select(e =>
        RawAesKeyring.TryParseProviderInfo(e.ProviderInfo, out var name, out _)
            ? (e.ProviderId, name, "raw-aes", e.Ciphertext.Length)
            : (e.ProviderId, System.Text.Encoding.UTF8.GetString(e.ProviderInfo), "raw-rsa", e.Ciphertext.Length));

    /// <summary>Keyring key names are "purpose/vN"; raw and recovery keys are not.</summary>
    private static (string Purpose, int Version)? PurposeVersion(string keyName)
    {
        int slash = keyName.LastIndexOf("/v", StringComparison.Ordinal);
        return slash > 0 && int.TryParse(keyName.AsSpan(slash + 2), System.Globalization.NumberStyles.None, null, out int v) && v > 0
            ? (keyName[..slash], v) : null;
    }

    private static string ToText(MessageDescription d)
    {
        var h = d.Header;
        var w = new StringWriter();
        w.WriteLine($"format          AWS Encryption SDK message v{h.Version} (unauthenticated: no key used)");
        w.WriteLine($"algorithm suite {h.Suite}");
        w.WriteLine($"message id      {Convert.ToHexStringLower(h.MessageId)}");
        w.WriteLine($"content         {(h.ContentType == ContentType.Framed ? $"framed, frame length {h.FrameLength}" : "non-framed")}");
        if (d.FrameCount > 0) w.WriteLine($"frames          {d.FrameCount} (plaintext {d.PlaintextLength} bytes)");
        w.WriteLine($"header          {h.Length} bytes{(h.Suite.IsSigned ? $", signature footer {d.FooterLength} bytes" : "")}");
        w.WriteLine("encrypted data keys");
        foreach (var (ns, name, kind, bytes) in Keys(h))
            w.WriteLine($"  {ns} / {name}  ({kind}, {bytes} bytes{(PurposeVersion(name) is var (p, v) ? $"; purpose {p}, version {v}" : "")})");
        w.WriteLine("encryption context");
        foreach (var (k, v) in h.EncryptionContext.OrderBy(p => p.Key, StringComparer.Ordinal)) w.WriteLine($"  {k} = {v}");
        return w.ToString();
    }

    private static void WriteJson(Utf8JsonWriter j, MessageDescription d)
    {
        var h = d.Header;
        {
            j.WriteNumber("message_version", h.Version);
            j.WriteString("suite", $"0x{h.Suite.Id:X4}");
            j.WriteString("suite_name", h.Suite.Name);
            j.WriteBoolean("signed", h.Suite.IsSigned);
            j.WriteBoolean("key_commitment", h.Suite.Commits);
            j.WriteString("message_id", Convert.ToHexStringLower(h.MessageId));
            j.WriteBoolean("framed", h.ContentType == ContentType.Framed);
            j.WriteNumber("frame_length", h.FrameLength);
            j.WriteNumber("frame_count", d.FrameCount);
            j.WriteNumber("plaintext_length", d.PlaintextLength);
            j.WriteNumber("header_length", h.Length);
            j.WriteStartArray("encrypted_data_keys");
            foreach (var (ns, name, kind, bytes) in Keys(h))
            {
                j.WriteStartObject();
                j.WriteString("key_namespace", ns);
                j.WriteString("key_name", name);
                j.WriteString("form", kind);
                if (PurposeVersion(name) is var (purpose, version))
                {
                    j.WriteString("purpose", purpose);
                    j.WriteNumber("key_version", version);
                }
                j.WriteNumber("ciphertext_length", bytes);
                j.WriteEndObject();
            }
            j.WriteEndArray();
            j.WriteStartObject("encryption_context");
            foreach (var (k, v) in h.EncryptionContext.OrderBy(p => p.Key, StringComparer.Ordinal)) j.WriteString(k, v);
            j.WriteEndObject();
            j.WriteBoolean("authenticated", false);
        }
    }
}

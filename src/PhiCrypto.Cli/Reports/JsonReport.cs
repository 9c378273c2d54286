// The one JSON style of every `--json` output (docs/runbooks/json-reports.md): one object on standard
// output, snake_case names like the C ABI's JSON, and first of all "version" (this layout's version,
// bumped on any incompatible change) and "report" (which command wrote it).
using System.Text.Json;

namespace PhiCrypto.Cli.Reports;

internal static class JsonReport
{
    /// <summary>The version of the report layout; every report carries it.</summary>
    public const int Version = 1;

    /// <summary>Writes {"version": 1, "report": <paramref name="report"/>, ...body} and a newline to standard output.</summary>
    public static void Write(string report, Action<Utf8JsonWriter> body)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("version", Version);
            w.WriteString("report", report);
            body(w);
            w.WriteEndObject();
        }
        stdout.WriteByte((byte)'\n');
    }

    /// <summary>A time in UTC, ISO 8601, or null.</summary>
    public static void Time(Utf8JsonWriter w, string name, DateTimeOffset? t)
    {
        if (t is { } v) w.WriteString(name, v.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
        else w.WriteNull(name);
    }
}

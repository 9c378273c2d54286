// postgresql:// URLs (libpq's URI form, PostgreSQL docs 34.1.1) to Npgsql-style connection strings (the
// parsed, validated form) and to libpq's keyword = 'value' form, and a display form without the password. Query parameters map onto Npgsql keywords where they mean the same.
using System.Globalization;
using Npgsql;

namespace PhiCrypto.Postgres;

public static class PostgresUrl
{
    public static bool IsUrl(string? s) =>
        s is not null && (s.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || s.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase));

    /// <summary>An Npgsql connection string for <paramref name="url"/>; a connection string passes through.</summary>
    public static string ToConnectionString(string url)
    {
        if (!IsUrl(url)) return url;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)) throw new ArgumentException("malformed postgresql:// URL");
        var b = new NpgsqlConnectionStringBuilder { Host = uri.Host.Length > 0 ? Uri.UnescapeDataString(uri.Host) : "localhost" };
        if (uri.Port > 0) b.Port = uri.Port;
        var info = uri.UserInfo.Split(':', 2);
        if (info[0].Length > 0) b.Username = Uri.UnescapeDataString(info[0]);
        if (info.Length > 1) b.Password = Uri.UnescapeDataString(info[1]);
        var db = uri.AbsolutePath.TrimStart('/');
        if (db.Length > 0) b.Database = Uri.UnescapeDataString(db);
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(kv[0]);
            var value = kv.Length > 1 ? Uri.UnescapeDataString(kv[1]) : "";
            switch (key)
            {
                case "sslmode": b.SslMode = Enum.Parse<SslMode>(value.Replace("-", ""), ignoreCase: true); break;
                case "host": b.Host = value; break;
                case "port": b.Port = Number(key, value); break;
                case "user": b.Username = value; break;
                case "password": b.Password = value; break;
                case "dbname": b.Database = value; break;
                case "application_name": b.ApplicationName = value; break;
                case "connect_timeout": b.Timeout = Number(key, value); break;
                case "sslrootcert": b.RootCertificate = value; break;
                case "options": b.Options = value; break;
                case "schema": break; // ours: read by PostgresKeyStore
                default: throw new ArgumentException($"unsupported postgresql:// URL parameter '{key}'");
            }
        }
        return b.ConnectionString;
    }

    /// <summary>A libpq connection string (PostgreSQL docs 34.1.1, keyword = 'value') for a URL or an
    /// Npgsql-style connection string: the same settings, in libpq's words.</summary>
    public static string ToConninfo(string urlOrConnectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(ToConnectionString(urlOrConnectionString));
        var pairs = new List<(string, string?)>
        {
            ("host", b.Host), ("port", b.Port.ToString(CultureInfo.InvariantCulture)), ("user", b.Username), ("password", b.Password),
            ("dbname", b.Database), ("application_name", b.ApplicationName ?? "phicrypto"),
            ("connect_timeout", b.Timeout.ToString(CultureInfo.InvariantCulture)), ("sslrootcert", b.RootCertificate), ("options", b.Options),
            ("sslmode", b.SslMode.ToString().ToLowerInvariant().Replace("verify", "verify-", StringComparison.Ordinal)),
        };
        return string.Join(' ', pairs.Where(p => !string.IsNullOrEmpty(p.Item2)).Select(p => $"{p.Item1}='{Quote(p.Item2!)}'"));
    }

    private static string Quote(string value) => value.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("'", @"\'", StringComparison.Ordinal);

    private static int Number(string key, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : throw new ArgumentException($"postgresql:// URL parameter '{key}' is not a number");

    /// <summary>A query parameter of the URL (e.g. our "schema"), or null.</summary>
    public static string? Parameter(string url, string name)
    {
        if (!IsUrl(url) || !Uri.TryCreate(url, UriKind.Absolute, out var uri)) return null;
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            if (Uri.UnescapeDataString(kv[0]) == name) return kv.Length > 1 ? Uri.UnescapeDataString(kv[1]) : "";
        }
        return null;
    }

    /// <summary>host:port/database of a connection string or URL: for messages, never the password.</summary>
    public static string Display(string urlOrConnectionString)
    {
        try
        {
            var b = new NpgsqlConnectionStringBuilder(ToConnectionString(urlOrConnectionString));
            return $"postgresql://{b.Username}@{b.Host}:{b.Port}/{b.Database}";
        }
        catch (ArgumentException) { return "postgresql://(unparsable)"; }
    }
}

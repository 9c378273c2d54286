// AWS Signature Version 4 for S3 (docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html):
// canonical request -> string to sign -> HMAC chain over date, region and service. Every x-amz-* header
// (the session token, SSE and Object Lock headers among them) and Content-MD5 are signed, so a proxy
// cannot strip or alter them without the store refusing the request.
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace PhiCrypto.Cli.Backups.S3;

/// <summary>Access key, secret and, for temporary credentials (IAM roles, STS), the session token.</summary>
internal sealed record S3Credentials(string AccessKey, string SecretKey, string? SessionToken);

internal sealed class S3Signer(string region, S3Credentials credentials)
{
    public static readonly string EmptyHash = Convert.ToHexStringLower(SHA256.HashData([]));

    private DayKey? _dayKey;  // the HMAC chain's result changes once a day: not derived per request

    /// <summary>The hex SHA-256 of a request body, as x-amz-content-sha256 carries it (once per body, not per attempt).</summary>
    public static string PayloadHash(ReadOnlySpan<byte> body) => body.IsEmpty ? EmptyHash : Convert.ToHexStringLower(SHA256.HashData(body));

    /// <summary>Adds x-amz-date, x-amz-content-sha256, the session token and Authorization to a request
    /// whose other headers are final.</summary>
    public void Sign(HttpRequestMessage request, string payloadHash, DateTime now)
    {
        var uri = request.RequestUri!;
        string amzDate = now.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture), day = amzDate[..8];
        string host = uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}";
        request.Headers.Host = host;
        request.Headers.Add("x-amz-date", amzDate);
        request.Headers.Add("x-amz-content-sha256", payloadHash);
        if (credentials.SessionToken is { } token) request.Headers.TryAddWithoutValidation("x-amz-security-token", token);

        var headers = SignedHeaders(request, host);
        string signedNames = string.Join(';', headers.Select(h => h.Name));
        string canonical = string.Join('\n', request.Method.Method, uri.AbsolutePath, CanonicalQuery(uri.Query.TrimStart('?')),
            string.Concat(headers.Select(h => $"{h.Name}:{h.Value}\n")), signedNames, payloadHash);
        string scope = $"{day}/{region}/s3/aws4_request";
        string toSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))}";
        string signature = Hex(HMACSHA256.HashData(SigningKey(day), Encoding.UTF8.GetBytes(toSign)));
        request.Headers.TryAddWithoutValidation("Authorization",
            $"AWS4-HMAC-SHA256 Credential={credentials.AccessKey}/{scope}, SignedHeaders={signedNames}, Signature={signature}");
    }

    /// <summary>host, content-md5 and every x-amz-* header: lower-case names, trimmed values, sorted by name.</summary>
    private static List<(string Name, string Value)> SignedHeaders(HttpRequestMessage request, string host)
    {
        var all = request.Headers.Concat(request.Content?.Headers ?? Enumerable.Empty<KeyValuePair<string, IEnumerable<string>>>());
        var list = all.Select(h => (Name: h.Key.ToLowerInvariant(), Value: string.Join(',', h.Value.Select(v => v.Trim()))))
            .Where(h => h.Name.StartsWith("x-amz-", StringComparison.Ordinal) || h.Name == "content-md5")
            .Append((Name: "host", Value: host)).ToList();
        list.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return list;
    }

    private byte[] SigningKey(string day)
    {
        if (_dayKey is { } cached && cached.Day == day) return cached.Key;
        byte[] key = Encoding.UTF8.GetBytes("AWS4" + credentials.SecretKey);
        foreach (var part in new[] { day, region, "s3", "aws4_request" }) key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(part));
        _dayKey = new DayKey(day, key);  // one reference write: threads see the old or the new pair, never a mix
        return key;
    }

    private sealed record DayKey(string Day, byte[] Key);

    /// <summary>The query's name=value pairs sorted; a bare name gets "=". The client escapes values already.</summary>
    private static string CanonicalQuery(string query) => query.Length == 0 ? "" :
        string.Join('&', query.Split('&').Select(p => p.Contains('=') ? p : p + "=").Order(StringComparer.Ordinal));

    private static string Hex(byte[] b) => Convert.ToHexStringLower(b);
}

// A minimal S3 client for backups: multipart upload, put, get, head, delete; path-style addressing,
// signed with AWS Signature Version 4 (docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html,
// and the S3 variant: x-amz-content-sha256 carries the payload hash). No AWS SDK: the CLI is NativeAOT
// and needs only these calls. Works with any S3-compatible endpoint (MinIO, Swift s3api, AWS).
// Configuration from the usual environment: AWS_ENDPOINT_URL (or S3_ENDPOINT_URL), AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_REGION (or AWS_DEFAULT_REGION, default us-east-1).
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;

namespace PhiCrypto.Cli.Backups;

internal sealed class S3Client : IDisposable
{
    private static readonly string EmptyHash = Convert.ToHexStringLower(SHA256.HashData([]));
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromMinutes(30) };
    private readonly Uri _endpoint;
    private readonly string _region, _accessKey, _secretKey;

    public S3Client(Uri endpoint, string region, string accessKey, string secretKey)
    {
        _endpoint = endpoint; _region = region; _accessKey = accessKey; _secretKey = secretKey;
    }

    public static S3Client FromEnvironment()
    {
        string? Env(string n) => Environment.GetEnvironmentVariable(n) is { Length: > 0 } v ? v : null;
        var endpoint = Env("AWS_ENDPOINT_URL") ?? Env("S3_ENDPOINT_URL");
        var region = Env("AWS_REGION") ?? Env("AWS_DEFAULT_REGION") ?? "us-east-1";
        var access = Env("AWS_ACCESS_KEY_ID") ?? throw new UsageException("s3:// needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
        var secret = Env("AWS_SECRET_ACCESS_KEY") ?? throw new UsageException("s3:// needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
        var uri = endpoint is null ? new Uri($"https://s3.{region}.amazonaws.com") : new Uri(endpoint.TrimEnd('/'));
        return new S3Client(uri, region, access, secret);
    }

    public string CreateMultipartUpload(string bucket, string key)
    {
        var xml = SendForXml(HttpMethod.Post, bucket, key, "uploads=", null);
        return Element(xml, "UploadId");
    }

    public string UploadPart(string bucket, string key, string uploadId, int partNumber, ReadOnlyMemory<byte> body)
    {
        using var response = Send(HttpMethod.Put, bucket, key, $"partNumber={partNumber}&uploadId={Escape(uploadId)}", body);
        return response.Headers.ETag?.Tag ?? throw new BackupFailedException("S3 returned no ETag for a part");
    }

    public void CompleteMultipartUpload(string bucket, string key, string uploadId, IEnumerable<(int Number, string ETag)> parts)
    {
        var body = new XElement("CompleteMultipartUpload", parts.OrderBy(p => p.Number).Select(p =>
            new XElement("Part", new XElement("PartNumber", p.Number), new XElement("ETag", p.ETag))));
        // S3 may answer 200 with an <Error> body when completion fails late.
        var xml = SendForXml(HttpMethod.Post, bucket, key, $"uploadId={Escape(uploadId)}", Encoding.UTF8.GetBytes(body.ToString()));
        if (xml.Root?.Name.LocalName == "Error") throw new BackupFailedException($"S3 CompleteMultipartUpload failed: {Element(xml, "Code")}");
    }

    public void AbortMultipartUpload(string bucket, string key, string uploadId) =>
        Send(HttpMethod.Delete, bucket, key, $"uploadId={Escape(uploadId)}", null, allowNotFound: true).Dispose();

    public void PutObject(string bucket, string key, byte[] body) => Send(HttpMethod.Put, bucket, key, "", body).Dispose();

    public void DeleteObject(string bucket, string key) => Send(HttpMethod.Delete, bucket, key, "", null, allowNotFound: true).Dispose();

    /// <summary>The object's length, or -1 when it does not exist.</summary>
    public long HeadObject(string bucket, string key)
    {
        using var r = Send(HttpMethod.Head, bucket, key, "", null, allowNotFound: true);
        return r.StatusCode == HttpStatusCode.NotFound ? -1 : r.Content.Headers.ContentLength ?? -1;
    }

    /// <summary>A stream over the object's body, read as it arrives.</summary>
    public Stream GetObject(string bucket, string key)
    {
        var r = Send(HttpMethod.Get, bucket, key, "", null, streamBody: true);
        return r.Content.ReadAsStream();
    }

    public byte[] GetObjectBytes(string bucket, string key)
    {
        using var r = Send(HttpMethod.Get, bucket, key, "", null);
        return r.Content.ReadAsByteArrayAsync().GetAwaiter().GetResult();
    }

    private XDocument SendForXml(HttpMethod method, string bucket, string key, string query, byte[]? body)
    {
        using var r = Send(method, bucket, key, query, body);
        return XDocument.Parse(r.Content.ReadAsStringAsync().GetAwaiter().GetResult());
    }

    private HttpResponseMessage Send(HttpMethod method, string bucket, string key, string query, ReadOnlyMemory<byte>? body,
        bool allowNotFound = false, bool streamBody = false)
    {
        var path = "/" + Escape(bucket) + "/" + string.Join('/', key.Split('/').Select(Escape));
        var uri = new Uri(_endpoint, path + (query.Length > 0 ? "?" + query : ""));
        using var request = new HttpRequestMessage(method, uri);
        if (body is { } b) request.Content = new ReadOnlyMemoryContent(b);
        Sign(request, uri, query, body);
        var response = _http.Send(request, streamBody ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead);
        if (response.IsSuccessStatusCode || (allowNotFound && response.StatusCode == HttpStatusCode.NotFound)) return response;
        string code = ErrorCode(response);
        response.Dispose();
        throw new BackupFailedException($"S3 {method} s3://{bucket}/{key} failed: {(int)response.StatusCode} {code}");
    }

    private static string ErrorCode(HttpResponseMessage r)
    {
        try { return Element(XDocument.Parse(r.Content.ReadAsStringAsync().GetAwaiter().GetResult()), "Code"); }
        catch (Exception e) when (e is System.Xml.XmlException or BackupFailedException) { return r.ReasonPhrase ?? ""; }
    }

    // SigV4: canonical request -> string to sign -> HMAC chain over date, region, service.
    private void Sign(HttpRequestMessage request, Uri uri, string query, ReadOnlyMemory<byte>? body)
    {
        var now = DateTime.UtcNow;
        string amzDate = now.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture), day = amzDate[..8];
        string payloadHash = body is { } b ? Convert.ToHexStringLower(SHA256.HashData(b.Span)) : EmptyHash;
        string host = uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}";
        request.Headers.Host = host;
        request.Headers.Add("x-amz-date", amzDate);
        request.Headers.Add("x-amz-content-sha256", payloadHash);
        const string signedHeaders = "host;x-amz-content-sha256;x-amz-date";
        string canonical = string.Join('\n', request.Method.Method, uri.AbsolutePath, CanonicalQuery(query),
            $"host:{host}\nx-amz-content-sha256:{payloadHash}\nx-amz-date:{amzDate}\n", signedHeaders, payloadHash);
        string scope = $"{day}/{_region}/s3/aws4_request";
        string toSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{scope}\n{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))}";
        byte[] key = Encoding.UTF8.GetBytes("AWS4" + _secretKey);
        foreach (var part in new[] { day, _region, "s3", "aws4_request" }) key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(part));
        string signature = Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(toSign)));
        request.Headers.TryAddWithoutValidation("Authorization",
            $"AWS4-HMAC-SHA256 Credential={_accessKey}/{scope}, SignedHeaders={signedHeaders}, Signature={signature}");
    }

    private static string CanonicalQuery(string query) => query.Length == 0 ? "" :
        string.Join('&', query.Split('&').Select(p => p.Contains('=') ? p : p + "=").Order(StringComparer.Ordinal));

    /// <summary>RFC 3986 percent-encoding of everything but unreserved characters, as SigV4 requires.</summary>
    private static string Escape(string s) => Uri.EscapeDataString(s);

    private static string Element(XDocument xml, string name) =>
        xml.Descendants().FirstOrDefault(e => e.Name.LocalName == name)?.Value
        ?? throw new BackupFailedException($"S3 response has no {name}");

    public void Dispose() => _http.Dispose();
}

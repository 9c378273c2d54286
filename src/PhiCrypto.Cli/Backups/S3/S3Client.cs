// A small S3 client for backups: multipart upload, put, get, head, delete; path-style addressing,
// SigV4-signed (S3Signer), every request retried on server errors, throttling and network failures
// (S3RetryPolicy). Works with any S3-compatible endpoint (AWS, MinIO, Swift s3api).
// Not AWSSDK.S3: under NativeAOT it publishes with trimming warnings and adds megabytes to the binary
// for the six calls a backup needs (docs/runbooks/backup-and-restore.md, "S3").
// Configuration from the environment the AWS tools read: AWS_ENDPOINT_URL (or S3_ENDPOINT_URL),
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (temporary credentials: IAM roles, STS),
// AWS_REGION (or AWS_DEFAULT_REGION, default us-east-1), AWS_MAX_ATTEMPTS (default 5).
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace PhiCrypto.Cli.Backups.S3;

internal sealed class S3Client : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(30) })
    {
        Timeout = TimeSpan.FromMinutes(5),   // one request (a 16 MiB part at most); a stalled one is retried
    };
    private readonly Uri _endpoint;
    private readonly S3Signer _signer;
    private readonly S3RetryPolicy _retry;

    public S3Client(Uri endpoint, string region, S3Credentials credentials, S3RetryPolicy retry)
    {
        _endpoint = endpoint; _signer = new S3Signer(region, credentials); _retry = retry;
    }

    public static S3Client FromEnvironment()
    {
        static string? Env(string n) => Environment.GetEnvironmentVariable(n) is { Length: > 0 } v ? v : null;
        const string needKeys = "s3:// needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN with temporary credentials)";
        var endpoint = Env("AWS_ENDPOINT_URL") ?? Env("S3_ENDPOINT_URL");
        var region = Env("AWS_REGION") ?? Env("AWS_DEFAULT_REGION") ?? "us-east-1";
        var credentials = new S3Credentials(Env("AWS_ACCESS_KEY_ID") ?? throw new UsageException(needKeys),
            Env("AWS_SECRET_ACCESS_KEY") ?? throw new UsageException(needKeys), Env("AWS_SESSION_TOKEN"));
        if (!Uri.TryCreate(endpoint?.TrimEnd('/') ?? $"https://s3.{region}.amazonaws.com", UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new UsageException($"AWS_ENDPOINT_URL '{endpoint}' is not an http(s) URL: give e.g. https://s3.eu-central-1.amazonaws.com");
        return new S3Client(uri, region, credentials, S3RetryPolicy.FromEnvironment());
    }

    public string CreateMultipartUpload(string bucket, string key, S3WriteOptions options) =>
        Element(SendForXml(new S3Request(HttpMethod.Post, bucket, key, "uploads", Headers: options.Headers())), "UploadId");

    public string UploadPart(string bucket, string key, string uploadId, int partNumber, ReadOnlyMemory<byte> body) =>
        Send(new S3Request(HttpMethod.Put, bucket, key, $"partNumber={partNumber}&uploadId={Escape(uploadId)}", body),
            r => r.Headers.ETag?.Tag ?? throw new BackupFailedException($"S3 at {_endpoint} returned no ETag for part {partNumber} of s3://{bucket}/{key}"));

    public void CompleteMultipartUpload(string bucket, string key, string uploadId, IEnumerable<(int Number, string ETag)> parts)
    {
        var body = new XElement("CompleteMultipartUpload", parts.OrderBy(p => p.Number).Select(p =>
            new XElement("Part", new XElement("PartNumber", p.Number), new XElement("ETag", p.ETag))));
        SendForXml(new S3Request(HttpMethod.Post, bucket, key, $"uploadId={Escape(uploadId)}", Encoding.UTF8.GetBytes(body.ToString())));
    }

    public void AbortMultipartUpload(string bucket, string key, string uploadId) =>
        Send(new S3Request(HttpMethod.Delete, bucket, key, $"uploadId={Escape(uploadId)}", AllowNotFound: true), _ => 0);

    public void PutObject(string bucket, string key, byte[] body, S3WriteOptions options) =>
        Send(new S3Request(HttpMethod.Put, bucket, key, "", body, Headers: options.Headers()), _ => 0);

    public void DeleteObject(string bucket, string key) =>
        Send(new S3Request(HttpMethod.Delete, bucket, key, "", AllowNotFound: true), _ => 0);

    /// <summary>The object's length, or -1 when it does not exist.</summary>
    public long HeadObject(string bucket, string key) =>
        Send(new S3Request(HttpMethod.Head, bucket, key, "", AllowNotFound: true),
            r => r.StatusCode == HttpStatusCode.NotFound ? -1 : r.Content.Headers.ContentLength ?? -1);

    /// <summary>The keys of every object under <paramref name="prefix"/> (ListObjectsV2, page by page).</summary>
    public List<string> ListObjects(string bucket, string prefix)
    {
        var keys = new List<string>();
        string? token = null;
        do
        {
            var query = $"list-type=2&prefix={Escape(prefix)}" + (token is null ? "" : $"&continuation-token={Escape(token)}");
            var xml = SendForXml(new S3Request(HttpMethod.Get, bucket, "", query));
            keys.AddRange(xml.Descendants().Where(e => e.Name.LocalName == "Key").Select(e => e.Value));
            bool truncated = xml.Descendants().Any(e => e.Name.LocalName == "IsTruncated" && e.Value == "true");
            token = truncated ? Element(xml, "NextContinuationToken") : null;
        } while (token is not null);
        return keys;
    }

    /// <summary>The object's Object Lock mode and retain-until date as the store reports them (null when none).</summary>
    public (string? Mode, string? RetainUntil) ObjectLock(string bucket, string key) =>
        Send(new S3Request(HttpMethod.Head, bucket, key, ""),
            r => (Header(r, "x-amz-object-lock-mode"), Header(r, "x-amz-object-lock-retain-until-date")));

    private static string? Header(HttpResponseMessage r, string name) =>
        r.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    /// <summary>A stream over the object's body, read as it arrives (disposing it ends the response).</summary>
    public Stream GetObject(string bucket, string key) =>
        Send(new S3Request(HttpMethod.Get, bucket, key, "", StreamBody: true), r => new ResponseStream(r));

    public byte[] GetObjectBytes(string bucket, string key) =>
        Send(new S3Request(HttpMethod.Get, bucket, key, ""), r => r.Content.ReadAsByteArrayAsync().GetAwaiter().GetResult());

    /// <summary>S3 may answer 200 with an &lt;Error&gt; body (CompleteMultipartUpload failing late): that is an error too.</summary>
    private XDocument SendForXml(S3Request request) => Send(request, r =>
    {
        var xml = ParseXml(r, request);
        if (xml.Root?.Name.LocalName == "Error") throw new S3ResponseException(r.StatusCode, Element(xml, "Code"));
        return xml;
    });

    /// <summary>Sends until a response passes <paramref name="read"/> or the attempts are used up.</summary>
    private T Send<T>(S3Request request, Func<HttpResponseMessage, T> read)
    {
        // The body's digests are the same for every attempt: hashed once.
        var digests = request.Body is { } body
            ? new BodyDigests(MD5.HashData(body.Span), S3Signer.PayloadHash(body.Span))
            : new BodyDigests(null, S3Signer.EmptyHash);
        for (int attempt = 1; ; attempt++)
        {
            Exception failure;
            HttpResponseMessage? response = null;
            try
            {
                response = SendOnce(request, digests);
                if (!response.IsSuccessStatusCode && !(request.AllowNotFound && response.StatusCode == HttpStatusCode.NotFound))
                    throw new S3ResponseException(response.StatusCode, ErrorCode(response));
                var result = read(response);
                if (!request.StreamBody) response.Dispose();
                return result;
            }
            catch (S3ResponseException e) when (S3RetryPolicy.IsRetryable(e.Status, e.Code)) { failure = e; }
            catch (S3ResponseException e) { response?.Dispose(); throw Refused(request, e, attempt); }
            catch (HttpRequestException e) { failure = e; }
            catch (TaskCanceledException e) { failure = e; }   // HttpClient.Timeout
            catch (IOException e) { failure = e; }             // the connection broke while reading the body
            response?.Dispose();
            if (attempt >= _retry.MaxAttempts) throw Failed(request, failure, attempt);
            Thread.Sleep(_retry.Delay(attempt));
        }
    }

    private sealed record BodyDigests(byte[]? Md5, string Sha256Hex);

    private HttpResponseMessage SendOnce(S3Request r, BodyDigests digests)
    {
        var path = "/" + Escape(r.Bucket) + (r.Key.Length == 0 ? "" : "/" + string.Join('/', r.Key.Split('/').Select(Escape)));   // no key: a bucket request
        using var message = new HttpRequestMessage(r.Method, new Uri(_endpoint, path + (r.Query.Length > 0 ? "?" + r.Query : "")));
        foreach (var (name, value) in r.Headers ?? []) message.Headers.TryAddWithoutValidation(name, value);
        if (r.Body is { } body)
        {
            message.Content = new ReadOnlyMemoryContent(body);
            // Integrity of every body on the wire; S3 also requires it for uploads under Object Lock.
            message.Content.Headers.ContentMD5 = digests.Md5;
        }
        _signer.Sign(message, digests.Sha256Hex, DateTime.UtcNow);
        return _http.Send(message, r.StreamBody ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead);
    }

    private Exception Refused(S3Request r, S3ResponseException e, int attempts) => new BackupFailedException(
        $"S3 {r.Method} {r.Where} at {_endpoint} was refused: {(int)e.Status} {e.Code}{After(attempts)}. {Hint(e)}");

    private Exception Failed(S3Request r, Exception e, int attempts) => e is S3ResponseException s
        ? new BackupFailedException($"S3 {r.Method} {r.Where} at {_endpoint} failed: {(int)s.Status} {s.Code}{After(attempts)}. " +
            "The store kept failing: try again later, or raise AWS_MAX_ATTEMPTS")
        : new BackupFailedException($"cannot reach S3 at {_endpoint} ({Reason(e)}) for {r.Method} {r.Where}{After(attempts)}. " +
            "Check AWS_ENDPOINT_URL, DNS, the network and any proxy, then run the command again");

    private static string After(int attempts) => attempts > 1 ? $" (after {attempts} attempts)" : "";

    private static string Hint(S3ResponseException e) => (e.Status, e.Code) switch
    {
        (_, "NoSuchBucket") => "Check the bucket name in the s3:// location",
        (HttpStatusCode.Forbidden, _) or (_, "ExpiredToken" or "InvalidToken" or "InvalidAccessKeyId" or "SignatureDoesNotMatch") =>
            "Check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (temporary credentials expire) and the bucket policy",
        (_, "InvalidRequest" or "NotImplemented") => "The store does not accept one of the request's options (--s3-sse, --retain-until need a store and bucket that support them)",
        _ => "See the S3 error code in the store's documentation",
    };

    private static string Reason(Exception e) => e switch
    {
        HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError } => "the host name does not resolve",
        HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } h => "connection failed: " + (h.InnerException?.Message ?? h.Message),
        HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError } => "the TLS handshake failed",
        TaskCanceledException => "no answer within the timeout",
        _ => (e.InnerException ?? e).Message,
    };

    private static string ErrorCode(HttpResponseMessage r)
    {
        try { return Element(XDocument.Parse(r.Content.ReadAsStringAsync().GetAwaiter().GetResult()), "Code"); }
        catch (Exception e) when (e is XmlException or BackupFailedException) { return r.ReasonPhrase ?? ""; }
    }

    private XDocument ParseXml(HttpResponseMessage r, S3Request request)
    {
        try { return XDocument.Parse(r.Content.ReadAsStringAsync().GetAwaiter().GetResult()); }
        catch (XmlException) { throw new BackupFailedException($"S3 at {_endpoint} answered {request.Method} {request.Where} with a body that is not XML: is AWS_ENDPOINT_URL an S3 endpoint?"); }
    }

    /// <summary>RFC 3986 percent-encoding of everything but unreserved characters, as SigV4 requires.</summary>
    private static string Escape(string s) => Uri.EscapeDataString(s);

    private static string Element(XDocument xml, string name) =>
        xml.Descendants().FirstOrDefault(e => e.Name.LocalName == name)?.Value
        ?? throw new BackupFailedException($"S3 response has no {name}");

    public void Dispose() => _http.Dispose();

    private sealed record S3Request(HttpMethod Method, string Bucket, string Key, string Query, ReadOnlyMemory<byte>? Body = null,
        IEnumerable<(string, string)>? Headers = null, bool AllowNotFound = false, bool StreamBody = false)
    {
        public string Where => $"s3://{Bucket}/{Key}";
    }

    /// <summary>An S3 error answer (status and code), before it is judged retryable or final.</summary>
    private sealed class S3ResponseException(HttpStatusCode status, string code) : Exception("S3 error response")
    {
        public HttpStatusCode Status => status;
        public string Code => code;
    }

    /// <summary>The body of a streamed GET; disposing it releases the response and its connection.</summary>
    private sealed class ResponseStream(HttpResponseMessage response) : PhiCrypto.IO.ReadOnlyStream
    {
        private readonly Stream _inner = response.Content.ReadAsStream();
        public override int Read(Span<byte> buffer) => _inner.Read(buffer);
        protected override void Dispose(bool disposing)
        {
            if (disposing) { _inner.Dispose(); response.Dispose(); }
            base.Dispose(disposing);
        }
    }
}

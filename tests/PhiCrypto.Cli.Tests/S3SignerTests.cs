using System.Net;
using System.Net.Sockets;
using System.Text;
using PhiCrypto.Cli.Backups.S3;

namespace PhiCrypto.Cli.Tests;

/// <summary>The SigV4 signer against AWS's published example, and the request the client forms for SSE,
/// Object Lock and a session token, as a local recorder sees it on the wire.</summary>
public sealed class S3SignerTests
{
    private static readonly S3Credentials Example = new("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", null);

    [Fact]
    public void Signs_the_AWS_documentation_example()
    {
        // docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html, "GET Bucket Lifecycle".
        using var request = new HttpRequestMessage(HttpMethod.Get, "https://examplebucket.s3.amazonaws.com/?lifecycle");
        new S3Signer("us-east-1", Example).Sign(request, S3Signer.EmptyHash, new DateTime(2013, 5, 24, 0, 0, 0, DateTimeKind.Utc));
        Assert.Equal("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            + "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
            request.Headers.GetValues("Authorization").Single());
    }

    [Fact]
    public void The_signing_key_kept_for_a_day_is_derived_again_the_next_day()
    {
        // One signer over midnight signs as a new signer does on each day (the day key is cached).
        var signer = new S3Signer("us-east-1", Example);
        foreach (var day in new[] { new DateTime(2013, 5, 24, 23, 59, 0, DateTimeKind.Utc), new DateTime(2013, 5, 25, 0, 1, 0, DateTimeKind.Utc), new DateTime(2013, 5, 24, 12, 0, 0, DateTimeKind.Utc) })
        {
            using var reused = new HttpRequestMessage(HttpMethod.Get, "https://examplebucket.s3.amazonaws.com/?lifecycle");
            using var fresh = new HttpRequestMessage(HttpMethod.Get, "https://examplebucket.s3.amazonaws.com/?lifecycle");
            signer.Sign(reused, S3Signer.EmptyHash, day);
            new S3Signer("us-east-1", Example).Sign(fresh, S3Signer.EmptyHash, day);
            Assert.Equal(fresh.Headers.GetValues("Authorization").Single(), reused.Headers.GetValues("Authorization").Single());
        }
    }

    [Fact]
    public async Task Session_token_sse_and_object_lock_headers_are_sent_and_signed()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var head = Task.Run(() => RecordOneRequest(listener));
        var endpoint = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");
        var options = S3WriteOptions.Parse("aws:kms", "arn:aws:kms:eu-central-1:111122223333:key/k1", "2033-12-01", "compliance",
            new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        using (var client = new S3Client(endpoint, "eu-central-1", Example with { SessionToken = "token/with+chars=" }, new S3RetryPolicy(1, TimeSpan.Zero, TimeSpan.Zero)))
            Assert.Equal("u-1", client.CreateMultipartUpload("bkt", "a/part-00001.phi", options));
        var received = await head;
        var lines = received.Split("\r\n").Select(l => l.Split(':', 2)).Where(p => p.Length == 2)
            .ToDictionary(p => p[0].Trim().ToLowerInvariant(), p => p[1].Trim());
        Assert.StartsWith("POST /bkt/a/part-00001.phi?uploads ", received);
        Assert.Equal("token/with+chars=", lines["x-amz-security-token"]);
        Assert.Equal("aws:kms", lines["x-amz-server-side-encryption"]);
        Assert.Equal("arn:aws:kms:eu-central-1:111122223333:key/k1", lines["x-amz-server-side-encryption-aws-kms-key-id"]);
        Assert.Equal("COMPLIANCE", lines["x-amz-object-lock-mode"]);
        Assert.Equal("2033-12-01T00:00:00Z", lines["x-amz-object-lock-retain-until-date"]);
        Assert.Contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-object-lock-mode;x-amz-object-lock-retain-until-date;"
            + "x-amz-security-token;x-amz-server-side-encryption;x-amz-server-side-encryption-aws-kms-key-id,", lines["authorization"]);
    }

    [Fact]
    public void Backoff_grows_exponentially_with_jitter_under_a_cap()
    {
        var policy = new S3RetryPolicy(5, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(350));
        var delays = Enumerable.Range(0, 200).Select(_ => policy.Delay(3)).ToArray();
        Assert.All(delays, d => Assert.InRange(d.TotalMilliseconds, 0, 350));   // 100 * 2^2 = 400, capped at 350
        Assert.True(delays.Distinct().Count() > 100, "jitter: the delays differ");
        Assert.All(Enumerable.Range(0, 200).Select(_ => policy.Delay(1)), d => Assert.InRange(d.TotalMilliseconds, 0, 100));
    }

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError, "InternalError", true)]
    [InlineData(HttpStatusCode.ServiceUnavailable, "SlowDown", true)]
    [InlineData(HttpStatusCode.TooManyRequests, "", true)]
    [InlineData(HttpStatusCode.OK, "InternalError", true)]   // CompleteMultipartUpload's late error
    [InlineData(HttpStatusCode.Forbidden, "AccessDenied", false)]
    [InlineData(HttpStatusCode.NotImplemented, "NotImplemented", false)]   // e.g. SSE on a store without it
    [InlineData(HttpStatusCode.BadRequest, "InvalidRequest", false)]
    public void Retries_server_errors_and_throttling_not_refusals(HttpStatusCode status, string code, bool retry) =>
        Assert.Equal(retry, S3RetryPolicy.IsRetryable(status, code));

    private static string RecordOneRequest(TcpListener listener)
    {
        using var client = listener.AcceptTcpClient();
        var stream = client.GetStream();
        var received = new StringBuilder();
        var buffer = new byte[8192];
        while (!received.ToString().Contains("\r\n\r\n")) received.Append(Encoding.ASCII.GetString(buffer, 0, stream.Read(buffer)));
        const string body = "<InitiateMultipartUploadResult><UploadId>u-1</UploadId></InitiateMultipartUploadResult>";
        stream.Write(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"));
        return received.ToString();
    }
}

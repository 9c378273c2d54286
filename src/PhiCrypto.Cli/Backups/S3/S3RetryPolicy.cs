// When to try an S3 request again and how long to wait: AWS's "standard" retry mode. Server errors
// (5xx but 501 Not Implemented), throttling (429, 503 SlowDown) and network failures are retried, up to AWS_MAX_ATTEMPTS
// attempts in all (default 5, as the AWS CLI and SDKs read it), with exponential backoff and full
// jitter (so many backup hosts failing together do not retry in step).
using System.Net;

namespace PhiCrypto.Cli.Backups.S3;

internal sealed class S3RetryPolicy(int maxAttempts, TimeSpan baseDelay, TimeSpan maxDelay)
{
    public const int DefaultAttempts = 5;
    public int MaxAttempts => maxAttempts;

    public static S3RetryPolicy FromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable("AWS_MAX_ATTEMPTS");
        int attempts = DefaultAttempts;
        if (text is { Length: > 0 } && (!int.TryParse(text, out attempts) || attempts < 1 || attempts > 20))
            throw new UsageException($"AWS_MAX_ATTEMPTS is '{text}': give a whole number from 1 to 20, or unset it for {DefaultAttempts}");
        return new S3RetryPolicy(attempts, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(20));
    }

    /// <summary>The wait before attempt <paramref name="failed"/> + 1: uniform in [0, min(max, base * 2^(failed-1))].</summary>
    public TimeSpan Delay(int failed)
    {
        double cap = Math.Min(maxDelay.TotalMilliseconds, baseDelay.TotalMilliseconds * Math.Pow(2, failed - 1));
        return TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * cap);
    }

    /// <summary>A response worth another attempt: the store failed or asked us to slow down, not a refusal.</summary>
    public static bool IsRetryable(HttpStatusCode status, string code) =>
        ((int)status >= 500 && status != HttpStatusCode.NotImplemented) || status == HttpStatusCode.TooManyRequests
        || code is "SlowDown" or "Throttling" or "ThrottlingException" or "RequestTimeout" or "InternalError";
}

// What `phicrypt backup` asks of the store for every object it writes: server-side encryption (on top
// of the client-side encryption, for buckets whose policy demands it) and Object Lock retention (WORM:
// nobody, in compliance mode not even the account root, can delete or overwrite the backup before the
// date). The headers go on PutObject and CreateMultipartUpload; S3 applies them to the finished object.
using System.Globalization;

namespace PhiCrypto.Cli.Backups.S3;

internal sealed record S3WriteOptions(string? Sse, string? KmsKeyId, string? RetainMode, DateTimeOffset? RetainUntil)
{
    public static readonly S3WriteOptions None = new(null, null, null, null);
    public bool IsEmpty => this == None;

    /// <summary>--s3-sse, --s3-sse-kms-key-id, --retain-until, --retain-mode as given (null when absent).</summary>
    public static S3WriteOptions Parse(string? sse, string? kmsKeyId, string? retainUntil, string? retainMode, DateTimeOffset now)
    {
        if (sse is not (null or "AES256" or "aws:kms" or "aws:kms:dsse"))
            throw new UsageException($"--s3-sse is '{sse}': give AES256, aws:kms or aws:kms:dsse");
        if (kmsKeyId is not null && sse is not ("aws:kms" or "aws:kms:dsse"))
            throw new UsageException("--s3-sse-kms-key-id needs --s3-sse aws:kms (or aws:kms:dsse)");
        if (retainMode is not null && retainUntil is null)
            throw new UsageException("--retain-mode needs --retain-until DATE");
        string? mode = retainMode?.ToUpperInvariant() ?? (retainUntil is null ? null : "GOVERNANCE");
        if (mode is not (null or "GOVERNANCE" or "COMPLIANCE"))
            throw new UsageException($"--retain-mode is '{retainMode}': give governance or compliance");
        DateTimeOffset? until = retainUntil is null ? null : ParseDate(retainUntil, now);
        return new S3WriteOptions(sse, kmsKeyId, mode, until);
    }

    /// <summary>A date (2033-12-01, midnight UTC) or an ISO 8601 time with its offset; must lie ahead.</summary>
    private static DateTimeOffset ParseDate(string text, DateTimeOffset now)
    {
        var styles = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal;
        if (!DateTimeOffset.TryParseExact(text, ["yyyy-MM-dd", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"],
                CultureInfo.InvariantCulture, styles, out var date))
            throw new UsageException($"--retain-until is '{text}': give a date such as 2033-12-01 (UTC), e.g. \"$(date -u -d '+7 years' +%F)\"");
        if (date <= now) throw new UsageException($"--retain-until {text} is not in the future: give the date the backup must be kept until");
        return date.ToUniversalTime();
    }

    /// <summary>The request headers for PutObject and CreateMultipartUpload.</summary>
    public IEnumerable<(string Name, string Value)> Headers()
    {
        if (Sse is not null) yield return ("x-amz-server-side-encryption", Sse);
        if (KmsKeyId is not null) yield return ("x-amz-server-side-encryption-aws-kms-key-id", KmsKeyId);
        if (RetainUntil is { } until)
        {
            yield return ("x-amz-object-lock-mode", RetainMode!);
            yield return ("x-amz-object-lock-retain-until-date", until.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        }
    }
}

// Backup parts as S3 objects, each a multipart upload (MultipartUploadStream). The manifest object is
// put last, after every part completed. Abort aborts unfinished uploads and deletes completed part
// objects (after the parts in flight end), so a failed backup leaves no object and no multipart upload behind (under Object Lock a
// completed part's locked version stays until its date, hidden behind a delete marker: S3 allows no less).
using System.Collections.Concurrent;

namespace PhiCrypto.Cli.Backups.S3;

internal sealed class S3PartStore : PartStore
{
    private readonly S3Client _client;
    private readonly string _bucket, _prefix;
    private readonly S3WriteOptions _options;
    private readonly ConcurrentQueue<string> _completed = new();
    private readonly ConcurrentDictionary<string, string> _pending = new();   // key -> upload id
    private readonly ConcurrentDictionary<string, MultipartUploadStream> _open = new();

    /// <summary>For writing, a prefix that already holds a manifest is refused here, before pg_dump starts
    /// (and before the parallel part writers of --jobs, which would each have to ask).</summary>
    public S3PartStore(S3Client client, string bucket, string prefix, S3WriteOptions options, bool forWriting)
    {
        (_client, _bucket, _prefix, _options) = (client, bucket, prefix, options);
        if (forWriting && client.HeadObject(bucket, Key(ManifestName)) >= 0)
            throw new UsageException($"{Location}/manifest.json exists: refusing to overwrite a backup; choose another prefix");
    }

    private string Key(string name) => _prefix.Length == 0 ? name : _prefix + "/" + name;
    public override string Location => $"s3://{_bucket}/{_prefix}";
    public override string PartName(int index, bool split) => $"part-{index:D5}.phi";

    /// <summary>Every object under the prefix, by its name below it (ListObjectsV2).</summary>
    public override IReadOnlyCollection<string>? ListParts()
    {
        string under = _prefix.Length == 0 ? "" : _prefix + "/";
        return _client.ListObjects(_bucket, under).Select(k => k[under.Length..]).Where(n => n != ManifestName).ToList();
    }

    public override Stream CreatePart(string name)
    {
        var key = Key(name);
        var uploadId = _client.CreateMultipartUpload(_bucket, key, _options);
        _pending[key] = uploadId;
        var stream = new MultipartUploadStream(_client, _bucket, key, uploadId, () =>
        {
            _pending.TryRemove(key, out _);
            _open.TryRemove(key, out _);
            _completed.Enqueue(key);
            CheckRetention(key);
        });
        _open[key] = stream;
        return stream;
    }

    /// <summary>Some stores (Swift's s3api among them) accept Object Lock headers and ignore them: a backup
    /// that should be locked for years must not pass as locked when it is not.</summary>
    private void CheckRetention(string key)
    {
        if (_options.RetainUntil is null) return;
        var (mode, until) = _client.ObjectLock(_bucket, key);
        if (!string.Equals(mode, _options.RetainMode, StringComparison.OrdinalIgnoreCase) || until is null
            || !DateTimeOffset.TryParse(until, System.Globalization.CultureInfo.InvariantCulture, out var date) || date < _options.RetainUntil)
            throw new BackupFailedException($"the store accepted --retain-until but did not lock s3://{_bucket}/{key} " +
                $"(it reports mode '{mode ?? "none"}', retain until '{until ?? "none"}'): use a bucket with S3 Object Lock enabled " +
                "on a store that supports it; nothing of this backup was kept");
    }

    public override void Commit(byte[] manifest)
    {
        if (!_pending.IsEmpty) throw new InvalidOperationException("a part upload is unfinished");
        _client.PutObject(_bucket, Key(ManifestName), manifest, _options);
        _completed.Enqueue(Key(ManifestName));
        CheckRetention(Key(ManifestName));
    }

    public override void Abort()
    {
        foreach (var stream in _open.Values) stream.Cancel();   // no part still arriving after the abort
        foreach (var (key, id) in _pending) Try(() => _client.AbortMultipartUpload(_bucket, key, id));
        foreach (var key in _completed) Try(() => _client.DeleteObject(_bucket, key));
    }

    /// <summary>Cleanup is best effort (the _client already retried): the original failure is what the user sees.</summary>
    private static void Try(Action a)
    {
        try { a(); } catch (PhiCryptoException) { }
    }

    public override byte[] ReadManifest()
    {
        if (_client.HeadObject(_bucket, Key(ManifestName)) < 0)
            throw new BackupFailedException($"no manifest at {Location}/manifest.json: not a complete backup; check the s3:// location");
        return _client.GetObjectBytes(_bucket, Key(ManifestName));
    }

    public override long PartLength(string name) => _client.HeadObject(_bucket, Key(name));
    public override Stream OpenPart(string name) => _client.GetObject(_bucket, Key(name));
    public override void Dispose() => _client.Dispose();
}

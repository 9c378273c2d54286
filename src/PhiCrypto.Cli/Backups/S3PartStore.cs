// Backup parts as S3 objects, each a multipart upload. Upload parts are 16 MiB (S3 needs >= 5 MiB
// except the last) and at most 3 are in flight: 64 MiB of buffers whatever the backup size.
// A part's upload is completed when its stream is disposed; the manifest object is put last, after
// every part completed. Abort aborts unfinished uploads and deletes completed part objects.
using System.Collections.Concurrent;
using PhiCrypto.IO;

namespace PhiCrypto.Cli.Backups;

internal sealed class S3PartStore(S3Client client, string bucket, string prefix) : PartStore
{
    private readonly List<string> _completed = [];
    private readonly ConcurrentDictionary<string, string> _pending = new();   // key -> upload id

    private string Key(string name) => prefix.Length == 0 ? name : prefix + "/" + name;
    public override string Location => $"s3://{bucket}/{prefix}";
    public override string PartName(int index, bool split) => $"part-{index:D5}.phi";

    public override Stream CreatePart(string name)
    {
        if (_completed.Count == 0 && _pending.IsEmpty && client.HeadObject(bucket, Key("manifest.json")) >= 0)
            throw new UsageException($"{Location}/manifest.json exists: refusing to overwrite a backup");
        var key = Key(name);
        var uploadId = client.CreateMultipartUpload(bucket, key);
        _pending[key] = uploadId;
        return new MultipartUploadStream(client, bucket, key, uploadId, () => { _pending.TryRemove(key, out _); _completed.Add(key); });
    }

    public override void Commit(byte[] manifest)
    {
        if (!_pending.IsEmpty) throw new InvalidOperationException("a part upload is unfinished");
        client.PutObject(bucket, Key("manifest.json"), manifest);
    }

    public override void Abort()
    {
        foreach (var (key, id) in _pending) Try(() => client.AbortMultipartUpload(bucket, key, id));
        foreach (var key in _completed) Try(() => client.DeleteObject(bucket, key));
    }

    private static void Try(Action a)
    {
        try { a(); } catch (Exception e) when (e is BackupFailedException or HttpRequestException or IOException) { }
    }

    public override byte[] ReadManifest()
    {
        if (client.HeadObject(bucket, Key("manifest.json")) < 0)
            throw new BackupFailedException($"no manifest at {Location}/manifest.json: not a complete backup");
        return client.GetObjectBytes(bucket, Key("manifest.json"));
    }

    public override long PartLength(string name) => client.HeadObject(bucket, Key(name));
    public override Stream OpenPart(string name) => client.GetObject(bucket, Key(name));
    public override void Dispose() => client.Dispose();
}

/// <summary>Buffers writes into upload parts and sends them on the thread pool, a bounded number at a time.</summary>
internal sealed class MultipartUploadStream(S3Client client, string bucket, string key, string uploadId, Action onComplete) : WriteOnlyStream
{
    public const int PartSize = 16 << 20;
    private const int InFlight = 3;
    private readonly SemaphoreSlim _slots = new(InFlight);
    private readonly List<Task<(int, string)>> _uploads = [];
    private byte[] _buffer = new byte[PartSize];
    private int _filled, _number;
    private bool _done;

    public override void Write(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            int n = Math.Min(data.Length, PartSize - _filled);
            data[..n].CopyTo(_buffer.AsSpan(_filled));
            _filled += n;
            data = data[n..];
            if (_filled == PartSize) Send();
        }
    }

    private void Send()
    {
        ThrowIfFailed();
        _slots.Wait();
        var body = _buffer.AsMemory(0, _filled);
        int number = ++_number;
        _uploads.Add(Task.Run(() =>
        {
            try { return (number, client.UploadPart(bucket, key, uploadId, number, body)); }
            finally { _slots.Release(); }
        }));
        _buffer = new byte[PartSize];   // the old buffer belongs to the upload until it ends
        _filled = 0;
    }

    private void ThrowIfFailed()
    {
        var failed = _uploads.FirstOrDefault(t => t.IsFaulted);
        if (failed is not null) throw failed.Exception!.InnerException!;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_done)
        {
            _done = true;
            if (_filled > 0 || _number == 0) Send();
            var parts = Task.WhenAll(_uploads).GetAwaiter().GetResult();
            client.CompleteMultipartUpload(bucket, key, uploadId, parts);
            onComplete();
        }
        base.Dispose(disposing);
    }

    public override bool CanWrite => !_done;
}

// One backup part as an S3 multipart upload. Upload parts are 16 MiB (S3 needs >= 5 MiB except the
// last) and at most 3 are in flight: 64 MiB of buffers whatever the backup size. Each upload part is
// retried on its own by the client; when one still fails, the stream waits for the others in flight
// before it throws, so the store's abort that follows finds no part still arriving.
using PhiCrypto.IO;

namespace PhiCrypto.Cli.Backups.S3;

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
        var upload = Task.Run(() =>
        {
            try { return (number, client.UploadPart(bucket, key, uploadId, number, body)); }
            finally { _slots.Release(); }
        });
        lock (_uploads) _uploads.Add(upload);
        _buffer = new byte[PartSize];   // the old buffer belongs to the upload until it ends
        _filled = 0;
    }

    private void ThrowIfFailed()
    {
        if (!_uploads.Any(t => t.IsFaulted)) return;
        _done = true;
        WaitForAll().GetAwaiter().GetResult();
    }

    /// <summary>Every upload's result once all have ended; the first failure's exception otherwise.</summary>
    private async Task<(int, string)[]> WaitForAll()
    {
        try { await Task.WhenAll(_uploads).ConfigureAwait(false); }
        catch (Exception) { throw _uploads.First(t => t.IsFaulted).Exception!.InnerException!; }
        return [.. _uploads.Select(t => t.Result)];
    }

    /// <summary>For the store's abort: no part starts any more and those in flight end first, since a part
    /// that lands after AbortMultipartUpload keeps its storage until the upload is aborted again.</summary>
    public void Cancel()
    {
        _done = true;
        Task[] inFlight;
        lock (_uploads) inFlight = [.. _uploads];
        try { Task.WaitAll(inFlight); }
        catch (AggregateException) { }   // the failure that led to the abort is reported by the backup
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_done)
        {
            _done = true;
            if (_filled > 0 || _number == 0) Send();
            var parts = WaitForAll().GetAwaiter().GetResult();
            client.CompleteMultipartUpload(bucket, key, uploadId, parts);
            onComplete();
        }
        base.Dispose(disposing);
    }

    public override bool CanWrite => !_done;
}

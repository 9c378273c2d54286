// Compresses a plaintext stream into the zstd seekable format (SeekTable.cs) as it is read: every
// FrameSize bytes of input become one independent zstd frame (ZstdSharp.Port, content size recorded),
// and the seek table frame follows the last one. Up to `parallelism` frames are compressed at once,
// each by its own compressor, so the encoder keeps the pipeline's workers busy; memory is
// parallelism x (frame + compress bound). Empty input gives a stream of just the seek table.
using System.Buffers;
using System.Security.Cryptography;
using PhiCrypto.IO;

namespace PhiCrypto.Compression;

/// <summary>A read-only stream: the seekable zstd compression of <c>input</c>.</summary>
public sealed class SeekableZstdEncoder : ReadOnlyStream
{
    private readonly Stream _input;
    private readonly int _frameSize;
    private readonly Batch[] _batch;
    private readonly List<(int Compressed, int Decompressed)> _entries = [];
    private int _ready, _current, _offset;
    private byte[]? _table;
    private int _tableOffset;
    private bool _inputDone;

    public SeekableZstdEncoder(Stream input, int frameSize, int level = ContentEncoding.DefaultLevel, int parallelism = 0)
    {
        ContentEncoding.CheckFrameSize(frameSize);
        _input = input;
        _frameSize = frameSize;
        int lanes = Math.Clamp(parallelism > 0 ? parallelism : Environment.ProcessorCount, 1, 8);
        _batch = new Batch[lanes];
        for (int i = 0; i < lanes; i++) _batch[i] = new Batch(frameSize, level);
    }

    /// <summary>Plaintext bytes read from the input so far.</summary>
    public long PlaintextLength { get; private set; }

    public override int Read(Span<byte> buffer)
    {
        while (true)
        {
            if (_current < _ready)
            {
                var compressed = _batch[_current].Compressor.Compressed;
                int n = Math.Min(buffer.Length, compressed.Length - _offset);
                compressed.Slice(_offset, n).CopyTo(buffer);
                _offset += n;
                if (_offset == compressed.Length) { _current++; _offset = 0; }
                return n;
            }
            if (!_inputDone) { FillBatch(); continue; }
            _table ??= SeekTable.Serialize(_entries);
            int t = Math.Min(buffer.Length, _table.Length - _tableOffset);
            _table.AsSpan(_tableOffset, t).CopyTo(buffer);
            _tableOffset += t;
            return t;
        }
    }

    // Reads up to one frame per lane, then compresses the lanes in parallel.
    private void FillBatch()
    {
        _ready = _current = _offset = 0;
        while (_ready < _batch.Length)
        {
            var lane = _batch[_ready];
            lane.InLength = _input.ReadAtLeast(lane.In.AsSpan(0, _frameSize), _frameSize, throwOnEndOfStream: false);
            if (lane.InLength == 0) { _inputDone = true; break; }
            PlaintextLength += lane.InLength;
            _ready++;
            if (lane.InLength < _frameSize) { _inputDone = true; break; }
        }
        Parallel.For(0, _ready, i => _batch[i].Compress());
        for (int i = 0; i < _ready; i++) _entries.Add(_batch[i].Entry);
    }

    private sealed class Batch(int frameSize, int level)
    {
        public readonly FrameCompressor Compressor = new(frameSize, level);
        public readonly byte[] In = ArrayPool<byte>.Shared.Rent(frameSize);
        public int InLength;
        public (int Compressed, int Decompressed) Entry;

        public void Compress() => Entry = Compressor.Compress(In.AsSpan(0, InLength));

        public void Release()
        {
            Compressor.Dispose();
            CryptographicOperations.ZeroMemory(In);    // plaintext: zero before the pool reuses it
            ArrayPool<byte>.Shared.Return(In);
        }
    }

    private bool _disposed;

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            foreach (var lane in _batch) lane.Release();
        }
        base.Dispose(disposing);
    }
}

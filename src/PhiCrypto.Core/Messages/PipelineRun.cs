// The machinery under MessagePipeline: a ring of slots, a bounded work queue, one reader thread, worker
// threads and the first failure. A slot carries a block of consecutive frames (about 1 MiB), so threads hand
// off once per block rather than per frame, and each block is read with one read and written with one write.
using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;

namespace PhiCrypto.Messages;

/// <summary>Sizing of the parallel pipeline.</summary>
public sealed class PipelineOptions
{
    public int Workers { get; init; } = Environment.ProcessorCount;
    public int QueueDepth { get; init; } = 2;
    /// <summary>Upper bound on block buffers held at once, in bytes.</summary>
    public long MemoryBudget { get; init; } = 32L * 1024 * 1024;
    /// <summary>Least plaintext per block (whole frames): one read, one hand-off to a worker and one write each.</summary>
    public int BlockBytes { get; init; } = 1024 * 1024;

    /// <summary>Largest BlockBytes: a block's buffers are sized in ints, frame overheads included.</summary>
    public const int MaxBlockBytes = 256 * 1024 * 1024;

    internal void Validate()
    {
        if (Workers < 1 || QueueDepth < 1 || MemoryBudget < 1 || BlockBytes < 1) throw new ArgumentException("pipeline sizes must be positive");
        if (BlockBytes > MaxBlockBytes) throw new ArgumentException($"pipeline block size is at most {MaxBlockBytes} bytes");
    }

    /// <summary>Frames of <paramref name="readBytes"/> each (plaintext to encrypt, or serialized frames to decrypt,
    /// whose overhead keeps tiny frames of a hostile header from multiplying memory) that make a read of at least
    /// BlockBytes, so a file read of a block bypasses a FileStream buffer of up to that size.</summary>
    internal int FramesPerBlock(int readBytes) => (int)Math.Max(1, (BlockBytes + (long)readBytes - 1) / readBytes);

    // One slot more than the workers' queue: the encrypting reader holds one block back as its look-ahead.
    internal int Slots(long slotBytes) => (int)Math.Max(2, Math.Min((long)Workers * QueueDepth + 1, MemoryBudget / slotBytes));
}

/// <summary>One block of frames: its input bytes, its output bytes and where its frames lie.</summary>
internal sealed class PipelineSlot(int frames, int capacity)
{
    private byte[]? _in, _out;
    public readonly SemaphoreSlim Free = new(1, 1);
    public readonly SemaphoreSlim Ready = new(0, 1);
    public readonly FrameInfo[] Frames = new FrameInfo[frames];
    public readonly int[] Bodies = new int[frames];
    public uint FirstSequence;
    public int Count;
    public bool Final;
    public int InLength, OutLength;

    // Rented on first use: a short input touches one or two slots only.
    public byte[] In => _in ??= ArrayPool<byte>.Shared.Rent(capacity);
    public byte[] Out => _out ??= ArrayPool<byte>.Shared.Rent(capacity);

    /// <summary>Zeroes what a block may have held (plaintext lives in one of the buffers) and returns the buffers.</summary>
    public void Release()
    {
        foreach (var buffer in new[] { _in, _out })
        {
            if (buffer is null) continue;
            CryptographicOperations.ZeroMemory(buffer.AsSpan(0, capacity));
            ArrayPool<byte>.Shared.Return(buffer);
        }
        _in = _out = null;
    }
}

/// <summary>The ring of slots, the work queue, the threads and the first failure.</summary>
internal sealed class PipelineRun : IDisposable
{
    private readonly PipelineSlot[] _slots;
    private readonly BlockingCollection<PipelineSlot> _work;
    private readonly CancellationTokenSource _cancel = new();
    private readonly int _workers;
    private Task _producer = Task.CompletedTask;
    private Task[] _workerTasks = [];
    private Exception? _failure;

    /// <summary><paramref name="options"/> were validated at the public boundary (MessagePipeline), before any output.</summary>
    public PipelineRun(int framesPerBlock, int slotCapacity, PipelineOptions options)
    {
        Debug.Assert(options.Workers >= 1 && options.QueueDepth >= 1 && options.MemoryBudget >= 1 && options.BlockBytes is >= 1 and <= PipelineOptions.MaxBlockBytes);
        int count = options.Slots(2L * slotCapacity);
        _slots = new PipelineSlot[count];
        for (int i = 0; i < count; i++) _slots[i] = new PipelineSlot(framesPerBlock, slotCapacity);
        _work = new BlockingCollection<PipelineSlot>(count);
        _workers = options.Workers;
    }

    public void Start(Action produce, Action<PipelineSlot> process)
    {
        _producer = Task.Factory.StartNew(() => Guard(() => { try { produce(); } finally { _work.CompleteAdding(); } }),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        _workerTasks = new Task[_workers];
        for (int i = 0; i < _workers; i++)
            _workerTasks[i] = Task.Factory.StartNew(() => Guard(() =>
            {
                foreach (var slot in _work.GetConsumingEnumerable(_cancel.Token)) { process(slot); slot.Ready.Release(); }
            }), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>The slot for block number <paramref name="block"/> (0, 1, ...), once the writer is done with it.</summary>
    public PipelineSlot Acquire(long block)
    {
        var slot = _slots[block % _slots.Length];
        slot.Free.Wait(_cancel.Token);
        return slot;
    }

    public void ReturnUnused(PipelineSlot slot) => slot.Free.Release();

    public void Dispatch(PipelineSlot slot, uint firstSequence, int count, bool final)
    {
        slot.FirstSequence = firstSequence;
        slot.Count = count;
        slot.Final = final;
        _work.Add(slot, _cancel.Token);
    }

    /// <summary>Hands processed slots to <paramref name="write"/> in block order, on the calling thread.</summary>
    public void Consume(Action<PipelineSlot> write)
    {
        try
        {
            for (long block = 0; ; block++)
            {
                var slot = _slots[block % _slots.Length];
                slot.Ready.Wait(_cancel.Token);
                write(slot);
                if (slot.Final) break;
                slot.Free.Release();
            }
            WaitForProducer();
        }
        catch (OperationCanceledException) when (_failure is not null) { }
        catch (Exception e) { Fail(e); }
        if (_failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_failure);
    }

    public void WaitForProducer()
    {
        try { _producer.Wait(_cancel.Token); }
        catch (OperationCanceledException) when (_failure is not null) { System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_failure); }
        if (_failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_failure);
    }

    private void Guard(Action body)
    {
        try { body(); }
        catch (OperationCanceledException) when (_cancel.IsCancellationRequested) { }
        catch (Exception e) { Fail(e); }
    }

    private void Fail(Exception e)
    {
        Interlocked.CompareExchange(ref _failure, e, null);
        _cancel.Cancel();
    }

    public void Dispose()
    {
        _cancel.Cancel();
        try { Task.WaitAll([_producer, .. _workerTasks]); } catch (AggregateException) { }
        foreach (var s in _slots) s.Release();
        _work.Dispose();
        _cancel.Dispose();
    }
}

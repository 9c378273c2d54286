// Parallel encryption and decryption of whole streams. One reader thread parses input into a ring of
// slots (frames read in order, so sequence checks and the signature hash stay sequential), worker threads
// encrypt or decrypt slots in any order, and the calling thread writes slots out strictly in order.
// Memory: slots x (frame length + 40) x 2, slots = min(workers x queue depth, budget / frame) and >= 2,
// whatever the input size. A decrypted slot is written only after its tag verified; the final frame only
// after the footer signature verified and no trailing byte was found.
using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace PhiCrypto.Messages;

/// <summary>Sizing of the parallel pipeline.</summary>
public sealed class PipelineOptions
{
    public int Workers { get; init; } = Environment.ProcessorCount;
    public int QueueDepth { get; init; } = 4;
    /// <summary>Upper bound on frame buffers held at once, in bytes.</summary>
    public long MemoryBudget { get; init; } = 32L * 1024 * 1024;

    internal int Slots(int frameBytes)
    {
        if (Workers < 1 || QueueDepth < 1 || MemoryBudget < 1) throw new ArgumentException("pipeline sizes must be positive");
        long byBudget = MemoryBudget / (2L * frameBytes);
        return (int)Math.Max(2, Math.Min((long)Workers * QueueDepth, byBudget));
    }
}

/// <summary>Encrypts or decrypts a whole stream with parallel workers.</summary>
public static class MessagePipeline
{
    /// <summary>Encrypts all of <paramref name="input"/> into a message on <paramref name="output"/>; returns the plaintext length.</summary>
    public static long Encrypt(Stream input, Stream output, MessageEncryptOptions options, PipelineOptions? pipeline = null, IProgress<long>? progress = null)
    {
        using var encryptor = MessageEncryptor.Create(options);
        Write(output, encryptor.Header, encryptor);
        using var run = new Run(encryptor.FrameLength + FrameCipher.FinalOverhead, pipeline ?? new PipelineOptions());
        run.Start(() => ProduceForEncrypt(input, encryptor.FrameLength, run), slot =>
        {
            slot.OutLength = encryptor.EncryptFrame(slot.Sequence, slot.Final, slot.In.AsSpan(0, slot.InLength), slot.Out);
        });
        long total = 0;
        run.Consume(slot =>
        {
            Write(output, slot.Out.AsSpan(0, slot.OutLength), encryptor);
            total += slot.InLength;
            progress?.Report(total);
        });
        Write(output, encryptor.BuildFooter(), encryptor);
        output.Flush();
        return total;
    }

    /// <summary>Decrypts the message on <paramref name="input"/> to <paramref name="output"/>; returns its authenticated header.</summary>
    public static MessageHeader Decrypt(Stream input, Stream output, MessageDecryptOptions options, PipelineOptions? pipeline = null, IProgress<long>? progress = null) =>
        Decrypt(input, _ => output, options, pipeline, progress);

    /// <summary>As above, writing to the stream <paramref name="outputFor"/> picks once the authenticated header is read.</summary>
    public static MessageHeader Decrypt(Stream input, Func<MessageHeader, Stream> outputFor, MessageDecryptOptions options, PipelineOptions? pipeline = null, IProgress<long>? progress = null)
    {
        if (!options.VerifySignatureFirst) return DecryptCore(input, outputFor, options, pipeline, progress);
        var verified = MessageSpool.VerifiedFirst(input, options);
        try { return DecryptCore(verified, outputFor, options, pipeline, progress); }
        finally { if (!ReferenceEquals(verified, input)) verified.Dispose(); }
    }

    private static MessageHeader DecryptCore(Stream input, Func<MessageHeader, Stream> outputFor, MessageDecryptOptions options, PipelineOptions? pipeline, IProgress<long>? progress)
    {
        using var decryptor = MessageDecryptor.Open(input, options);
        var output = outputFor(decryptor.Header);
        if (decryptor.Header.ContentType == ContentType.NonFramed)
        {
            var body = decryptor.ReadNonFramedBody(input, options.MaxNonFramedLength);
            decryptor.Finish(input);
            output.Write(body);
            CryptographicOperations.ZeroMemory(body);
            return decryptor.Header;
        }
        using var run = new Run(decryptor.FrameLength + FrameCipher.FinalOverhead, pipeline ?? new PipelineOptions());
        run.Start(() => ProduceForDecrypt(input, decryptor, run), slot =>
        {
            decryptor.DecryptFrame(slot.Frame, slot.In, slot.Out);
            slot.OutLength = slot.Frame.ContentLength;
        });
        long total = 0;
        run.Consume(slot =>
        {
            if (slot.Final) run.WaitForProducer();   // footer verified, no trailing data
            output.Write(slot.Out.AsSpan(0, slot.OutLength));
            total += slot.OutLength;
            progress?.Report(total);
        });
        output.Flush();
        return decryptor.Header;
    }

    private static void Write(Stream output, ReadOnlySpan<byte> bytes, MessageEncryptor encryptor)
    {
        encryptor.AppendToSignature(bytes);
        output.Write(bytes);
    }

    // Reads one chunk ahead so a chunk is known to be final before it is dispatched.
    private static void ProduceForEncrypt(Stream input, int frameLength, Run run)
    {
        uint sequence = 1;
        var pending = run.Acquire(sequence);
        pending.InLength = input.ReadAtLeast(pending.In.AsSpan(0, frameLength), frameLength, throwOnEndOfStream: false);
        while (pending.InLength == frameLength)
        {
            if (sequence == uint.MaxValue) throw new InvalidOperationException("a message holds at most 2^32 - 1 frames");
            var next = run.Acquire(sequence + 1);
            next.InLength = input.ReadAtLeast(next.In.AsSpan(0, frameLength), frameLength, throwOnEndOfStream: false);
            if (next.InLength == 0) { run.ReturnUnused(next); break; }
            run.Dispatch(pending, sequence++, final: false);
            pending = next;
        }
        run.Dispatch(pending, sequence, final: true);
    }

    private static void ProduceForDecrypt(Stream input, MessageDecryptor decryptor, Run run)
    {
        for (uint sequence = 1; ; sequence++)
        {
            var slot = run.Acquire(sequence);
            slot.Frame = decryptor.ReadFrame(input, sequence, slot.In);
            run.Dispatch(slot, sequence, slot.Frame.Final);
            if (slot.Frame.Final) { decryptor.Finish(input); return; }
        }
    }

    private sealed class Slot(int size)
    {
        public readonly byte[] In = ArrayPool<byte>.Shared.Rent(size);
        public readonly byte[] Out = ArrayPool<byte>.Shared.Rent(size);
        public readonly SemaphoreSlim Free = new(1, 1);
        public readonly SemaphoreSlim Ready = new(0, 1);
        public uint Sequence;
        public bool Final;
        public int InLength, OutLength;
        public FrameInfo Frame;
    }

    /// <summary>The ring of slots, the work queue, the threads and the first failure.</summary>
    private sealed class Run : IDisposable
    {
        private readonly Slot[] _slots;
        private readonly BlockingCollection<Slot> _work;
        private readonly CancellationTokenSource _cancel = new();
        private readonly int _workers;
        private Task _producer = Task.CompletedTask;
        private Task[] _workerTasks = [];
        private Exception? _failure;

        public Run(int frameBytes, PipelineOptions options)
        {
            int count = options.Slots(frameBytes);
            _slots = new Slot[count];
            for (int i = 0; i < count; i++) _slots[i] = new Slot(frameBytes);
            _work = new BlockingCollection<Slot>(count);
            _workers = Math.Max(1, options.Workers);
        }

        public void Start(Action produce, Action<Slot> process)
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

        public Slot Acquire(uint sequence)
        {
            var slot = _slots[(sequence - 1) % (uint)_slots.Length];
            slot.Free.Wait(_cancel.Token);
            return slot;
        }

        public void ReturnUnused(Slot slot) => slot.Free.Release();

        public void Dispatch(Slot slot, uint sequence, bool final)
        {
            slot.Sequence = sequence;
            slot.Final = final;
            _work.Add(slot, _cancel.Token);
        }

        /// <summary>Hands verified slots to <paramref name="write"/> in sequence order, on the calling thread.</summary>
        public void Consume(Action<Slot> write)
        {
            try
            {
                for (uint sequence = 1; ; sequence++)
                {
                    var slot = _slots[(sequence - 1) % (uint)_slots.Length];
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
            foreach (var s in _slots)      // plaintext lived in these pooled buffers: zero before returning them
            {
                CryptographicOperations.ZeroMemory(s.In);
                CryptographicOperations.ZeroMemory(s.Out);
                ArrayPool<byte>.Shared.Return(s.In);
                ArrayPool<byte>.Shared.Return(s.Out);
            }
            _work.Dispose();
            _cancel.Dispose();
        }
    }
}

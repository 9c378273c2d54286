// Parallel encryption and decryption of whole streams. One reader thread reads input into a ring of slots,
// a block of consecutive frames per slot with one read straight into the slot (frames parsed in order, so
// sequence checks and the signature hash stay sequential); worker threads encrypt or decrypt blocks in any
// order, each frame from the slot's input buffer into its place in the output buffer; the calling thread
// writes each block strictly in order with one write. No byte is copied between read, cipher and write.
// Memory: slots x 2 x (block + frame overheads), slots = min(workers x queue depth, budget / slot) and >= 2,
// whatever the input size. A decrypted block is written only after all its tags verified; the final block
// only after the footer signature verified and no trailing byte was found.
using System.Security.Cryptography;

namespace PhiCrypto.Messages;

/// <summary>Encrypts or decrypts a whole stream with parallel workers.</summary>
public static class MessagePipeline
{
    /// <summary>Encrypts all of <paramref name="input"/> into a message on <paramref name="output"/>; returns the plaintext length.</summary>
    public static long Encrypt(Stream input, Stream output, MessageEncryptOptions options, PipelineOptions? pipeline = null, IProgress<long>? progress = null)
    {
        pipeline ??= new PipelineOptions();
        pipeline.Validate();  // before the header is written
        using var encryptor = MessageEncryptor.Create(options);
        Write(output, encryptor.Header, encryptor);
        int frames = pipeline.FramesPerBlock(encryptor.FrameLength);
        using var run = new PipelineRun(frames, FrameCipher.BlockCapacity(encryptor.FrameLength, frames), pipeline);
        run.Start(() => ProduceForEncrypt(input, encryptor.FrameLength, frames, run), slot => EncryptBlock(encryptor, slot));
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
        pipeline ??= new PipelineOptions();
        pipeline.Validate();  // before any output is opened
        if (!options.VerifySignatureFirst) return DecryptCore(input, outputFor, options, pipeline, progress);
        var verified = MessageSpool.VerifiedFirst(input, options);
        try { return DecryptCore(verified, outputFor, options, pipeline, progress); }
        finally { if (!ReferenceEquals(verified, input)) verified.Dispose(); }
    }

    private static MessageHeader DecryptCore(Stream input, Func<MessageHeader, Stream> outputFor, MessageDecryptOptions options, PipelineOptions pipeline, IProgress<long>? progress)
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
        int frames = pipeline.FramesPerBlock(decryptor.FrameLength + FrameCipher.RegularOverhead);
        using var run = new PipelineRun(frames, FrameCipher.BlockCapacity(decryptor.FrameLength, frames), pipeline);
        run.Start(() => ProduceForDecrypt(input, decryptor, frames, run), slot => DecryptBlock(decryptor, slot));
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

    // Reads one block ahead so the block holding the final frame is known before it is dispatched.
    private static void ProduceForEncrypt(Stream input, int frameLength, int framesPerBlock, PipelineRun run)
    {
        int blockBytes = frameLength * framesPerBlock;
        long block = 0, sequence = 1;
        var pending = run.Acquire(block);
        pending.InLength = input.ReadAtLeast(pending.In.AsSpan(0, blockBytes), blockBytes, throwOnEndOfStream: false);
        while (pending.InLength == blockBytes)
        {
            if (sequence + framesPerBlock > uint.MaxValue) throw new InvalidOperationException("a message holds at most 2^32 - 1 frames");
            var next = run.Acquire(++block);
            next.InLength = input.ReadAtLeast(next.In.AsSpan(0, blockBytes), blockBytes, throwOnEndOfStream: false);
            if (next.InLength == 0) { run.ReturnUnused(next); break; }
            run.Dispatch(pending, (uint)sequence, framesPerBlock, final: false);
            sequence += framesPerBlock;
            pending = next;
        }
        // The last block: whole frames, then the rest (maybe a full frame, maybe empty) as the final frame.
        int count = Math.Max(1, (pending.InLength + frameLength - 1) / frameLength);
        run.Dispatch(pending, (uint)sequence, count, final: true);
    }

    private static void EncryptBlock(MessageEncryptor encryptor, PipelineSlot slot)
    {
        int read = 0, written = 0, frameLength = encryptor.FrameLength;
        for (int i = 0; i < slot.Count; i++)
        {
            bool final = slot.Final && i == slot.Count - 1;
            int length = final ? slot.InLength - read : frameLength;
            written += encryptor.EncryptFrame(slot.FirstSequence + (uint)i, final, slot.In.AsSpan(read, length), slot.Out.AsSpan(written));
            read += length;
        }
        slot.OutLength = written;
    }

    private static void ProduceForDecrypt(Stream input, MessageDecryptor decryptor, int framesPerBlock, PipelineRun run)
    {
        uint sequence = 1;
        for (long block = 0; ; block++)
        {
            var slot = run.Acquire(block);
            int count = decryptor.ReadFrames(input, sequence, slot.Frames, slot.Bodies, slot.In, out var rest);
            bool final = slot.Frames[count - 1].Final;
            run.Dispatch(slot, sequence, count, final);
            if (final) { decryptor.Finish(input, slot.In.AsSpan(rest)); return; }
            sequence += (uint)count;
        }
    }

    private static void DecryptBlock(MessageDecryptor decryptor, PipelineSlot slot)
    {
        int written = 0;
        for (int i = 0; i < slot.Count; i++)
        {
            var frame = slot.Frames[i];
            decryptor.DecryptFrame(frame, slot.In.AsSpan(slot.Bodies[i]), slot.Out.AsSpan(written));
            written += frame.ContentLength;
        }
        slot.OutLength = written;
    }
}

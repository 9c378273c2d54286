// Streaming messages with a raw key handle (phicrypto.h, "Streams"): the AWS Encryption SDK message
// format v2 (suite 0x0478 by default) through the core's PhiCrypto.Messages. The key wraps each
// message's data key in the raw AES keyring form (namespace "phicrypto", name "raw").
// By descriptor (the fast path: frames encrypted in parallel), by push, by range, and inspect.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PhiCrypto.Messages;

namespace PhiCrypto.Native;

internal static unsafe class StreamExports
{
    internal const int FlagSigned = 1;

    private static RawAesKeyring Wrapper(nint key) =>
        new(RawAesKeyring.DefaultNamespace, RawAesKeyring.DefaultKeyName, Handles.Get<NativeKey>(key, "key").Secret);

    internal static MessageEncryptOptions EncryptOptions(IDataKeyWrapper wrapper, nuint frameLength, byte* contextJson, int flags)
    {
        if ((flags & ~FlagSigned) != 0) throw new ArgumentException("unknown flags");
        return new MessageEncryptOptions
        {
            Wrappers = [wrapper],
            FrameLength = frameLength == 0 ? MessageHeader.DefaultFrameLength : NativeBuffers.Checked(frameLength, "frame_length"),
            EncryptionContext = Json.ReadContext(contextJson),
            Suite = (flags & FlagSigned) != 0 ? AlgorithmSuite.CommittingSigned : AlgorithmSuite.Committing,
        };
    }

    internal static MessageDecryptOptions DecryptOptions(IDataKeyWrapper wrapper) => new() { Wrappers = [wrapper] };

    private static void WriteContext(IReadOnlyDictionary<string, string>? context, byte* json, nuint* jsonLength)
    {
        if (jsonLength == null) return; // not asked for
        InfoExports.WriteString(Json.WriteContext(context ?? new Dictionary<string, string>()), json, jsonLength);
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_stream_encrypt_fd", CallConvs = [typeof(CallConvCdecl)])]
    private static int EncryptFd(nint key, int inFd, int outFd, nuint frameLength, byte* contextJson, int flags, ulong* plaintextLength)
    {
        try
        {
            using var wrapper = Wrapper(key);
            EncryptFdCore(wrapper, inFd, outFd, frameLength, contextJson, flags, plaintextLength);
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    internal static void EncryptFdCore(IDataKeyWrapper wrapper, int inFd, int outFd, nuint frameLength, byte* contextJson, int flags, ulong* plaintextLength)
    {
        var options = EncryptOptions(wrapper, frameLength, contextJson, flags);
        using var input = Fd.Open(inFd, FileAccess.Read);
        using var output = Fd.Open(outFd, FileAccess.Write);
        long total = MessagePipeline.Encrypt(input, output, options);
        if (plaintextLength != null) *plaintextLength = (ulong)total;
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_stream_decrypt_fd", CallConvs = [typeof(CallConvCdecl)])]
    private static int DecryptFd(nint key, int inFd, int outFd, byte* contextJson, nuint* contextJsonLength)
    {
        try
        {
            using var wrapper = Wrapper(key);
            DecryptFdCore(wrapper, inFd, outFd, contextJson, contextJsonLength);
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    internal static void DecryptFdCore(IDataKeyWrapper wrapper, int inFd, int outFd, byte* contextJson, nuint* contextJsonLength)
    {
        using var input = Fd.Open(inFd, FileAccess.Read);
        using var output = Fd.Open(outFd, FileAccess.Write);
        var header = MessagePipeline.Decrypt(input, output, DecryptOptions(wrapper));
        WriteContext(header.EncryptionContext, contextJson, contextJsonLength);
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_stream_decrypt_range_fd", CallConvs = [typeof(CallConvCdecl)])]
    private static int DecryptRangeFd(nint key, int inFd, int outFd, ulong start, ulong count, ulong* written)
    {
        try
        {
            if (start > long.MaxValue || count > long.MaxValue) throw new ArgumentException("range too large");
            using var wrapper = Wrapper(key);
            using var input = Fd.Open(inFd, FileAccess.Read);
            using var output = Fd.Open(outFd, FileAccess.Write);
            using var reader = new SeekableMessageReader(input, DecryptOptions(wrapper), leaveOpen: true);
            long n = reader.CopyRange((long)start, (long)count, output);
            if (written != null) *written = (ulong)n;
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_stream_inspect_fd", CallConvs = [typeof(CallConvCdecl)])]
    private static int InspectFd(int fd, byte* json, nuint* jsonLength)
    {
        try
        {
            if (jsonLength == null) throw new ArgumentException("json_len is NULL");
            using var input = Fd.Open(fd, FileAccess.Read);
            long start = input.CanSeek ? input.Position : -1;
            var description = Json.WriteDescription(MessageInspector.Describe(input));
            if (start >= 0) input.Position = start; // a size query can be repeated on a file
            InfoExports.WriteString(description, json, jsonLength);
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    // ---- push mode

    [UnmanagedCallersOnly(EntryPoint = "phi_stream_encryptor_new", CallConvs = [typeof(CallConvCdecl)])]
    private static int EncryptorNew(nint key, nuint frameLength, byte* contextJson, int flags, nint* stream) =>
        NewStream(stream, () => Wrapper(key), w => new PushEncryptor((IDisposable)w, EncryptOptions(w, frameLength, contextJson, flags)));

    /// <summary>Makes a push stream over a wrapper that the stream then owns (disposed here on failure).</summary>
    internal static int NewStream(nint* stream, Func<IDataKeyWrapper> wrapperFactory, Func<IDataKeyWrapper, PushStream> create)
    {
        IDataKeyWrapper? wrapper = null;
        try
        {
            if (stream == null) throw new ArgumentException("stream is NULL");
            *stream = 0;
            wrapper = wrapperFactory();
            *stream = Handles.New(create(wrapper));
            return 0;
        }
        catch (Exception e)
        {
            (wrapper as IDisposable)?.Dispose();
            return Abi.Fail(e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_stream_decryptor_new", CallConvs = [typeof(CallConvCdecl)])]
    private static int DecryptorNew(nint key, nint* stream) =>
        NewStream(stream, () => Wrapper(key), w => new PushDecryptor((IDisposable)w, DecryptOptions(w)));

    [UnmanagedCallersOnly(EntryPoint = "phi_stream_push", CallConvs = [typeof(CallConvCdecl)])]
    private static int Push(nint stream, byte* input, nuint inputLength)
    {
        try
        {
            Handles.Get<PushStream>(stream, "stream").Push(NativeBuffers.In(input, inputLength, "in"));
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_stream_finish", CallConvs = [typeof(CallConvCdecl)])]
    private static int Finish(nint stream)
    {
        try
        {
            Handles.Get<PushStream>(stream, "stream").Finish();
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_stream_pending", CallConvs = [typeof(CallConvCdecl)])]
    private static int Pending(nint stream, nuint* pending)
    {
        try
        {
            NativeBuffers.Write(pending, (nuint)Handles.Get<PushStream>(stream, "stream").Pending, "pending");
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_stream_pull", CallConvs = [typeof(CallConvCdecl)])]
    private static int Pull(nint stream, byte* output, nuint* outputLength)
    {
        try
        {
            var push = Handles.Get<PushStream>(stream, "stream");
            *outputLength = (nuint)push.Pull(NativeBuffers.Capacity(output, outputLength, "out"));
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_stream_context", CallConvs = [typeof(CallConvCdecl)])]
    private static int Context(nint stream, byte* json, nuint* jsonLength)
    {
        try
        {
            if (jsonLength == null) throw new ArgumentException("json_len is NULL");
            var context = Handles.Get<PushStream>(stream, "stream").Context
                ?? throw new InvalidOperationException("the header has not been read yet");
            WriteContext(context, json, jsonLength);
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_stream_free", CallConvs = [typeof(CallConvCdecl)])]
    private static int Free(nint stream)
    {
        try
        {
            Handles.Release<PushStream>(stream, "stream");
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    // ---- random access

    [UnmanagedCallersOnly(EntryPoint = "phi_reader_open_fd", CallConvs = [typeof(CallConvCdecl)])]
    private static int ReaderOpen(nint key, int fd, nint* reader) => OpenReader(reader, fd, () => Wrapper(key));

    /// <summary>Opens a reader over a wrapper that the reader then owns (disposed here on failure).</summary>
    internal static int OpenReader(nint* reader, int fd, Func<IDataKeyWrapper> wrapperFactory)
    {
        IDataKeyWrapper? wrapper = null;
        FileStream? file = null;
        try
        {
            if (reader == null) throw new ArgumentException("reader is NULL");
            *reader = 0;
            wrapper = wrapperFactory();
            file = Fd.Open(fd, FileAccess.Read);
            var seekable = new SeekableMessageReader(file, DecryptOptions(wrapper), leaveOpen: true);
            *reader = Handles.New(new NativeReader(file, (IDisposable)wrapper, seekable));
            return 0;
        }
        catch (Exception e)
        {
            file?.Dispose();
            (wrapper as IDisposable)?.Dispose();
            return Abi.Fail(e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_reader_length", CallConvs = [typeof(CallConvCdecl)])]
    private static int ReaderLength(nint reader, ulong* length)
    {
        try
        {
            NativeBuffers.Write(length, (ulong)Handles.Get<NativeReader>(reader, "reader").Length, "length");
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_reader_read", CallConvs = [typeof(CallConvCdecl)])]
    private static int ReaderRead(nint reader, ulong position, byte* output, nuint* outputLength)
    {
        try
        {
            var r = Handles.Get<NativeReader>(reader, "reader");
            if (position > long.MaxValue) throw new ArgumentException("position too large");
            *outputLength = (nuint)r.Read((long)position, NativeBuffers.Capacity(output, outputLength, "out"));
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_reader_context", CallConvs = [typeof(CallConvCdecl)])]
    private static int ReaderContext(nint reader, byte* json, nuint* jsonLength)
    {
        try
        {
            if (jsonLength == null) throw new ArgumentException("json_len is NULL");
            WriteContext(Handles.Get<NativeReader>(reader, "reader").Context, json, jsonLength);
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_reader_free", CallConvs = [typeof(CallConvCdecl)])]
    private static int ReaderFree(nint reader)
    {
        try
        {
            Handles.Release<NativeReader>(reader, "reader");
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }
}

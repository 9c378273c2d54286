// Streaming messages through a key source (phicrypto.h, "Streams"): the AWS Encryption SDK message
// format v2 (suite 0x0478 by default) through the core's PhiCrypto.Messages. The source's adapter
// (PhiCrypto.Keys.KeySourceMessages) wraps each message's data key in the raw AES keyring form under
// its active version, and unwraps only its own versions. Decryption takes an optional expected
// encryption context, checked while the header is read: before any plaintext is released.
// By descriptor (the fast path: frames encrypted in parallel), by push, by range, and inspect.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PhiCrypto.Compression;
using PhiCrypto.Keys;
using PhiCrypto.Messages;

namespace PhiCrypto.Native;

internal static unsafe class StreamExports
{
    private static KeySourceMessages Wrapper(nint source) => SourceExports.Get(source).MessageKeys();

    internal static MessageEncryptOptions EncryptOptions(IDataKeyWrapper wrapper, nuint frameLength, byte* contextJson, int flags)
    {
        if ((flags & ~AbiConstants.StreamSigned) != 0) throw new ArgumentException("unknown flags");
        return new MessageEncryptOptions
        {
            Wrappers = [wrapper],
            FrameLength = frameLength == 0 ? MessageHeader.DefaultFrameLength : NativeBuffers.Checked(frameLength, "frame_length"),
            EncryptionContext = Json.ReadContext(contextJson),
            Suite = (flags & AbiConstants.StreamSigned) != 0 ? AlgorithmSuite.CommittingSigned : AlgorithmSuite.Committing,
        };
    }

    /// <summary>Decryption under <paramref name="wrapper"/>; <paramref name="expectedContextJson"/> (NULL or "": none)
    /// holds the pairs the message must carry; <paramref name="flags"/> opts in to legacy suites and
    /// to verifying a signed message before releasing any of it.</summary>
    internal static MessageDecryptOptions DecryptOptions(IDataKeyWrapper wrapper, byte* expectedContextJson, int flags)
    {
        if ((flags & ~(AbiConstants.DecryptAllowLegacy | AbiConstants.DecryptVerifyFirst)) != 0)
            throw new ArgumentException("unknown flags: pass 0, PHI_DECRYPT_ALLOW_LEGACY or PHI_DECRYPT_VERIFY_FIRST");
        var expected = Json.ReadContext(expectedContextJson);
        return new()
        {
            Wrappers = [wrapper],
            ExpectedContext = expected.Count > 0 ? expected : null,
            AllowLegacy = (flags & AbiConstants.DecryptAllowLegacy) != 0,
            VerifySignatureFirst = (flags & AbiConstants.DecryptVerifyFirst) != 0,
        };
    }

    private static void WriteContext(IReadOnlyDictionary<string, string>? context, byte* json, nuint* jsonLength)
    {
        if (jsonLength == null) return; // not asked for
        InfoExports.WriteString(Json.WriteContext(context ?? new Dictionary<string, string>()), json, jsonLength);
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_stream_encrypt_fd", CallConvs = [typeof(CallConvCdecl)])]
    private static int EncryptFd(nint source, int inFd, int outFd, nuint frameLength, byte* contextJson, int flags, ulong* plaintextLength)
    {
        try
        {
            using var wrapper = Wrapper(source);
            var options = EncryptOptions(wrapper, frameLength, contextJson, flags);
            using var input = Fd.Open(inFd, FileAccess.Read);
            using var output = Fd.Open(outFd, FileAccess.Write);
            long total = ContentEncoding.Encrypt(input, output, options);
            if (plaintextLength != null) *plaintextLength = (ulong)total;
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_stream_decrypt_fd", CallConvs = [typeof(CallConvCdecl)])]
    private static int DecryptFd(nint source, int inFd, int outFd, byte* expectedContextJson, int flags, byte* contextJson, nuint* contextJsonLength)
    {
        try
        {
            using var wrapper = Wrapper(source);
            var options = DecryptOptions(wrapper, expectedContextJson, flags);
            using var input = Fd.Open(inFd, FileAccess.Read);
            using var output = Fd.Open(outFd, FileAccess.Write);
            var header = ContentEncoding.Decrypt(input, output, options);
            WriteContext(header.EncryptionContext, contextJson, contextJsonLength);
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_stream_decrypt_range_fd", CallConvs = [typeof(CallConvCdecl)])]
    private static int DecryptRangeFd(nint source, int inFd, int outFd, byte* expectedContextJson, int flags, ulong start, ulong count, ulong* written)
    {
        try
        {
            if (start > long.MaxValue || count > long.MaxValue) throw new ArgumentException("range too large");
            using var wrapper = Wrapper(source);
            var options = DecryptOptions(wrapper, expectedContextJson, flags);
            using var input = Fd.Open(inFd, FileAccess.Read);
            using var output = Fd.Open(outFd, FileAccess.Write);
            using var reader = ContentEncoding.OpenRange(input, options, leaveOpen: true);
            long n = reader.CopyRange((long)start, (long)count, output, 64 * 1024);
            if (written != null) *written = (ulong)n;
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_stream_inspect_fd", CallConvs = [typeof(CallConvCdecl)])]
    private static int InspectFd(int fd, int flags, byte* json, nuint* jsonLength)
    {
        try
        {
            if (jsonLength == null) throw new ArgumentException("json_len is NULL");
            if ((flags & ~AbiConstants.InspectHeaderOnly) != 0) throw new ArgumentException("unknown flags");
            using var input = Fd.Open(fd, FileAccess.Read);
            long start = input.CanSeek ? input.Position : -1;
            var description = Json.WriteDescription((flags & AbiConstants.InspectHeaderOnly) != 0
                ? new MessageDescription(MessageHeader.Read(input, 1024 * 1024, 64), -1, -1, -1)
                : MessageInspector.Describe(input));
            if (start >= 0) input.Position = start; // a size query can be repeated on a file
            InfoExports.WriteString(description, json, jsonLength);
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    // ---- push mode

    [UnmanagedCallersOnly(EntryPoint = "phi_stream_encryptor_new", CallConvs = [typeof(CallConvCdecl)])]
    private static int EncryptorNew(nint source, nuint frameLength, byte* contextJson, int flags, nint* stream) =>
        NewStream(stream, () => Wrapper(source), w => new PushEncryptor(w, EncryptOptions(w, frameLength, contextJson, flags)));

    /// <summary>Makes a push stream over a wrapper that the stream then owns (disposed here on failure).</summary>
    private static int NewStream(nint* stream, Func<KeySourceMessages> wrapperFactory, Func<KeySourceMessages, PushStream> create)
    {
        KeySourceMessages? wrapper = null;
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
            wrapper?.Dispose();
            return Abi.Fail(e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_stream_decryptor_new", CallConvs = [typeof(CallConvCdecl)])]
    private static int DecryptorNew(nint source, byte* expectedContextJson, int flags, nint* stream) =>
        NewStream(stream, () => Wrapper(source), w => new PushDecryptor(w, DecryptOptions(w, expectedContextJson, flags)));

    [UnmanagedCallersOnly(EntryPoint = "phi_stream_push", CallConvs = [typeof(CallConvCdecl)])]
    private static int Push(nint stream, byte* input, nuint inputLength)
    {
        try
        {
            if (inputLength > AbiConstants.StreamPushMax) throw new ArgumentException($"in_len is larger than {AbiConstants.StreamPushMax} (PHI_STREAM_PUSH_MAX)");
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
    private static int ReaderOpen(nint source, int fd, byte* expectedContextJson, int flags, nint* reader)
    {
        KeySourceMessages? wrapper = null;
        FileStream? file = null;
        try
        {
            if (reader == null) throw new ArgumentException("reader is NULL");
            *reader = 0;
            wrapper = Wrapper(source);
            var options = DecryptOptions(wrapper, expectedContextJson, flags);
            file = Fd.Open(fd, FileAccess.Read);
            var seekable = ContentEncoding.OpenRange(file, options, leaveOpen: true);
            *reader = Handles.New(new NativeReader(file, wrapper, seekable));
            return 0;
        }
        catch (Exception e)
        {
            file?.Dispose();
            wrapper?.Dispose();
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

// Keyrings (phicrypto.h, "Keyrings"): a store of versioned DEKs per purpose, wrapped under a KEK
// (PhiCrypto.Keys.Keyring). Fields encrypt under the purpose's active version and decrypt with the
// version the envelope names, so rotation never needs re-encryption.
using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using PhiCrypto.Fields;
using PhiCrypto.Keys;

namespace PhiCrypto.Native;

internal static unsafe class KeyringExports
{
    private static string? Utf8String(byte* s) =>
        s == null ? null : Encoding.UTF8.GetString(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(s));

    private static string Purpose(byte* purpose) =>
        Utf8String(purpose) is { Length: > 0 } p ? p : throw new ArgumentException("purpose is NULL or empty");

    [UnmanagedCallersOnly(EntryPoint = "phi_keyring_open", CallConvs = [typeof(CallConvCdecl)])]
    private static int Open(byte* location, byte* kekSpec, byte* passphrase, int flags, nint* keyring)
    {
        try
        {
            if (keyring == null) throw new ArgumentException("keyring is NULL");
            *keyring = 0;
            *keyring = Handles.New(KeyringOpener.Open(Utf8String(location), Utf8String(kekSpec), Utf8String(passphrase), flags));
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_keyring_free", CallConvs = [typeof(CallConvCdecl)])]
    private static int Free(nint keyring)
    {
        try
        {
            Handles.Release<Keyring>(keyring, "keyring");
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_keyring_add_purpose", CallConvs = [typeof(CallConvCdecl)])]
    private static int AddPurpose(nint keyring, byte* purpose, uint* version)
    {
        try
        {
            var record = Handles.Get<Keyring>(keyring, "keyring").AddPurpose(Purpose(purpose));
            if (version != null) *version = record.Version;
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_keyring_rotate", CallConvs = [typeof(CallConvCdecl)])]
    private static int Rotate(nint keyring, byte* purpose, uint* version)
    {
        try
        {
            var record = Handles.Get<Keyring>(keyring, "keyring").Rotate(Purpose(purpose), "rotated through the C ABI");
            if (version != null) *version = record.Version;
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_keyring_rewrap", CallConvs = [typeof(CallConvCdecl)])]
    private static int Rewrap(nint keyring, byte* newKekSpec, byte* newPassphrase, nuint* rewrapped)
    {
        try
        {
            var k = Handles.Get<Keyring>(keyring, "keyring");
            string spec = Utf8String(newKekSpec) is { Length: > 0 } s ? s : throw new ArgumentException("new_kek is NULL or empty");
            // A new passphrase KEK gets fresh parameters (salt): empty settings.
            var kek = KeyringOpener.CreateKek(spec, new Dictionary<string, string>(), Utf8String(newPassphrase));
            int n = k.Rewrap(kek);
            if (rewrapped != null) *rewrapped = (nuint)n;
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_keyring_reload", CallConvs = [typeof(CallConvCdecl)])]
    private static int Reload(nint keyring)
    {
        try
        {
            Handles.Get<Keyring>(keyring, "keyring").Reload();
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    // {"valid": bool, "count": n, "broken_at": sequence or null, "message": "..."}
    [UnmanagedCallersOnly(EntryPoint = "phi_keyring_audit_verify", CallConvs = [typeof(CallConvCdecl)])]
    private static int AuditVerify(nint keyring, byte* json, nuint* jsonLength)
    {
        try
        {
            if (jsonLength == null) throw new ArgumentException("json_len is NULL");
            var v = Handles.Get<Keyring>(keyring, "keyring").VerifyAudit();
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteBoolean("valid", v.IsValid);
                w.WriteNumber("count", v.Count);
                if (v.BrokenAtSequence is { } seq) w.WriteNumber("broken_at", seq);
                else w.WriteNull("broken_at");
                w.WriteString("message", v.Message);
                w.WriteEndObject();
            }
            InfoExports.WriteString(buffer.ToArray(), json, jsonLength);
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_keyring_list", CallConvs = [typeof(CallConvCdecl)])]
    private static int List(nint keyring, byte* purpose, byte* json, nuint* jsonLength)
    {
        try
        {
            if (jsonLength == null) throw new ArgumentException("json_len is NULL");
            var k = Handles.Get<Keyring>(keyring, "keyring");
            string? only = Utf8String(purpose);
            var purposes = string.IsNullOrEmpty(only) ? k.Purposes : [only];
            InfoExports.WriteString(Describe(k, purposes), json, jsonLength);
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    // {"kek_id": ..., "kek_check_value": ..., "purposes": {"p": [{"version": 1, "state": "active", ...}]}}
    private static byte[] Describe(Keyring keyring, IReadOnlyList<string> purposes)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("kek_id", keyring.KekId);
            w.WriteString("kek_check_value", keyring.KekCheckValue);
            w.WriteStartObject("purposes");
            foreach (var purpose in purposes)
            {
                w.WriteStartArray(purpose);
                foreach (var r in keyring.Versions(purpose))
                {
                    w.WriteStartObject();
                    w.WriteNumber("version", r.Version);
                    w.WriteString("state", KeyLifecycle.Name(r.State));
                    w.WriteString("key_name", r.KeyName);
                    w.WriteString("kek_id", r.KekId);
                    Time(w, "created", r.Created);
                    Time(w, "activated", r.Activated);
                    Time(w, "deactivated", r.Deactivated);
                    Time(w, "compromised", r.Compromised);
                    Time(w, "destroyed", r.Destroyed);
                    w.WriteNumber("usage_reserved", r.UsageReserved);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static void Time(Utf8JsonWriter w, string name, DateTimeOffset? t)
    {
        if (t is { } v) w.WriteString(name, v.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
        else w.WriteNull(name);
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_keyring_field_encrypt", CallConvs = [typeof(CallConvCdecl)])]
    private static int FieldEncrypt(nint keyring, byte* purpose, int mode, byte* plaintext, nuint plaintextLength,
        byte* ad, nuint adLength, byte* output, nuint* outputLength)
    {
        try
        {
            var k = Handles.Get<Keyring>(keyring, "keyring");
            var m = FieldExports.Mode(mode);
            var input = NativeBuffers.In(plaintext, plaintextLength, "plaintext");
            // The active version is known only inside the call: reserve the largest header, report the real length.
            var capacity = NativeBuffers.Capacity(output, outputLength, "out");
            int most = Keyring.MaxFieldEnvelopeLength(m, input.Length);
            int least = FieldEnvelope.GetEnvelopeLength(m, 1, input.Length);
            if (capacity.Length < most)
            {
                if (capacity.Length < least) { *outputLength = (nuint)most; throw new BufferTooSmallException(most); }
                byte[] rented = ArrayPool<byte>.Shared.Rent(most);
                try
                {
                    int n = k.EncryptField(Purpose(purpose), m, input, NativeBuffers.In(ad, adLength, "ad"), rented);
                    if (n > capacity.Length) { *outputLength = (nuint)n; throw new BufferTooSmallException(n); }
                    rented.AsSpan(0, n).CopyTo(capacity);
                    *outputLength = (nuint)n;
                    return 0;
                }
                finally { ArrayPool<byte>.Shared.Return(rented); }
            }
            *outputLength = (nuint)k.EncryptField(Purpose(purpose), m, input, NativeBuffers.In(ad, adLength, "ad"), capacity);
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_keyring_field_decrypt", CallConvs = [typeof(CallConvCdecl)])]
    private static int FieldDecrypt(nint keyring, byte* purpose, byte* envelope, nuint envelopeLength,
        byte* ad, nuint adLength, byte* output, nuint* outputLength)
    {
        try
        {
            var k = Handles.Get<Keyring>(keyring, "keyring");
            var input = NativeBuffers.In(envelope, envelopeLength, "envelope");
            var destination = NativeBuffers.Out(output, outputLength, FieldEnvelope.GetPlaintextLength(input), "out");
            k.DecryptField(Purpose(purpose), input, NativeBuffers.In(ad, adLength, "ad"), destination);
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_keyring_field_encrypt_batch", CallConvs = [typeof(CallConvCdecl)])]
    private static int FieldEncryptBatch(nint keyring, byte* purpose, int mode,
        byte* values, nuint* valueLengths, nuint count, byte* ad, nuint adLength,
        byte* output, nuint* outputLength, nuint* outputLengths)
    {
        try
        {
            // A randomized batch is reserved against the usage limit like that many single encryptions,
            // once the output fits (a size query reserves nothing).
            var k = Handles.Get<Keyring>(keyring, "keyring");
            string name = Purpose(purpose);
            uint version = (k.ActiveVersion(name) ?? throw new KeyNotAvailableException($"purpose {name} has no active key version")).Version;
            return FieldExports.EncryptBatchCore(version, () => k.ReserveFieldKey(name, (FieldMode)mode, checked((int)count)),
                mode, purpose, values, valueLengths, count, ad, adLength, output, outputLength, outputLengths);
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_keyring_field_decrypt_batch", CallConvs = [typeof(CallConvCdecl)])]
    private static int FieldDecryptBatch(nint keyring, byte* purpose,
        byte* envelopes, nuint* envelopeLengths, nuint count, byte* ad, nuint adLength,
        byte* output, nuint* outputLength, nuint* outputLengths, int* statuses)
    {
        try
        {
            var keys = Handles.Get<Keyring>(keyring, "keyring").GetFieldKeyResolver(Purpose(purpose));
            return FieldExports.DecryptBatchCore(keys, purpose, envelopes, envelopeLengths, count, ad, adLength, output, outputLength, outputLengths, statuses);
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    // ---- streams under keyring DEKs (see KeyringDataKeys)

    [UnmanagedCallersOnly(EntryPoint = "phi_keyring_stream_encrypt_fd", CallConvs = [typeof(CallConvCdecl)])]
    private static int StreamEncryptFd(nint keyring, byte* purpose, int inFd, int outFd, nuint frameLength, byte* contextJson, int flags, ulong* plaintextLength)
    {
        try
        {
            using var keys = new KeyringDataKeys(Handles.Get<Keyring>(keyring, "keyring"), Purpose(purpose));
            StreamExports.EncryptFdCore(keys, inFd, outFd, frameLength, contextJson, flags, plaintextLength);
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_keyring_stream_decrypt_fd", CallConvs = [typeof(CallConvCdecl)])]
    private static int StreamDecryptFd(nint keyring, int inFd, int outFd, byte* contextJson, nuint* contextJsonLength)
    {
        try
        {
            using var keys = new KeyringDataKeys(Handles.Get<Keyring>(keyring, "keyring"), null);
            StreamExports.DecryptFdCore(keys, inFd, outFd, contextJson, contextJsonLength);
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_keyring_encryptor_new", CallConvs = [typeof(CallConvCdecl)])]
    private static int EncryptorNew(nint keyring, byte* purpose, nuint frameLength, byte* contextJson, int flags, nint* stream) =>
        StreamExports.NewStream(stream, () => new KeyringDataKeys(Handles.Get<Keyring>(keyring, "keyring"), Purpose(purpose)),
            w => new PushEncryptor((IDisposable)w, StreamExports.EncryptOptions(w, frameLength, contextJson, flags)));

    [UnmanagedCallersOnly(EntryPoint = "phi_keyring_decryptor_new", CallConvs = [typeof(CallConvCdecl)])]
    private static int DecryptorNew(nint keyring, nint* stream) =>
        StreamExports.NewStream(stream, () => new KeyringDataKeys(Handles.Get<Keyring>(keyring, "keyring"), null),
            w => new PushDecryptor((IDisposable)w, StreamExports.DecryptOptions(w)));

    [UnmanagedCallersOnly(EntryPoint = "phi_keyring_reader_open_fd", CallConvs = [typeof(CallConvCdecl)])]
    private static int ReaderOpen(nint keyring, int fd, nint* reader) =>
        StreamExports.OpenReader(reader, fd, () => new KeyringDataKeys(Handles.Get<Keyring>(keyring, "keyring"), null));

    [UnmanagedCallersOnly(EntryPoint = "phi_keyring_search", CallConvs = [typeof(CallConvCdecl)])]
    private static int Search(nint keyring, byte* purpose, byte* plaintext, nuint plaintextLength, byte* ad, nuint adLength,
        byte* output, nuint* outputLength, nuint* outputLengths, nuint* count)
    {
        try
        {
            var k = Handles.Get<Keyring>(keyring, "keyring");
            if (count == null) throw new ArgumentException("count is NULL");
            var envelopes = k.SearchCiphertexts(Purpose(purpose), NativeBuffers.In(plaintext, plaintextLength, "plaintext"), NativeBuffers.In(ad, adLength, "ad"));
            nuint capacity = *count;
            *count = (nuint)envelopes.Count;
            long total = envelopes.Sum(e => (long)e.Length);
            if (capacity < (nuint)envelopes.Count)
            {
                if (outputLength != null) *outputLength = (nuint)total;
                throw new BufferTooSmallException(total);
            }
            var destination = NativeBuffers.Out(output, outputLength, total, "out");
            var lengths = NativeBuffers.LengthsOut(outputLengths, (nuint)envelopes.Count, "out_lens");
            int at = 0;
            for (int i = 0; i < envelopes.Count; i++)
            {
                envelopes[i].CopyTo(destination[at..]);
                lengths[i] = (nuint)envelopes[i].Length;
                at += envelopes[i].Length;
            }
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }
}

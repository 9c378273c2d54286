// Field envelopes with a raw key handle (phicrypto.h, "Fields"): one value, or a packed batch of values
// in one call. The envelope format is PhiCrypto.Fields.FieldEnvelope (docs/field-format.md).
using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PhiCrypto.Fields;

namespace PhiCrypto.Native;

internal static unsafe class FieldExports
{
    [UnmanagedCallersOnly(EntryPoint = "phi_field_envelope_length", CallConvs = [typeof(CallConvCdecl)])]
    private static int EnvelopeLength(int mode, uint version, nuint plaintextLength, nuint* envelopeLength)
    {
        try
        {
            int length = FieldEnvelope.GetEnvelopeLength(Mode(mode), CheckVersion(version), CheckPlaintext(plaintextLength));
            NativeBuffers.Write(envelopeLength, (nuint)length, "envelope_len");
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_field_header", CallConvs = [typeof(CallConvCdecl)])]
    private static int Header(byte* envelope, nuint envelopeLength, int* mode, uint* version, nuint* plaintextLength)
    {
        try
        {
            var input = NativeBuffers.In(envelope, envelopeLength, "envelope");
            var header = FieldEnvelope.ReadHeader(input);
            int length = FieldEnvelope.GetPlaintextLength(input);
            if (mode != null) *mode = (int)header.Mode;
            if (version != null) *version = header.KeyVersion;
            if (plaintextLength != null) *plaintextLength = (nuint)length;
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_field_encrypt", CallConvs = [typeof(CallConvCdecl)])]
    private static int Encrypt(nint key, uint version, int mode, byte* purpose, byte* plaintext, nuint plaintextLength,
        byte* ad, nuint adLength, byte* output, nuint* outputLength)
    {
        try
        {
            var fieldKey = Handles.Get<NativeKey>(key, "key").FieldKey(CheckVersion(version));
            var m = Mode(mode);
            var input = NativeBuffers.In(plaintext, plaintextLength, "plaintext");
            var destination = NativeBuffers.Out(output, outputLength, FieldEnvelope.GetEnvelopeLength(m, version, input.Length), "out");
            FieldEnvelope.Encrypt(fieldKey, m, Purpose(purpose), input, NativeBuffers.In(ad, adLength, "ad"), destination);
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_field_decrypt", CallConvs = [typeof(CallConvCdecl)])]
    private static int Decrypt(nint key, uint version, byte* purpose, byte* envelope, nuint envelopeLength,
        byte* ad, nuint adLength, byte* output, nuint* outputLength)
    {
        try
        {
            var fieldKey = Handles.Get<NativeKey>(key, "key").FieldKey(CheckVersion(version));
            var input = NativeBuffers.In(envelope, envelopeLength, "envelope");
            var destination = NativeBuffers.Out(output, outputLength, FieldEnvelope.GetPlaintextLength(input), "out");
            FieldEnvelope.Decrypt(fieldKey, Purpose(purpose), input, NativeBuffers.In(ad, adLength, "ad"), destination);
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_field_encrypt_batch", CallConvs = [typeof(CallConvCdecl)])]
    private static int EncryptBatch(nint key, uint version, int mode, byte* purpose,
        byte* values, nuint* valueLengths, nuint count, byte* ad, nuint adLength,
        byte* output, nuint* outputLength, nuint* outputLengths)
    {
        try
        {
            var nativeKey = Handles.Get<NativeKey>(key, "key");
            version = CheckVersion(version);
            return EncryptBatchCore(version, () => nativeKey.FieldKey(version), mode, purpose, values, valueLengths, count, ad, adLength, output, outputLength, outputLengths);
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    /// <summary>The batch encryption behind phi_field_encrypt_batch and phi_keyring_field_encrypt_batch.
    /// <paramref name="takeKey"/> is called only once the output buffer fits (it may count usage).</summary>
    internal static int EncryptBatchCore(uint version, Func<FieldKey> takeKey, int mode, byte* purpose,
        byte* values, nuint* valueLengths, nuint count, byte* ad, nuint adLength,
        byte* output, nuint* outputLength, nuint* outputLengths)
    {
        int[]? lengths = null, envelopeLengths = null;
        try
        {
            var m = Mode(mode);
            int n = NativeBuffers.Checked(count, "count");
            lengths = ToInts(NativeBuffers.Lengths(valueLengths, count, "value_lens"), out long packed);
            var outLengths = NativeBuffers.LengthsOut(outputLengths, count, "out_lens");
            var input = NativeBuffers.In(values, (nuint)packed, "values");
            var destination = NativeBuffers.Out(output, outputLength, FieldBatch.GetEnvelopesLength(m, version, lengths.AsSpan(0, n)), "out");
            envelopeLengths = ArrayPool<int>.Shared.Rent(n);
            FieldBatch.Encrypt(takeKey(), m, Purpose(purpose), input, lengths.AsSpan(0, n), NativeBuffers.In(ad, adLength, "ad"),
                destination, envelopeLengths.AsSpan(0, n));
            for (int i = 0; i < n; i++) outLengths[i] = (nuint)envelopeLengths[i];
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
        finally
        {
            if (lengths is not null) ArrayPool<int>.Shared.Return(lengths);
            if (envelopeLengths is not null) ArrayPool<int>.Shared.Return(envelopeLengths);
        }
    }

    /// <summary>Returns 0 when every item decrypted, else the first failing item's status.</summary>
    [UnmanagedCallersOnly(EntryPoint = "phi_field_decrypt_batch", CallConvs = [typeof(CallConvCdecl)])]
    private static int DecryptBatch(nint key, uint version, byte* purpose,
        byte* envelopes, nuint* envelopeLengths, nuint count, byte* ad, nuint adLength,
        byte* output, nuint* outputLength, nuint* outputLengths, int* statuses)
    {
        try
        {
            var fieldKey = Handles.Get<NativeKey>(key, "key").FieldKey(CheckVersion(version));
            return DecryptBatchCore(fieldKey, purpose, envelopes, envelopeLengths, count, ad, adLength, output, outputLength, outputLengths, statuses);
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    /// <summary>The batch decryption behind phi_field_decrypt_batch and phi_keyring_field_decrypt_batch.</summary>
    internal static int DecryptBatchCore(IFieldKeyResolver fieldKey, byte* purpose,
        byte* envelopes, nuint* envelopeLengths, nuint count, byte* ad, nuint adLength,
        byte* output, nuint* outputLength, nuint* outputLengths, int* statuses)
    {
        int[]? lengths = null, plainLengths = null;
        PhiStatus[]? ownStatuses = null;
        try
        {
            int n = NativeBuffers.Checked(count, "count");
            lengths = ToInts(NativeBuffers.Lengths(envelopeLengths, count, "envelope_lens"), out long packed);
            var outLengths = NativeBuffers.LengthsOut(outputLengths, count, "out_lens");
            var input = NativeBuffers.In(envelopes, (nuint)packed, "envelopes");
            plainLengths = ArrayPool<int>.Shared.Rent(n);
            Span<PhiStatus> itemStatuses = statuses != null ? new Span<PhiStatus>(statuses, n) : (ownStatuses = ArrayPool<PhiStatus>.Shared.Rent(n)).AsSpan(0, n);
            long total = FieldBatch.GetPlaintextsLength(input, lengths.AsSpan(0, n), plainLengths.AsSpan(0, n), itemStatuses);
            var destination = NativeBuffers.Out(output, outputLength, total, "out");
            FieldBatch.Decrypt(fieldKey, Purpose(purpose), input, lengths.AsSpan(0, n), NativeBuffers.In(ad, adLength, "ad"),
                destination, plainLengths.AsSpan(0, n), itemStatuses);
            for (int i = 0; i < n; i++) outLengths[i] = (nuint)plainLengths[i];
            for (int i = 0; i < n; i++)
            {
                if (itemStatuses[i] != PhiStatus.Ok)
                    return Abi.Fail(itemStatuses[i], $"field {i}: " + ItemError(itemStatuses[i]));
            }
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
        finally
        {
            if (lengths is not null) ArrayPool<int>.Shared.Return(lengths);
            if (plainLengths is not null) ArrayPool<int>.Shared.Return(plainLengths);
            if (ownStatuses is not null) ArrayPool<PhiStatus>.Shared.Return(ownStatuses);
        }
    }

    internal static FieldMode Mode(int mode) => mode switch
    {
        0 => FieldMode.Randomized,
        1 => FieldMode.Deterministic,
        _ => throw new ArgumentException("mode must be PHI_FIELD_RANDOMIZED or PHI_FIELD_DETERMINISTIC"),
    };

    private static string ItemError(PhiStatus status) => status switch
    {
        PhiStatus.AuthenticationFailed => "authentication failed",
        PhiStatus.KeyNotFound => "the key version the envelope names is not available",
        _ => "malformed field envelope",
    };

    internal static uint CheckVersion(uint version) => version != 0 ? version : throw new ArgumentException("key versions start at 1");

    /// <summary>The purpose: a NUL-terminated UTF-8 string, 1 to 1024 bytes.</summary>
    internal static ReadOnlySpan<byte> Purpose(byte* purpose)
    {
        if (purpose == null) throw new ArgumentException("purpose is NULL");
        return MemoryMarshal.CreateReadOnlySpanFromNullTerminated(purpose);
    }

    private static int CheckPlaintext(nuint length)
        => length <= FieldEnvelope.MaxPlaintextLength ? (int)length : throw new ArgumentException($"field values are limited to {FieldEnvelope.MaxPlaintextLength} bytes");

    /// <summary>size_t lengths as a rented int array (the core's batch API), and their sum.</summary>
    private static int[] ToInts(ReadOnlySpan<nuint> lengths, out long total)
    {
        var result = ArrayPool<int>.Shared.Rent(Math.Max(lengths.Length, 1));
        total = 0;
        for (int i = 0; i < lengths.Length; i++)
        {
            if (lengths[i] > (nuint)FieldEnvelope.MaxPlaintextLength + 64)
            {
                ArrayPool<int>.Shared.Return(result);
                throw new ArgumentException($"item {i} is larger than a field may be");
            }
            result[i] = (int)lengths[i];
            total += result[i];
        }
        return result;
    }
}

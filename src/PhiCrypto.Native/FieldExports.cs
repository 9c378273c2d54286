// Field envelopes through a key source (phicrypto.h, "Fields"): one value, a packed batch of values in
// one call, or the search envelopes of a value under every version. The envelope format is
// PhiCrypto.Fields.FieldEnvelope (docs/field-format.md); the adapter is PhiCrypto.Keys.KeySourceFields.
using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PhiCrypto.Fields;
using PhiCrypto.Keys;

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
    private static int Encrypt(nint source, int mode, byte* plaintext, nuint plaintextLength,
        byte* ad, nuint adLength, byte* output, nuint* outputLength)
    {
        try
        {
            var keys = SourceExports.Get(source);
            var m = Mode(mode);
            var input = NativeBuffers.In(plaintext, plaintextLength, "plaintext");
            // Sized for the active version; taking the key counts usage, so only once the output fits.
            var capacity = NativeBuffers.Capacity(output, outputLength, "out");
            Fits(capacity.Length, FieldEnvelope.GetEnvelopeLength(m, keys.ActiveVersion, input.Length), outputLength);
            var key = keys.TakeFieldKey(m, 1);
            int n = FieldEnvelope.GetEnvelopeLength(m, key.Version, input.Length);
            Fits(capacity.Length, n, outputLength); // a rotation in between may lengthen the header
            FieldEnvelope.Encrypt(key, m, keys.PurposeUtf8, input, NativeBuffers.In(ad, adLength, "ad"), capacity[..n]);
            *outputLength = (nuint)n;
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    private static void Fits(int capacity, int needed, nuint* outputLength)
    {
        if (capacity >= needed) return;
        *outputLength = (nuint)needed;
        throw new BufferTooSmallException(needed);
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_field_decrypt", CallConvs = [typeof(CallConvCdecl)])]
    private static int Decrypt(nint source, byte* envelope, nuint envelopeLength,
        byte* ad, nuint adLength, byte* output, nuint* outputLength)
    {
        try
        {
            var keys = SourceExports.Get(source);
            var input = NativeBuffers.In(envelope, envelopeLength, "envelope");
            var destination = NativeBuffers.Out(output, outputLength, FieldEnvelope.GetPlaintextLength(input), "out");
            keys.DecryptField(input, NativeBuffers.In(ad, adLength, "ad"), destination);
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    /// <summary>Encrypts a packed batch under the source's active version. The key (and its usage, one
    /// per value) is taken only once the output fits: a size query reserves nothing.</summary>
    [UnmanagedCallersOnly(EntryPoint = "phi_field_encrypt_batch", CallConvs = [typeof(CallConvCdecl)])]
    private static int EncryptBatch(nint source, int mode,
        byte* values, nuint* valueLengths, nuint count, byte* ad, nuint adLength,
        byte* output, nuint* outputLength, nuint* outputLengths)
    {
        int[]? lengths = null, envelopeLengths = null;
        try
        {
            var keys = SourceExports.Get(source);
            var m = Mode(mode);
            int n = NativeBuffers.BatchCount(count);
            lengths = ToInts(NativeBuffers.Lengths(valueLengths, n, "value_lens"), out long packed);
            var outLengths = NativeBuffers.LengthsOut(outputLengths, n, "out_lens");
            var input = NativeBuffers.In(values, (nuint)packed, "values");
            var sizes = lengths.AsSpan(0, n);
            NativeBuffers.Out(output, outputLength, FieldBatch.GetEnvelopesLength(m, keys.ActiveVersion, sizes), "out");
            var key = keys.TakeFieldKey(m, n);
            var destination = NativeBuffers.Out(output, outputLength, FieldBatch.GetEnvelopesLength(m, key.Version, sizes), "out");
            envelopeLengths = ArrayPool<int>.Shared.Rent(n);
            FieldBatch.Encrypt(key, m, keys.PurposeUtf8, input, sizes, NativeBuffers.In(ad, adLength, "ad"), destination, envelopeLengths.AsSpan(0, n));
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
    private static int DecryptBatch(nint source,
        byte* envelopes, nuint* envelopeLengths, nuint count, byte* ad, nuint adLength,
        byte* output, nuint* outputLength, nuint* outputLengths, int* statuses)
    {
        int[]? lengths = null, plainLengths = null;
        PhiStatus[]? ownStatuses = null;
        try
        {
            var keys = SourceExports.Get(source);
            int n = NativeBuffers.BatchCount(count);
            lengths = ToInts(NativeBuffers.Lengths(envelopeLengths, n, "envelope_lens"), out long packed);
            var outLengths = NativeBuffers.LengthsOut(outputLengths, n, "out_lens");
            var input = NativeBuffers.In(envelopes, (nuint)packed, "envelopes");
            plainLengths = ArrayPool<int>.Shared.Rent(n);
            Span<PhiStatus> itemStatuses = statuses != null ? new Span<PhiStatus>(statuses, n) : (ownStatuses = ArrayPool<PhiStatus>.Shared.Rent(n)).AsSpan(0, n);
            long total = FieldBatch.GetPlaintextsLength(input, lengths.AsSpan(0, n), plainLengths.AsSpan(0, n), itemStatuses);
            var destination = NativeBuffers.Out(output, outputLength, total, "out");
            FieldBatch.Decrypt(keys.FieldKeys(), keys.PurposeUtf8, input, lengths.AsSpan(0, n), NativeBuffers.In(ad, adLength, "ad"),
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

    [UnmanagedCallersOnly(EntryPoint = "phi_field_versions", CallConvs = [typeof(CallConvCdecl)])]
    private static int Versions(byte* envelopes, nuint* envelopeLengths, nuint count, uint* versions)
    {
        int[]? lengths = null;
        try
        {
            int n = NativeBuffers.BatchCount(count);
            lengths = ToInts(NativeBuffers.Lengths(envelopeLengths, n, "envelope_lens"), out long packed);
            var input = NativeBuffers.In(envelopes, (nuint)packed, "envelopes");
            if (n > 0 && versions == null) throw new ArgumentException("versions is NULL");
            FieldBatch.ReadVersions(input, lengths.AsSpan(0, n), new Span<uint>(versions, n));
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
        finally
        {
            if (lengths is not null) ArrayPool<int>.Shared.Return(lengths);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_field_search", CallConvs = [typeof(CallConvCdecl)])]
    private static int Search(nint source, byte* plaintext, nuint plaintextLength, byte* ad, nuint adLength,
        byte* output, nuint* outputLength, nuint* outputLengths, nuint* count)
    {
        try
        {
            var keys = SourceExports.Get(source);
            if (count == null) throw new ArgumentException("count is NULL");
            var envelopes = keys.SearchCiphertexts(NativeBuffers.In(plaintext, plaintextLength, "plaintext"), NativeBuffers.In(ad, adLength, "ad"));
            nuint capacity = *count;
            *count = (nuint)envelopes.Count;
            long total = envelopes.Sum(e => (long)e.Length);
            if (capacity < (nuint)envelopes.Count)
            {
                if (outputLength != null) *outputLength = (nuint)total;
                throw new BufferTooSmallException(total);
            }
            var destination = NativeBuffers.Out(output, outputLength, total, "out");
            var lengths = NativeBuffers.LengthsOut(outputLengths, envelopes.Count, "out_lens");
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

    internal static FieldMode Mode(int mode) => mode switch
    {
        AbiConstants.FieldRandomized => FieldMode.Randomized,
        AbiConstants.FieldDeterministic => FieldMode.Deterministic,
        _ => throw new ArgumentException("mode must be PHI_FIELD_RANDOMIZED or PHI_FIELD_DETERMINISTIC"),
    };

    private static string ItemError(PhiStatus status) => status switch
    {
        PhiStatus.AuthenticationFailed => "authentication failed",
        PhiStatus.KeyNotFound => "the key version the envelope names is not available",
        _ => "malformed field envelope",
    };

    internal static uint CheckVersion(uint version) => version != 0 ? version : throw new ArgumentException("key versions start at 1");

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

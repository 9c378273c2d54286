// Many fields in one call, for bulk inserts and reads (10,000 at a time is a stated need) and for the
// C ABI, where one native call replaces ten thousand. Values travel packed: one buffer holding every
// value back to back plus an array of their lengths. Big batches are split across cores, except in a
// fork() child, whose thread pool has no threads (ForkedChild.cs): there they run on the caller's thread.
using System.Text;

namespace PhiCrypto.Fields;

public static class FieldBatch
{
    // Below this many fields one core is about as fast as the fork and join (under 1 ms of work), and a
    // web worker's page of rows (Django decrypts 2,000 at a time) stays on its thread: on a busy
    // server the other cores serve other requests, and waiting for them stalled a batch 2-10 times over.
    private const int ParallelMinCount = 4096;
    private const int ChunkCount = 256;

    /// <summary>
    /// The key version each packed envelope names, or 0 (never a version) where its header is
    /// malformed. Items may be cut after their header: an audit or a scan of headers needs no more.
    /// </summary>
    public static void ReadVersions(ReadOnlySpan<byte> envelopes, ReadOnlySpan<int> lengths, Span<uint> versions)
    {
        if (versions.Length != lengths.Length) throw new ArgumentException("one version per envelope", nameof(versions));
        CheckPacked(envelopes.Length, lengths, "envelope");
        int offset = 0;
        for (int i = 0; i < lengths.Length; i++)
        {
            var item = envelopes.Slice(offset, lengths[i]);
            versions[i] = FieldHeader.TryRead(item, out var header) ? header.KeyVersion : 0;
            offset += lengths[i];
        }
    }

    /// <summary>Total packed length of the envelopes of values with <paramref name="lengths"/>.</summary>
    public static long GetEnvelopesLength(FieldMode mode, uint keyVersion, ReadOnlySpan<int> lengths)
    {
        long total = 0;
        foreach (int length in lengths) total += FieldEnvelope.GetEnvelopeLength(mode, keyVersion, length);
        return total;
    }

    /// <summary>
    /// Encrypts <paramref name="lengths"/>.Length values packed in <paramref name="values"/> into
    /// <paramref name="envelopes"/> (exactly <see cref="GetEnvelopesLength"/> bytes), writing each
    /// envelope's length to <paramref name="envelopeLengths"/>. Every value shares the same caller AD.
    /// </summary>
    public static unsafe void Encrypt(FieldKey key, FieldMode mode, ReadOnlySpan<byte> purpose, ReadOnlySpan<byte> values, ReadOnlySpan<int> lengths,
        ReadOnlySpan<byte> associatedData, Span<byte> envelopes, Span<int> envelopeLengths)
    {
        ArgumentNullException.ThrowIfNull(key);
        FieldEnvelope.CheckPurpose(purpose);
        if (envelopeLengths.Length != lengths.Length) throw new ArgumentException("one envelope length per value", nameof(envelopeLengths));
        CheckPacked(values.Length, lengths, "value");
        if (GetEnvelopesLength(mode, key.Version, lengths) != envelopes.Length) throw new ArgumentException("envelope buffer must be exactly GetEnvelopesLength bytes", nameof(envelopes));
        if (mode is not (FieldMode.Randomized or FieldMode.Deterministic)) throw new ArgumentOutOfRangeException(nameof(mode));

        // One lease for the whole batch: a Dispose meanwhile (keyring reload, C free) waits to zero
        // the subkeys until the batch ends, and a disposed key fails here before anything is written.
        using var lease = key.Lease();

        for (int i = 0; i < lengths.Length; i++) envelopeLengths[i] = FieldEnvelope.GetEnvelopeLength(mode, key.Version, lengths[i]);
        fixed (byte* pv = values, pp = purpose, pad = associatedData, pe = envelopes)
        fixed (int* pl = lengths, pel = envelopeLengths)
        {
            var batch = new Packed((nint)pv, (nint)pl, (nint)pe, (nint)pel, lengths.Length, (nint)pp, purpose.Length, (nint)pad, associatedData.Length);
            batch.Run((int _, ReadOnlySpan<byte> input, Span<byte> output) =>
            {
                FieldEnvelope.EncryptCore(key, mode, batch.Purpose, input, batch.Ad, output);
                return PhiStatus.Ok;
            });
        }
    }

    /// <summary>
    /// Decrypts packed envelopes into packed plaintexts (exactly the sum of each envelope's plaintext
    /// length; see <see cref="GetPlaintextsLength"/>). Each item gets its own status: one bad row does
    /// not hide the others. A failed item's plaintext bytes are zero.
    /// </summary>
    public static unsafe void Decrypt(IFieldKeyResolver keys, ReadOnlySpan<byte> purpose, ReadOnlySpan<byte> envelopes, ReadOnlySpan<int> lengths,
        ReadOnlySpan<byte> associatedData, Span<byte> plaintexts, Span<int> plaintextLengths, Span<PhiStatus> statuses)
    {
        ArgumentNullException.ThrowIfNull(keys);
        FieldEnvelope.CheckPurpose(purpose);
        if (plaintextLengths.Length != lengths.Length || statuses.Length != lengths.Length)
            throw new ArgumentException("one plaintext length and one status per envelope");
        if (GetPlaintextsLength(envelopes, lengths, plaintextLengths, statuses) != plaintexts.Length)
            throw new ArgumentException("plaintext buffer must be exactly GetPlaintextsLength bytes", nameof(plaintexts));

        fixed (byte* pv = envelopes, pp = purpose, pad = associatedData, po = plaintexts)
        fixed (int* pl = lengths, pol = plaintextLengths)
        fixed (PhiStatus* ps = statuses)
        {
            var batch = new Packed((nint)pv, (nint)pl, (nint)po, (nint)pol, lengths.Length, (nint)pp, purpose.Length, (nint)pad, associatedData.Length);
            nint status = (nint)ps;
            batch.Run((int i, ReadOnlySpan<byte> input, Span<byte> output) =>
            {
                ref var itemStatus = ref ((PhiStatus*)status)[i];
                if (itemStatus == PhiStatus.Ok) itemStatus = FieldEnvelope.DecryptCore(keys, batch.Purpose, input, batch.Ad, output);
                return itemStatus;
            });
        }
    }

    /// <summary>
    /// Sums the plaintext lengths of packed envelopes, filling each item's length (0 when malformed)
    /// and its status (MalformedData, else Ok so far).
    /// </summary>
    public static long GetPlaintextsLength(ReadOnlySpan<byte> envelopes, ReadOnlySpan<int> lengths, Span<int> plaintextLengths, Span<PhiStatus> statuses)
    {
        CheckPacked(envelopes.Length, lengths, "envelope");
        long offset = 0, total = 0;
        for (int i = 0; i < lengths.Length; i++)
        {
            var envelope = envelopes.Slice((int)offset, lengths[i]);
            offset += lengths[i];
            bool wellFormed = FieldEnvelope.TryGetPlaintextLength(envelope, out plaintextLengths[i]);
            statuses[i] = wellFormed ? PhiStatus.Ok : PhiStatus.MalformedData;
            total += plaintextLengths[i];
        }
        return total;
    }

    // Every length of a packed batch is checked before any item is read or any output written.
    private static void CheckPacked(int packedLength, ReadOnlySpan<int> lengths, string item)
    {
        long sum = 0;
        foreach (int length in lengths)
        {
            if (length < 0) throw new ArgumentOutOfRangeException(nameof(lengths), $"negative {item} length");
            sum += length;
        }
        if (sum != packedLength) throw new ArgumentException($"{item} lengths do not add up to the packed buffer", nameof(lengths));
    }

    // ---- the loop: raw pointers so that parallel workers can share the caller's pinned spans

    private delegate PhiStatus ItemOp(int index, ReadOnlySpan<byte> input, Span<byte> output);

    private sealed unsafe class Packed(nint input, nint inputLengths, nint output, nint outputLengths, int count, nint purpose, int purposeLength, nint ad, int adLength)
    {
        public ReadOnlySpan<byte> Purpose => new((void*)purpose, purposeLength);
        public ReadOnlySpan<byte> Ad => new((void*)ad, adLength);

        public void Run(ItemOp op)
        {
            if (count < ParallelMinCount || Environment.ProcessorCount == 1 || ForkedChild.IsForked)
            {
                RunRange(op, 0, count, 0, 0);
                return;
            }
            // One walk finds where each chunk starts; then each worker walks its own chunk.
            int chunks = Math.Min(ChunkCount, count);
            var starts = new (int Item, long In, long Out)[chunks + 1];
            long inOffset = 0, outOffset = 0;
            for (int c = 0, i = 0; c <= chunks; c++)
            {
                starts[c] = (i, inOffset, outOffset);
                int end = (int)((long)count * (c + 1) / chunks);
                for (; i < end && c < chunks; i++) { inOffset += ((int*)inputLengths)[i]; outOffset += ((int*)outputLengths)[i]; }
            }
            Parallel.For(0, chunks, c => RunRange(op, starts[c].Item, starts[c + 1].Item, starts[c].In, starts[c].Out));
        }

        private void RunRange(ItemOp op, int from, int to, long inOffset, long outOffset)
        {
            for (int i = from; i < to; i++)
            {
                int inLength = ((int*)inputLengths)[i], outLength = ((int*)outputLengths)[i];
                op(i, new ReadOnlySpan<byte>((byte*)input + inOffset, inLength), new Span<byte>((byte*)output + outOffset, outLength));
                inOffset += inLength;
                outOffset += outLength;
            }
        }
    }
}

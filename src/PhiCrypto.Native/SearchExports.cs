// Blind indexes and FF1 through a key source (phicrypto.h, "Search"; docs/search.md). The index
// definition arrives as plain arguments (kind, bits, normalizations, prefix range, name) and is
// validated once here by BlindIndexDefinition; the keys are the source's (PhiCrypto.Keys.KeySourceSearch),
// derived and cached per version. Text crosses as UTF-8 (index values) or ASCII (FF1 numerals).
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PhiCrypto.Keys;
using PhiCrypto.Primitives;
using PhiCrypto.Search;

namespace PhiCrypto.Native;

internal static unsafe class SearchExports
{
    private static readonly UTF8Encoding Strict = new(false, true);

    [UnmanagedCallersOnly(EntryPoint = "phi_source_versions", CallConvs = [typeof(CallConvCdecl)])]
    private static int Versions(nint source, uint* versions, nuint* count)
    {
        try
        {
            var list = SourceExports.Get(source).DecryptableVersions();
            if (count == null) throw new ArgumentException("count is NULL");
            nuint capacity = *count;
            *count = (nuint)list.Count;
            if (capacity < (nuint)list.Count) throw new BufferTooSmallException(list.Count);
            if (list.Count > 0 && versions == null) throw new ArgumentException("versions is NULL");
            for (int i = 0; i < list.Count; i++) versions[i] = list[i];
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_blind_index", CallConvs = [typeof(CallConvCdecl)])]
    private static int Index(nint source, uint version, int kind, uint bits, uint normalizations, uint minPrefix, uint maxPrefix, byte* name,
        byte* value, nuint valueLength, byte* output, nuint* outputLength)
    {
        try
        {
            var keys = SourceExports.Get(source);
            var definition = Definition(kind, bits, normalizations, minPrefix, maxPrefix, name, fields: 1);
            if (definition.Kind == BlindIndexKind.Compound) throw new ArgumentException("compound indexes take several fields: use phi_blind_index_batch");
            string text = Text(NativeBuffers.In(value, valueLength, "value"), "value");
            var destination = NativeBuffers.Out(output, outputLength, definition.ValueLength, "out");
            keys.WithBlindIndex(definition, version, index => KeySourceSearch.QueryValue(index, text)).CopyTo(destination);
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_blind_index_batch", CallConvs = [typeof(CallConvCdecl)])]
    private static int IndexBatch(nint source, uint version, int kind, uint bits, uint normalizations, uint minPrefix, uint maxPrefix, byte* name,
        byte* values, nuint* valueLengths, nuint count, nuint fields, byte* output, nuint* outputLength, nuint* outputCounts)
    {
        try
        {
            var keys = SourceExports.Get(source);
            if (fields is 0 or > BlindIndexDefinition.MaxCompoundFields) throw new ArgumentException($"fields must be 1 to {BlindIndexDefinition.MaxCompoundFields}");
            var definition = Definition(kind, bits, normalizations, minPrefix, maxPrefix, name, (int)fields);
            int rows = NativeBuffers.BatchCount(count);
            var texts = Texts(values, NativeBuffers.Lengths(valueLengths, checked(rows * (int)fields), "value_lens"));
            var counts = definition.Kind == BlindIndexKind.Prefix || outputCounts != null ? NativeBuffers.LengthsOut(outputCounts, rows, "out_counts") : default;
            var perRow = keys.WithBlindIndex(definition, version, index => RowValues(index, texts, rows, (int)fields));
            Write(perRow, definition.ValueLength, output, outputLength, counts);
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    // Every row's values are computed before anything is written (the size is known only then for prefixes).
    private static List<byte[]>[] RowValues(BlindIndex index, string?[] texts, int rows, int fields)
    {
        var perRow = new List<byte[]>[rows];
        for (int row = 0; row < rows; row++) perRow[row] = RowValues(index, texts.AsSpan(row * fields, fields));
        return perRow;
    }

    private static void Write(List<byte[]>[] perRow, int n, byte* output, nuint* outputLength, Span<nuint> counts)
    {
        long total = perRow.Sum(values => (long)values.Count * n);
        var destination = NativeBuffers.Out(output, outputLength, total, "out");
        int at = 0;
        for (int row = 0; row < perRow.Length; row++)
        {
            if (!counts.IsEmpty) counts[row] = (nuint)perRow[row].Count;
            foreach (var value in perRow[row])
            {
                value.CopyTo(destination[at..]);
                at += n;
            }
        }
    }

    private static List<byte[]> RowValues(BlindIndex index, ReadOnlySpan<string?> row) => index.Definition.Kind switch
    {
        BlindIndexKind.Exact => [index.Compute(row[0] ?? throw new ArgumentException("exact and prefix indexes take no NULL value"))],
        BlindIndexKind.Prefix => [.. index.ComputePrefixes(row[0] ?? throw new ArgumentException("exact and prefix indexes take no NULL value")).Select(p => p.Value)],
        _ => [index.ComputeCompound(row.ToArray())],
    };

    [UnmanagedCallersOnly(EntryPoint = "phi_ff1_encrypt", CallConvs = [typeof(CallConvCdecl)])]
    private static int Ff1Encrypt(nint source, uint* version, uint radix, byte* tweak, nuint tweakLength, byte* text, nuint textLength, byte* output, nuint* outputLength)
    {
        try
        {
            var keys = SourceExports.Get(source);
            if (version == null) throw new ArgumentException("version is NULL");
            uint used = *version;
            Ff1Text(text, textLength, output, outputLength, (input, result) =>
                used = keys.Ff1Encrypt(used, Radix(radix), input, NativeBuffers.In(tweak, tweakLength, "tweak"), result));
            *version = used;
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_ff1_decrypt", CallConvs = [typeof(CallConvCdecl)])]
    private static int Ff1Decrypt(nint source, uint version, uint radix, byte* tweak, nuint tweakLength, byte* text, nuint textLength, byte* output, nuint* outputLength)
    {
        try
        {
            var keys = SourceExports.Get(source);
            Ff1Text(text, textLength, output, outputLength, (input, result) =>
                keys.Ff1Decrypt(version, Radix(radix), input, NativeBuffers.In(tweak, tweakLength, "tweak"), result));
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_ff1_encrypt_key", CallConvs = [typeof(CallConvCdecl)])]
    private static int Ff1EncryptKey(nint key, uint radix, byte* tweak, nuint tweakLength, byte* text, nuint textLength, byte* output, nuint* outputLength) =>
        Ff1WithKey(key, radix, tweak, tweakLength, text, textLength, output, outputLength, encrypt: true);

    [UnmanagedCallersOnly(EntryPoint = "phi_ff1_decrypt_key", CallConvs = [typeof(CallConvCdecl)])]
    private static int Ff1DecryptKey(nint key, uint radix, byte* tweak, nuint tweakLength, byte* text, nuint textLength, byte* output, nuint* outputLength) =>
        Ff1WithKey(key, radix, tweak, tweakLength, text, textLength, output, outputLength, encrypt: false);

    private static int Ff1WithKey(nint key, uint radix, byte* tweak, nuint tweakLength, byte* text, nuint textLength, byte* output, nuint* outputLength, bool encrypt)
    {
        try
        {
            using var copy = Handles.Get<NativeKey>(key, "key").Secret.Clone(); // read under a lease: a concurrent free never half-zeroes it
            using var ff1 = Ff1.Create(copy, Radix(radix));
            Ff1Text(text, textLength, output, outputLength, (input, result) =>
            {
                var t = NativeBuffers.In(tweak, tweakLength, "tweak");
                if (encrypt) ff1.Encrypt(input, t, result);
                else ff1.Decrypt(input, t, result);
            });
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    private delegate void Ff1Transform(ReadOnlySpan<char> input, Span<char> output);

    // ASCII numerals in, the same length out; nothing is written to out unless the whole call succeeds.
    private static void Ff1Text(byte* text, nuint textLength, byte* output, nuint* outputLength, Ff1Transform transform)
    {
        var input = NativeBuffers.In(text, textLength, "text");
        if (input.Length > Ff1.MaxLength) throw new ArgumentException($"FF1 inputs are limited to {Ff1.MaxLength} numerals");
        var destination = NativeBuffers.Out(output, outputLength, input.Length, "out");
        Span<char> chars = stackalloc char[Ff1.MaxLength];
        Span<char> result = stackalloc char[Ff1.MaxLength];
        chars = chars[..input.Length];
        result = result[..input.Length];
        try
        {
            for (int i = 0; i < input.Length; i++) chars[i] = (char)input[i];
            transform(chars, result);
            for (int i = 0; i < result.Length; i++) destination[i] = (byte)result[i];
        }
        finally
        {
            chars.Clear();
            result.Clear();
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_blind_index_plan", CallConvs = [typeof(CallConvCdecl)])]
    private static int Plan(ulong rows, ulong distinct, uint minRows, uint minPrefix, uint maxPrefix, uint alphabet, byte* json, nuint* jsonLength)
    {
        try
        {
            long n = rows <= long.MaxValue ? (long)rows : throw new ArgumentException("rows is too large");
            long d = distinct <= long.MaxValue ? (long)distinct : throw new ArgumentException("distinct is too large");
            int m = minRows <= int.MaxValue ? (int)minRows : throw new ArgumentException("min_rows is too large");
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                if (maxPrefix == 0) WritePlan(writer, BlindIndexPlanner.Plan(n, d, m));
                else WritePrefixPlans(writer, BlindIndexPlanner.PlanPrefix(n, d, (int)Math.Min(minPrefix, 65u), (int)Math.Min(maxPrefix, 65u), (int)Math.Min(alphabet, int.MaxValue), m));
            }
            InfoExports.WriteString(buffer.ToArray(), json, jsonLength);
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    private static void WritePrefixPlans(Utf8JsonWriter writer, IReadOnlyList<PrefixIndexPlan> plans)
    {
        writer.WriteStartObject();
        writer.WriteStartArray("prefixes");
        foreach (var p in plans)
        {
            writer.WriteStartObject();
            writer.WriteNumber("length", p.Length);
            writer.WriteNumber("distinct_prefixes", p.DistinctPrefixes);
            writer.WritePropertyName("plan");
            WritePlan(writer, p.Plan);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WritePlan(Utf8JsonWriter writer, BlindIndexPlan plan)
    {
        writer.WriteStartObject();
        writer.WriteNumber("bits", plan.Bits);
        writer.WriteNumber("rows_per_unique_value", plan.RowsPerUniqueValue);
        writer.WriteNumber("rows_per_lookup", plan.RowsPerLookup);
        writer.WriteNumber("distinct_values_per_index_value", plan.DistinctValuesPerIndexValue);
        writer.WriteStartArray("warnings");
        foreach (var w in plan.Warnings)
        {
            writer.WriteStringValue(w switch
            {
                BlindIndexWarning.LowCardinality => "low_cardinality",
                BlindIndexWarning.RevealsEquality => "reveals_equality",
                _ => "too_few_rows",
            });
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static BlindIndexDefinition Definition(int kind, uint bits, uint normalizations, uint minPrefix, uint maxPrefix, byte* name, int fields)
    {
        if (bits is 0 or > BlindIndexDefinition.MaxBits) throw new ArgumentException($"bits must be 1 to {BlindIndexDefinition.MaxBits}");
        if (normalizations >> fields != 0) throw new ArgumentException("normalizations has bits set beyond the index's fields");
        string indexName = Name(name);
        TextNormalization Norm(int i) => (normalizations >> i & 1) != 0 ? TextNormalization.CaseInsensitive : TextNormalization.Exact;
        bool noPrefix = minPrefix == 0 && maxPrefix == 0;
        return kind switch
        {
            AbiConstants.IndexExact when fields == 1 && noPrefix => BlindIndexDefinition.Exact(indexName, (int)bits, Norm(0)),
            AbiConstants.IndexPrefix when fields == 1 => BlindIndexDefinition.Prefix(indexName, (int)bits, (int)Math.Min(minPrefix, 65u), (int)Math.Min(maxPrefix, 65u), Norm(0)),
            AbiConstants.IndexCompound when noPrefix => BlindIndexDefinition.Compound(indexName, (int)bits, [.. Enumerable.Range(0, fields).Select(Norm)]),
            AbiConstants.IndexExact or AbiConstants.IndexPrefix or AbiConstants.IndexCompound =>
                throw new ArgumentException("exact and prefix indexes take one field, and only prefix indexes a prefix range"),
            _ => throw new ArgumentException("kind must be PHI_INDEX_EXACT, PHI_INDEX_PREFIX or PHI_INDEX_COMPOUND"),
        };
    }

    private static string Name(byte* name)
    {
        if (name == null) throw new ArgumentException("name is NULL");
        var bytes = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(name);
        if (bytes.Length > BlindIndexDefinition.MaxNameLength * 4) throw new ArgumentException("name is too long");
        return Text(bytes, "name");
    }

    private static string Text(ReadOnlySpan<byte> utf8, string what)
    {
        if (utf8.Length > BlindIndex.MaxValueBytes) throw new ArgumentException($"indexed values are limited to {BlindIndex.MaxValueBytes} bytes of UTF-8");
        try { return Strict.GetString(utf8); }
        catch (DecoderFallbackException) { throw new ArgumentException($"{what} is not valid UTF-8"); }
    }

    // Packed values; a length of SIZE_MAX is a NULL field (compound indexes only).
    private static string?[] Texts(byte* values, ReadOnlySpan<nuint> lengths)
    {
        var result = new string?[lengths.Length];
        long at = 0;
        for (int i = 0; i < lengths.Length; i++)
        {
            if (lengths[i] == nuint.MaxValue) continue;
            if (lengths[i] > BlindIndex.MaxValueBytes) throw new ArgumentException($"value {i}: indexed values are limited to {BlindIndex.MaxValueBytes} bytes of UTF-8");
            result[i] = Text(NativeBuffers.In(values + at, lengths[i], "values"), $"value {i}");
            at += (long)lengths[i];
        }
        return result;
    }

    private static int Radix(uint radix) =>
        radix is >= Ff1.MinRadix and <= Ff1.MaxRadix ? (int)radix : throw new ArgumentException($"FF1 radix must be {Ff1.MinRadix} to {Ff1.MaxRadix}");
}

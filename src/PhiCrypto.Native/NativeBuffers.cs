// Caller-owned buffers (phicrypto.h, "Buffers"): inputs are (pointer, length) pairs; outputs are a
// pointer and an in/out length: capacity in, bytes written (or needed) out. A NULL output with
// capacity 0 is a size query: it returns PHI_ERR_BUFFER_TOO_SMALL with the needed size written.
// Every caller-given length is bounded here before anything is allocated for it (phicrypto.h, "Sizes").
using System.Text;

namespace PhiCrypto.Native;

internal static unsafe class NativeBuffers
{
    /// <summary>An input span; NULL is allowed only with length 0.</summary>
    internal static ReadOnlySpan<byte> In(byte* p, nuint length, string name)
    {
        if (length == 0) return default;
        if (p == null) throw new ArgumentException($"{name} is NULL with a nonzero length");
        if (length > int.MaxValue) throw new ArgumentException($"{name} is larger than 2 GiB - 1");
        return new ReadOnlySpan<byte>(p, (int)length);
    }

    /// <summary>The item count of a batch call, at most PHI_FIELD_BATCH_MAX_COUNT.</summary>
    internal static int BatchCount(nuint count)
        => count <= AbiConstants.FieldBatchMaxCount ? (int)count
            : throw new ArgumentException($"count is larger than {AbiConstants.FieldBatchMaxCount} (PHI_FIELD_BATCH_MAX_COUNT)");

    /// <summary>An array of lengths (size_t[count]), count already bounded by <see cref="BatchCount"/>.</summary>
    internal static ReadOnlySpan<nuint> Lengths(nuint* p, int count, string name) => LengthsOut(p, count, name);

    /// <summary>A writable array of lengths (size_t[count]), count already bounded by <see cref="BatchCount"/>.</summary>
    internal static Span<nuint> LengthsOut(nuint* p, int count, string name)
    {
        if (count == 0) return default;
        if (p == null) throw new ArgumentException($"{name} is NULL");
        return new Span<nuint>(p, count);
    }

    /// <summary>The bytes of a NUL-terminated input of at most <paramref name="max"/> bytes; the NUL is
    /// searched no further than that (a missing terminator is an error, not a scan of the heap).</summary>
    internal static ReadOnlySpan<byte> Terminated(byte* p, int max, string name)
    {
        if (p == null) return default;
        int n = 0;
        while (p[n] != 0)
        {
            if (++n > max) throw new ArgumentException($"{name} is longer than {max} bytes");
        }
        return new ReadOnlySpan<byte>(p, n);
    }

    /// <summary>A NUL-terminated UTF-8 string of at most PHI_STRING_MAX bytes; NULL is null.</summary>
    internal static string? String(byte* p, string name)
    {
        if (p == null) return null;
        var bytes = Terminated(p, AbiConstants.StringMax, name);
        try { return StrictUtf8.GetString(bytes); }
        catch (DecoderFallbackException) { throw new ArgumentException($"{name} is not valid UTF-8"); }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>
    /// Reserves exactly <paramref name="needed"/> bytes of the caller's buffer: writes the needed size
    /// to *length and throws BufferTooSmallException when the capacity is smaller.
    /// </summary>
    internal static Span<byte> Out(byte* p, nuint* length, long needed, string name)
    {
        if (length == null) throw new ArgumentException($"{name}_len is NULL");
        nuint capacity = *length;
        *length = (nuint)needed;
        if (capacity < (nuint)needed) throw new BufferTooSmallException(needed);
        if (needed == 0) return default;
        if (p == null) throw new ArgumentException($"{name} is NULL");
        if (needed > int.MaxValue) throw new ArgumentException($"{name} would be larger than 2 GiB - 1");
        return new Span<byte>(p, (int)needed);
    }

    /// <summary>The capacity of an output buffer as a span (for outputs whose length is known only after writing).</summary>
    internal static Span<byte> Capacity(byte* p, nuint* length, string name)
    {
        if (length == null) throw new ArgumentException($"{name}_len is NULL");
        nuint capacity = *length;
        if (capacity == 0) return default;
        if (p == null) throw new ArgumentException($"{name} is NULL");
        return new Span<byte>(p, (int)Math.Min(capacity, (nuint)int.MaxValue));
    }

    internal static void Write<T>(T* p, T value, string name) where T : unmanaged
    {
        if (p == null) throw new ArgumentException($"{name} is NULL");
        *p = value;
    }

    internal static int Checked(nuint value, string name)
        => value <= int.MaxValue ? (int)value : throw new ArgumentException($"{name} is larger than 2 GiB - 1");
}

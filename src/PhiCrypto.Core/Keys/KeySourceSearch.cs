// The search adapter of a key source (docs/search.md): blind indexes and FF1 under keys derived from
// the source's DEK per purpose and version. Writing uses the active version (version 0 below means
// "the active one"); a query computes under every version that can still decrypt, so rows written
// before a rotation are found until re-encryption rewrites them. FF1 through a source binds the
// purpose in the key (K_ff1, see SearchKeys) and in the tweak: tweak = UTF-8(purpose) || 0x00 ||
// caller tweak, at most Ff1.MaxTweakLength bytes in all.
using PhiCrypto.Primitives;
using PhiCrypto.Search;

namespace PhiCrypto.Keys;

/// <summary>One version's index value, for a query across a rotation.</summary>
public readonly record struct VersionedIndexValue(uint Version, byte[] Value);

public static class KeySourceSearch
{
    /// <summary>The search keys of <paramref name="version"/>, or of the active version when it is 0.</summary>
    internal static SearchKeys SearchKeys(this KeySource source, uint version) =>
        version == 0 ? source.ActiveSearchKeys() : source.RequireSearchKeys(version);

    /// <summary>Runs <paramref name="use"/> with the index of <paramref name="definition"/> under
    /// <paramref name="version"/> (0: active), holding the keys intact while it runs.</summary>
    public static T WithBlindIndex<T>(this KeySource source, BlindIndexDefinition definition, uint version, Func<BlindIndex, T> use)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var keys = source.SearchKeys(version);
        using var lease = keys.Lease();
        var index = keys.Index(definition, out bool transient);
        try { return use(index); }
        finally { if (transient) index.Dispose(); }
    }

    /// <summary>The stored index value of <paramref name="value"/> (an exact index), under the active version.</summary>
    public static byte[] BlindIndex(this KeySource source, BlindIndexDefinition definition, string value) =>
        source.WithBlindIndex(definition, 0, index => index.Compute(value));

    /// <summary>Stored prefix values of <paramref name="value"/> (lengths MinPrefix..MaxPrefix), under the active version.</summary>
    public static IReadOnlyList<PrefixIndexValue> BlindIndexPrefixes(this KeySource source, BlindIndexDefinition definition, string value) =>
        source.WithBlindIndex(definition, 0, index => index.ComputePrefixes(value));

    /// <summary>The stored compound value of <paramref name="fields"/>, under the active version.</summary>
    public static byte[] BlindIndexCompound(this KeySource source, BlindIndexDefinition definition, params string?[] fields) =>
        source.WithBlindIndex(definition, 0, index => index.ComputeCompound(fields));

    /// <summary>What to look up for <paramref name="value"/> under every version that can still decrypt,
    /// newest first: the value's index (exact), its prefix query (prefix) or, for a compound index,
    /// <paramref name="value"/> is ignored and <paramref name="fields"/> are used.</summary>
    public static IReadOnlyList<VersionedIndexValue> BlindIndexQuery(this KeySource source, BlindIndexDefinition definition, string? value, IReadOnlyList<string?>? fields = null)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var result = new List<VersionedIndexValue>();
        foreach (uint version in source.DecryptableVersions())
            result.Add(new(version, source.WithBlindIndex(definition, version, index => QueryValue(index, value, fields))));
        return result;
    }

    /// <summary>The query side of one index: exact value, prefix query or compound value.</summary>
    public static byte[] QueryValue(BlindIndex index, string? value, IReadOnlyList<string?>? fields = null)
    {
        ArgumentNullException.ThrowIfNull(index);
        return index.Definition.Kind switch
        {
            BlindIndexKind.Exact => index.Compute(value ?? throw new ArgumentNullException(nameof(value))),
            BlindIndexKind.Prefix => index.ComputePrefixQuery(value ?? throw new ArgumentNullException(nameof(value))).Value,
            _ => ComputeCompound(index, fields ?? throw new ArgumentNullException(nameof(fields))),
        };
    }

    private static byte[] ComputeCompound(BlindIndex index, IReadOnlyList<string?> fields)
    {
        var output = new byte[index.Definition.ValueLength];
        index.ComputeCompound(fields, output);
        return output;
    }

    /// <summary>FF1-encrypts <paramref name="text"/> (alphabet 0-9a-z) under <paramref name="version"/>
    /// (0: the active version); returns the version used.</summary>
    public static uint Ff1Encrypt(this KeySource source, uint version, int radix, ReadOnlySpan<char> text, ReadOnlySpan<byte> tweak, Span<char> output) =>
        source.Ff1(version, radix, text, tweak, output, encrypt: true);

    /// <summary>FF1-decrypts <paramref name="text"/> written under <paramref name="version"/> (1 or more).</summary>
    public static void Ff1Decrypt(this KeySource source, uint version, int radix, ReadOnlySpan<char> text, ReadOnlySpan<byte> tweak, Span<char> output)
    {
        if (version == 0) throw new ArgumentException("FF1 decryption needs the version the value was written under (its version column)", nameof(version));
        source.Ff1(version, radix, text, tweak, output, encrypt: false);
    }

    public static string Ff1Encrypt(this KeySource source, string text, int radix, ReadOnlySpan<byte> tweak, out uint version)
    {
        ArgumentNullException.ThrowIfNull(text);
        var output = new char[text.Length];
        version = source.Ff1Encrypt(0, radix, text, tweak, output);
        return new string(output);
    }

    public static string Ff1Decrypt(this KeySource source, uint version, string text, int radix, ReadOnlySpan<byte> tweak = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        var output = new char[text.Length];
        source.Ff1Decrypt(version, radix, text, tweak, output);
        return new string(output);
    }

    private static uint Ff1(this KeySource source, uint version, int radix, ReadOnlySpan<char> text, ReadOnlySpan<byte> tweak, Span<char> output, bool encrypt)
    {
        var purpose = source.PurposeUtf8;
        if (purpose.Length + 1 + tweak.Length > Primitives.Ff1.MaxTweakLength)
            throw new ArgumentException($"FF1 through a key source: purpose + 1 + tweak must be at most {Primitives.Ff1.MaxTweakLength} bytes");
        Span<byte> fullTweak = stackalloc byte[purpose.Length + 1 + tweak.Length];
        purpose.CopyTo(fullTweak);
        fullTweak[purpose.Length] = 0;
        tweak.CopyTo(fullTweak[(purpose.Length + 1)..]);
        var keys = source.SearchKeys(version);
        using var lease = keys.Lease();
        var ff1 = keys.Ff1(radix);
        if (encrypt) ff1.Encrypt(text, fullTweak, output);
        else ff1.Decrypt(text, fullTweak, output);
        return keys.Version;
    }
}

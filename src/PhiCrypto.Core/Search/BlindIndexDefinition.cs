// What one blind index computes: its kind, the normalization of its input(s), its width in bits and,
// for prefix indexes, the range of prefix lengths. Validated once here; docs/search.md lists what each
// kind reveals. The name is part of the key derivation (BlindIndexKey), so two indexes of one purpose
// never share a key, and a changed definition under the same name is still a different index.
namespace PhiCrypto.Search;

public enum BlindIndexKind : byte
{
    /// <summary>One value, whole: serves `exact` / `in` (or `iexact` with case-insensitive normalization).</summary>
    Exact = 1,
    /// <summary>One index value per prefix length in [MinPrefix, MaxPrefix]: serves `startswith` / `istartswith`.</summary>
    Prefix = 2,
    /// <summary>Several fields together (e.g. last name + date of birth), each length-prefixed.</summary>
    Compound = 3,
}

public sealed record BlindIndexDefinition
{
    public const int MinBits = 1;
    public const int MaxBits = 256;
    public const int MaxNameLength = 255;
    public const int MaxPrefixLength = 64;
    public const int MaxCompoundFields = 16;

    private BlindIndexDefinition(string name, BlindIndexKind kind, int bits, IReadOnlyList<TextNormalization> normalizations, int minPrefix, int maxPrefix)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength) throw new ArgumentException($"an index name is 1 to {MaxNameLength} characters", nameof(name));
        if (bits is < MinBits or > MaxBits) throw new ArgumentOutOfRangeException(nameof(bits), $"a blind index is {MinBits} to {MaxBits} bits");
        if (normalizations.Any(n => !TextNormalizer.IsDefined(n))) throw new ArgumentOutOfRangeException(nameof(normalizations), "unknown text normalization");
        Name = name;
        Kind = kind;
        Bits = bits;
        Normalizations = normalizations;
        MinPrefix = minPrefix;
        MaxPrefix = maxPrefix;
    }

    /// <summary>An equality index (`exact`, `in`; `iexact` with <see cref="TextNormalization.CaseInsensitive"/>).</summary>
    public static BlindIndexDefinition Exact(string name, int bits, TextNormalization normalization = TextNormalization.Exact)
        => new(name, BlindIndexKind.Exact, bits, [normalization], 0, 0);

    /// <summary>A prefix index: one value per prefix length from <paramref name="minPrefix"/> to <paramref name="maxPrefix"/>
    /// (in Unicode scalar values, after normalization).</summary>
    public static BlindIndexDefinition Prefix(string name, int bits, int minPrefix, int maxPrefix, TextNormalization normalization = TextNormalization.CaseInsensitive)
    {
        if (minPrefix < 1 || maxPrefix < minPrefix || maxPrefix > MaxPrefixLength)
            throw new ArgumentOutOfRangeException(nameof(maxPrefix), $"prefix lengths must satisfy 1 <= min <= max <= {MaxPrefixLength}");
        return new(name, BlindIndexKind.Prefix, bits, [normalization], minPrefix, maxPrefix);
    }

    /// <summary>A compound index over several fields, in this order, each with its own normalization.</summary>
    public static BlindIndexDefinition Compound(string name, int bits, params TextNormalization[] fields)
    {
        if (fields is null || fields.Length is < 2 or > MaxCompoundFields)
            throw new ArgumentException($"a compound index covers 2 to {MaxCompoundFields} fields", nameof(fields));
        return new(name, BlindIndexKind.Compound, bits, fields.ToArray(), 0, 0);
    }

    public string Name { get; }
    public BlindIndexKind Kind { get; }
    /// <summary>Width of an index value in bits; values are <see cref="ValueLength"/> bytes, the unused low bits zero.</summary>
    public int Bits { get; }
    /// <summary>One entry per input field (one, except for compound indexes).</summary>
    public IReadOnlyList<TextNormalization> Normalizations { get; }
    public int MinPrefix { get; }
    public int MaxPrefix { get; }

    /// <summary>Bytes per index value: ceil(Bits / 8).</summary>
    public int ValueLength => (Bits + 7) / 8;

    public bool Equals(BlindIndexDefinition? other) =>
        other is not null && Name == other.Name && Kind == other.Kind && Bits == other.Bits
        && MinPrefix == other.MinPrefix && MaxPrefix == other.MaxPrefix && Normalizations.SequenceEqual(other.Normalizations);

    public override int GetHashCode() => HashCode.Combine(Name, Kind, Bits, MinPrefix, MaxPrefix, Normalizations.Count);
}

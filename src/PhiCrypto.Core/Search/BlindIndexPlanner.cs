// Chooses a blind index's width so that a database reader cannot tell rows apart more finely than
// planned (CipherSweet's "coincidence" planning, paragonie.com/blog/2019/01/ciphersweet-searchable-encryption-doesn-t-have-be-bitter).
// With N rows, D distinct values and L bits, an index value of a value held by r rows matches
//   r + (N - r) / 2^L rows on average (its own rows plus false positives, filtered after decryption).
// Requiring at least M rows even for a value held by one row gives 1 + (N - 1) / 2^L >= M, so
//   L = floor(log2((N - 1) / (M - 1))), clamped to 1..256.
// Warnings: few distinct values (a reader who knows the distribution labels them by frequency), and
// values repeating at least M times on average (index values then mostly group rows that share a value).
namespace PhiCrypto.Search;

public enum BlindIndexWarning
{
    /// <summary>Fewer distinct values than the low-cardinality threshold: frequency analysis names them.</summary>
    LowCardinality,
    /// <summary>Values repeat at least M times on average: an index value mostly marks rows sharing one value.</summary>
    RevealsEquality,
    /// <summary>Fewer rows than the minimum per index value: no width can meet it; 1 bit is the floor.</summary>
    TooFewRows,
}

/// <summary>A chosen width and what it implies, on average.</summary>
/// <param name="Bits">Index width.</param>
/// <param name="RowsPerUniqueValue">Rows matched by the index value of a value held by one row (>= M when no TooFewRows).</param>
/// <param name="RowsPerLookup">Rows matched by the index value of a typical value: N/D + (N - N/D) / 2^Bits.</param>
/// <param name="DistinctValuesPerIndexValue">D / 2^Bits: how many distinct values share one index value.</param>
/// <param name="Warnings">What the width cannot hide.</param>
public sealed record BlindIndexPlan(int Bits, double RowsPerUniqueValue, double RowsPerLookup, double DistinctValuesPerIndexValue, IReadOnlyList<BlindIndexWarning> Warnings);

/// <summary>The plan of one prefix length of a prefix index.</summary>
public sealed record PrefixIndexPlan(int Length, long DistinctPrefixes, BlindIndexPlan Plan);

public static class BlindIndexPlanner
{
    public const int DefaultMinRowsPerValue = 2;
    public const long DefaultLowCardinalityThreshold = 1000;

    /// <summary>Plans an exact or compound index over <paramref name="expectedRows"/> rows holding
    /// <paramref name="distinctValues"/> distinct (normalized) values.</summary>
    public static BlindIndexPlan Plan(long expectedRows, long distinctValues, int minRowsPerValue = DefaultMinRowsPerValue,
        long lowCardinalityThreshold = DefaultLowCardinalityThreshold)
    {
        if (expectedRows < 1) throw new ArgumentOutOfRangeException(nameof(expectedRows), "expected rows must be 1 or more");
        if (distinctValues < 1 || distinctValues > expectedRows) throw new ArgumentOutOfRangeException(nameof(distinctValues), "distinct values must be 1 to the expected rows");
        if (minRowsPerValue < 2) throw new ArgumentOutOfRangeException(nameof(minRowsPerValue), "the minimum rows per index value is 2 or more (1 would be no truncation: a unique tag per value)");
        if (lowCardinalityThreshold < 0) throw new ArgumentOutOfRangeException(nameof(lowCardinalityThreshold));

        var warnings = new List<BlindIndexWarning>();
        int bits = WidestBits(expectedRows - 1, minRowsPerValue - 1);
        if (bits < 1)
        {
            bits = 1;
            warnings.Add(BlindIndexWarning.TooFewRows);
        }
        if (distinctValues < lowCardinalityThreshold) warnings.Add(BlindIndexWarning.LowCardinality);
        if (expectedRows / (double)distinctValues >= minRowsPerValue) warnings.Add(BlindIndexWarning.RevealsEquality);

        double buckets = Math.Pow(2, bits), n = expectedRows, perValue = n / distinctValues;
        return new BlindIndexPlan(bits, 1 + (n - 1) / buckets, perValue + (n - perValue) / buckets, distinctValues / buckets, warnings);
    }

    /// <summary>Plans each length of a prefix index. Prefixes of length k take at most
    /// min(<paramref name="distinctValues"/>, alphabetSize^k) distinct values: short ones are low-cardinality.</summary>
    public static IReadOnlyList<PrefixIndexPlan> PlanPrefix(long expectedRows, long distinctValues, int minPrefix, int maxPrefix,
        int alphabetSize = 26, int minRowsPerValue = DefaultMinRowsPerValue, long lowCardinalityThreshold = DefaultLowCardinalityThreshold)
    {
        if (minPrefix < 1 || maxPrefix < minPrefix || maxPrefix > BlindIndexDefinition.MaxPrefixLength)
            throw new ArgumentOutOfRangeException(nameof(maxPrefix), $"prefix lengths must satisfy 1 <= min <= max <= {BlindIndexDefinition.MaxPrefixLength}");
        if (alphabetSize < 2) throw new ArgumentOutOfRangeException(nameof(alphabetSize), "an alphabet has 2 symbols or more");
        var plans = new List<PrefixIndexPlan>();
        for (int k = minPrefix; k <= maxPrefix; k++)
        {
            long prefixes = (long)Math.Min(distinctValues, Math.Pow(alphabetSize, k));
            plans.Add(new PrefixIndexPlan(k, prefixes, Plan(expectedRows, prefixes, minRowsPerValue, lowCardinalityThreshold)));
        }
        return plans;
    }

    // The largest L <= 256 with 2^L * divisor <= dividend, or -1 when even L = 0 fails.
    private static int WidestBits(long dividend, long divisor)
    {
        if (divisor > dividend) return -1;
        int bits = 0;
        while (bits < BlindIndexDefinition.MaxBits && (UInt128)divisor << (bits + 1) <= (UInt128)dividend) bits++;
        return bits;
    }
}

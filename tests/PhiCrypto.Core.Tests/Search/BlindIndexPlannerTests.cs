// The planner's width rule L = floor(log2((N - 1) / (M - 1))) and its warnings.
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using PhiCrypto.Search;

namespace PhiCrypto.Tests.Search;

public class BlindIndexPlannerTests
{
    [Fact]
    public void MillionUniqueSsnsGetNineteenBits()
    {
        var plan = BlindIndexPlanner.Plan(1_000_000, 1_000_000);
        Assert.Equal(19, plan.Bits);                      // 2^19 = 524,288 <= 999,999 < 2^20
        Assert.InRange(plan.RowsPerUniqueValue, 2.0, 3.0); // 1 + 999,999 / 524,288 = 2.9
        Assert.Empty(plan.Warnings);
    }

    [Fact]
    public void LowCardinalityAndRepeatedValuesWarn()
    {
        var sex = BlindIndexPlanner.Plan(1_000_000, 3);
        Assert.Contains(BlindIndexWarning.LowCardinality, sex.Warnings);
        Assert.Contains(BlindIndexWarning.RevealsEquality, sex.Warnings);
        var lastNames = BlindIndexPlanner.Plan(1_000_000, 100_000);
        Assert.DoesNotContain(BlindIndexWarning.LowCardinality, lastNames.Warnings);
        Assert.Contains(BlindIndexWarning.RevealsEquality, lastNames.Warnings);
        Assert.Equal([BlindIndexWarning.TooFewRows, BlindIndexWarning.LowCardinality], BlindIndexPlanner.Plan(3, 3, minRowsPerValue: 8).Warnings);
    }

    [Fact]
    public void ShortPrefixesAreLowCardinality()
    {
        var plans = BlindIndexPlanner.PlanPrefix(1_000_000, 200_000, 1, 4);
        Assert.Equal([26L, 676L, 17_576L, 200_000L], plans.Select(p => p.DistinctPrefixes));
        Assert.Contains(BlindIndexWarning.LowCardinality, plans[0].Plan.Warnings);
        Assert.Contains(BlindIndexWarning.LowCardinality, plans[1].Plan.Warnings);
        Assert.DoesNotContain(BlindIndexWarning.LowCardinality, plans[2].Plan.Warnings);
    }

    [Fact]
    public void BadParametersAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => BlindIndexPlanner.Plan(0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => BlindIndexPlanner.Plan(10, 11));
        Assert.Throws<ArgumentOutOfRangeException>(() => BlindIndexPlanner.Plan(10, 5, minRowsPerValue: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => BlindIndexPlanner.PlanPrefix(10, 5, 3, 2));
    }

    [Property(MaxTest = 500)]
    public Property WidthIsTheWidestMeetingTheMinimum()
    {
        var gen = from rows in Gen.Choose(2, int.MaxValue)
                  from min in Gen.Choose(2, 1000)
                  where rows > min
                  select (rows: (long)rows, min);
        return Prop.ForAll(gen.ToArbitrary(), c =>
        {
            var plan = BlindIndexPlanner.Plan(c.rows, c.rows, c.min);
            // 2^L (M-1) <= N-1 < 2^(L+1) (M-1): L meets the minimum and L+1 would not.
            return ((UInt128)(c.min - 1) << plan.Bits) <= (UInt128)(c.rows - 1)
                && ((UInt128)(c.min - 1) << (plan.Bits + 1)) > (UInt128)(c.rows - 1)
                && plan.RowsPerUniqueValue >= c.min;
        });
    }
}

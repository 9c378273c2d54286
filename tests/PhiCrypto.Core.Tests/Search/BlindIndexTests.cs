// Blind indexes: known answers computed independently, kinds, errors and the normalizer.
// The vectors come from a separate Python 3.11 script (docs/search.md reproduces it): RFC 5869 HKDF and
// HMAC-SHA-256 written with the standard library's hmac/hashlib, normalization with
// unicodedata.normalize("NFKC") and str.casefold() (full Unicode case folding) and " ".join(s.split()).
// DEK = 00 01 .. 1f; purpose "clinic.Patient.last_name" unless noted.
using PhiCrypto.Search;

namespace PhiCrypto.Tests.Search;

public class BlindIndexTests
{
    private static readonly byte[] Dek = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
    private const string Purpose = "clinic.Patient.last_name";

    private static BlindIndex Index(BlindIndexDefinition d, uint version = 1, string purpose = Purpose) => BlindIndex.Create(d, Dek, version, purpose);

    [Fact]
    public void KeyDerivationMatchesPythonHkdf()
    {
        using var key = BlindIndexKey.Derive(Dek, 1, Purpose, "last_name_exact");
        Assert.Equal("c9acd8f2b175616a4f641147900f8ab7de80bd737cc99808aca7396dafd432db", Convert.ToHexStringLower(key.Span));
        Assert.DoesNotContain("c9ac", key.ToString());
    }

    [Fact]
    public void ExactMatchesPython()
    {
        using var v1 = Index(BlindIndexDefinition.Exact("last_name_exact", 32));
        using var v2 = Index(BlindIndexDefinition.Exact("last_name_exact", 32), version: 2);
        Assert.Equal("24413a15", Hex(v1.Compute("O'Brien")));
        Assert.Equal("2b7adb65", Hex(v2.Compute("O'Brien")));
        using var full = Index(BlindIndexDefinition.Exact("full", 256));
        Assert.Equal("b8e5d13e6ecfbd0b620078bc91765d39226fb154504da44326756e10480bbcb4", Hex(full.Compute("")));
    }

    [Fact]
    public void CaseInsensitiveMatchesPythonAndFoldsAlike()
    {
        using var ci = Index(BlindIndexDefinition.Exact("last_name_ci", 20, TextNormalization.CaseInsensitive));
        Assert.Equal("c10100", Hex(ci.Compute("  \u00c9mile\u00a0 ZOLA\t")));   // 20 bits: the last 4 bits zero
        Assert.Equal("c10100", Hex(ci.Compute("e\u0301mile zola")));          // decomposed accent, NFKC composes
        Assert.Equal("f06840", Hex(ci.Compute("STRASSE")));
        Assert.Equal("f06840", Hex(ci.Compute("Stra\u00dfe")));
        Assert.Equal("f06840", Hex(ci.Compute("\uff33\uff34\uff32\uff21\uff33\uff33\uff25"))); // fullwidth
    }

    [Fact]
    public void PrefixMatchesPythonPerLength()
    {
        using var prefix = Index(BlindIndexDefinition.Prefix("last_name_prefix", 16, 3, 5));
        var stored = prefix.ComputePrefixes("Smithson");
        Assert.Equal([3, 4, 5], stored.Select(p => p.Length));
        Assert.Equal(["f921", "7181", "1cdc"], stored.Select(p => Hex(p.Value)));
        Assert.Equal("f921", Hex(prefix.ComputePrefixQuery("smi").Value));
        var longQuery = prefix.ComputePrefixQuery("SMITHS");   // longer than MaxPrefix: looks up length 5
        Assert.Equal((5, "1cdc"), (longQuery.Length, Hex(longQuery.Value)));
        Assert.Equal(Hex(prefix.ComputePrefixes("Li Wei")[0].Value), Hex(prefix.ComputePrefixQuery("LI  ").Value)); // "li " keeps its space
        Assert.NotEqual(Hex(prefix.ComputePrefixes("Lin")[0].Value), Hex(prefix.ComputePrefixQuery("li ").Value));
        Assert.Empty(prefix.ComputePrefixes("Li"));
        Assert.Single(prefix.ComputePrefixes("Lin"));
        var ex = Assert.Throws<ArgumentException>(() => prefix.ComputePrefixQuery("sm"));
        Assert.Contains("3 characters", ex.Message);
    }

    [Fact]
    public void CompoundMatchesPythonWithNulls()
    {
        var d = BlindIndexDefinition.Compound("name_dob", 24, TextNormalization.CaseInsensitive, TextNormalization.Exact);
        using var compound = Index(d, purpose: "clinic.Patient");
        Assert.Equal("c4e5d6", Hex(compound.ComputeCompound("SMITH ", "1980-02-29")));
        Assert.Equal("1dc010", Hex(compound.ComputeCompound("Smith", null)));
        Assert.NotEqual(Hex(compound.ComputeCompound("ab", "c")), Hex(compound.ComputeCompound("a", "bc")));
        Assert.Throws<ArgumentException>(() => compound.ComputeCompound("only one"));
    }

    [Fact]
    public void BatchesEqualSingleCalls()
    {
        using var index = Index(BlindIndexDefinition.Exact("batch", 12));
        string[] values = ["a", "b", "", "O'Brien", "a"];
        var flat = new byte[values.Length * 2];
        index.ComputeBatch(values, flat);
        var arrays = index.ComputeBatch(values);
        for (int i = 0; i < values.Length; i++)
        {
            Assert.Equal(index.Compute(values[i]), flat.AsSpan(i * 2, 2).ToArray());
            Assert.Equal(index.Compute(values[i]), arrays[i]);
        }
        Assert.Throws<ArgumentException>(() => index.ComputeBatch(values, new byte[9]));
    }

    [Fact]
    public void MisuseGetsTypedErrorsWithoutTheValue()
    {
        using var exact = Index(BlindIndexDefinition.Exact("e", 32));
        Assert.Throws<InvalidOperationException>(() => exact.ComputePrefixes("x"));
        Assert.Throws<InvalidOperationException>(() => exact.ComputeCompound("a", "b"));
        var ex = Assert.Throws<ArgumentException>(() => exact.Compute("secret\ud800value"));
        Assert.DoesNotContain("secret", ex.Message);
        Assert.Throws<ArgumentException>(() => exact.Compute(new string('x', BlindIndex.MaxValueBytes + 1)));
        Assert.Throws<ArgumentNullException>(() => exact.Compute(null!));
        Assert.Throws<ArgumentException>(() => exact.Compute("x", new byte[3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => BlindIndexDefinition.Exact("e", 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => BlindIndexDefinition.Exact("e", 257));
        Assert.Throws<ArgumentOutOfRangeException>(() => BlindIndexDefinition.Prefix("p", 16, 4, 3));
        Assert.Throws<ArgumentException>(() => BlindIndexDefinition.Compound("c", 16, TextNormalization.Exact));
        Assert.Throws<ArgumentException>(() => BlindIndex.Create(BlindIndexDefinition.Exact("e", 8), new byte[16], 1, Purpose));
        Assert.Throws<ArgumentOutOfRangeException>(() => BlindIndex.Create(BlindIndexDefinition.Exact("e", 8), Dek, 0, Purpose));
        Assert.Throws<ArgumentException>(() => BlindIndex.Create(BlindIndexDefinition.Exact("e", 8), Dek, 1, ""));
    }

    [Fact]
    public void DisposedIndexRefusesToCompute()
    {
        var index = Index(BlindIndexDefinition.Exact("e", 32));
        index.Dispose();
        Assert.Throws<ObjectDisposedException>(() => index.Compute("x"));
    }

    [Theory]
    [InlineData("  Hello \t\n World  ", "hello world")]
    [InlineData("\ufb01le", "file")]                 // ligature: NFKC
    [InlineData("\u017ftop", "stop")]                // long s: folds to s
    [InlineData("\u1e9e", "ss")]                     // capital sharp s
    [InlineData("\u03a3\u03c2", "\u03c3\u03c3")]     // sigma and final sigma
    [InlineData("\u2460", "1")]                      // circled digit one
    [InlineData("", "")]
    public void CaseInsensitiveNormalization(string input, string expected)
        => Assert.Equal(expected, TextNormalizer.Normalize(input, TextNormalization.CaseInsensitive));

    [Fact]
    public void PrefixNeverSplitsASurrogatePair()
    {
        Assert.Equal("a\U0001F600", TextNormalizer.Prefix("a\U0001F600b", 2));
        Assert.Null(TextNormalizer.Prefix("ab", 3));
        Assert.Equal(3, TextNormalizer.ScalarCount("a\U0001F600b"));
    }

    private static string Hex(byte[] b) => Convert.ToHexStringLower(b);
}

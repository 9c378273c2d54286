// FsCheck properties of blind indexes: inputs equal after normalization index equally; different DEKs,
// purposes, versions and index names give independent values; a b-bit value is exactly the leftmost b
// bits of the 256-bit one; a prefix query finds the value's stored prefix.
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using PhiCrypto.Primitives;
using PhiCrypto.Search;

namespace PhiCrypto.Tests.Search;

public class BlindIndexProperties
{
    private static readonly Gen<string> Words =
        Gen.Elements("smith", "o'brien", "émile", "zoë", "straße", "núñez", "ﬁsher", "李", "garcía", "ǆ", "x")
            .ArrayOf().Where(a => a.Length > 0).Select(a => string.Join(' ', a));

    // Rewrites a value into a form that normalizes to the same thing: case, extra whitespace, NFD.
    private static readonly Gen<string> Variants =
        from text in Words
        from upper in Gen.Elements(true, false)
        from decompose in Gen.Elements(true, false)
        from pad in Gen.Elements("", " ", "\t", "\u00a0", "  \n")
        let cased = upper ? text.ToUpperInvariant() : text
        let spaced = pad + cased.Replace(" ", " " + pad) + pad
        select decompose ? spaced.Normalize(NormalizationForm.FormD) : spaced;

    [Property(MaxTest = 200)]
    public Property CaseInsensitiveIndexIgnoresCaseWhitespaceAndForm()
    {
        var pairs = from a in Words from v in Variants select (a, v);
        return Prop.ForAll(pairs.ToArbitrary(), p =>
        {
            using var index = BlindIndex.Create(BlindIndexDefinition.Exact("ci", 64, TextNormalization.CaseInsensitive), Dek(1), 1, "p");
            bool sameNormal = TextNormalizer.Normalize(p.a, TextNormalization.CaseInsensitive) == TextNormalizer.Normalize(p.v, TextNormalization.CaseInsensitive);
            bool sameIndex = index.Compute(p.a).AsSpan().SequenceEqual(index.Compute(p.v));
            return sameNormal == sameIndex; // 64 bits: a collision of different values is 2^-64
        });
    }

    [Property(MaxTest = 200)]
    public Property VariantOfAValueIndexesLikeIt()
    {
        var gen = from text in Words from upper in Gen.Elements(true, false) from pad in Gen.Elements(" ", "\t ", "\u3000")
                  select (text, variant: pad + (upper ? text.ToUpperInvariant() : text).Normalize(NormalizationForm.FormD) + pad);
        return Prop.ForAll(gen.ToArbitrary(), p =>
        {
            using var index = BlindIndex.Create(BlindIndexDefinition.Exact("ci", 32, TextNormalization.CaseInsensitive), Dek(2), 1, "p");
            return index.Compute(p.text).AsSpan().SequenceEqual(index.Compute(p.variant));
        });
    }

    [Property(MaxTest = 100)]
    public bool KeysPurposesVersionsAndNamesAreIndependent(NonNull<string> value)
    {
        string v = value.Get.Replace('\ud800', 'x').Replace('\udc00', 'y');
        if (!IsValidUtf16(v)) return true;
        var dek = SecureRandom.GetBytes(32);
        var baseline = Full(dek, 1, "clinic.Patient.ssn", "ssn", v);
        return new[]
        {
            Full(SecureRandom.GetBytes(32), 1, "clinic.Patient.ssn", "ssn", v),
            Full(dek, 2, "clinic.Patient.ssn", "ssn", v),
            Full(dek, 1, "clinic.Patient.mrn", "ssn", v),
            Full(dek, 1, "clinic.Patient.ssn", "ssn2", v),
        }.All(other => !other.AsSpan().SequenceEqual(baseline))
            && Full(dek, 1, "clinic.Patient.ssn", "ssn", v).AsSpan().SequenceEqual(baseline);
    }

    [Property(MaxTest = 300)]
    public Property TruncationKeepsExactlyTheLeftmostBits()
    {
        var gen = from bits in Gen.Choose(1, 256) from value in Words select (bits, value);
        return Prop.ForAll(gen.ToArbitrary(), c =>
        {
            var dek = Dek(3);
            var full = Full(dek, 1, "p", "t", c.value);
            using var index = BlindIndex.Create(BlindIndexDefinition.Exact("t", c.bits), dek, 1, "p");
            var cut = index.Compute(c.value);
            if (cut.Length != (c.bits + 7) / 8) return false;
            for (int bit = 0; bit < cut.Length * 8; bit++)
            {
                int got = (cut[bit / 8] >> (7 - bit % 8)) & 1;
                int want = bit < c.bits ? (full[bit / 8] >> (7 - bit % 8)) & 1 : 0;
                if (got != want) return false;
            }
            return true;
        });
    }

    [Property(MaxTest = 200)]
    public Property PrefixQueryFindsTheStoredPrefix()
    {
        var gen = from text in Words.Where(w => TextNormalizer.ScalarCount(w) >= 2) from variant in Gen.Elements(true, false) select (text, variant);
        return Prop.ForAll(gen.ToArbitrary(), c =>
        {
            using var index = BlindIndex.Create(BlindIndexDefinition.Prefix("p", 16, 2, 6), Dek(4), 1, "p");
            var stored = index.ComputePrefixes(c.text);
            string normalized = TextNormalizer.Normalize(c.text, TextNormalization.CaseInsensitive);
            int length = TextNormalizer.ScalarCount(normalized);
            return Enumerable.Range(2, length - 1).All(k =>
            {
                string query = TextNormalizer.Prefix(normalized, k)!;
                var found = index.ComputePrefixQuery(c.variant ? query.ToUpperInvariant() : query);
                return stored.Any(s => s.Length == found.Length && s.Value.AsSpan().SequenceEqual(found.Value));
            });
        });
    }

    private static byte[] Full(byte[] dek, uint version, string purpose, string name, string value)
    {
        using var index = BlindIndex.Create(BlindIndexDefinition.Exact(name, 256), dek, version, purpose);
        return index.Compute(value);
    }

    private static byte[] Dek(byte fill) => Enumerable.Repeat(fill, 32).ToArray();

    private static bool IsValidUtf16(string s)
    {
        try { BlindIndexKey.Strict.GetByteCount(s); return true; }
        catch (EncoderFallbackException) { return false; }
    }
}

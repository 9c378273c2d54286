// Text normalization for blind indexes, so equal-looking values index equally.
//   Exact:            the string as given (ordinal equality, what the database's `=` does).
//   CaseInsensitive:  NFKC (Unicode UAX #15: compatibility forms fold, e.g. "ｆｉ" -> "fi", NBSP -> space),
//                     then case folding, then NFKC again, then whitespace collapse: every run of Unicode
//                     White_Space (char.IsWhiteSpace) becomes one U+0020, leading and trailing runs removed.
// Case folding here is per-character ToUpperInvariant then ToLowerInvariant (so "ſ", "S" and "s" meet,
// as do "ς", "Σ" and "σ"), plus the one full folding NFKC leaves: "ß" and "ẞ" -> "ss". It is not the
// whole of Unicode's CaseFolding.txt (e.g. "İ" stays "İ" here, folds to "i̇" there); every binding reaches
// this one implementation through the C ABI, so stored and queried values always fold alike.
// NFKC and full case mappings come from ICU. Under InvariantGlobalization .NET silently leaves text
// unnormalized and skips mappings such as "ſ" -> "S", so indexes would differ from an ICU host's:
// case-insensitive normalization is refused there (PolicyViolationException), never computed wrong.
using System.Text;

namespace PhiCrypto.Search;

/// <summary>How a value is normalized before it is indexed.</summary>
public enum TextNormalization : byte
{
    /// <summary>Ordinal: the value exactly as given.</summary>
    Exact = 1,
    /// <summary>NFKC, case folding and whitespace collapse.</summary>
    CaseInsensitive = 2,
}

public static class TextNormalizer
{
    /// <summary>The normalized form of <paramref name="value"/>.</summary>
    public static string Normalize(string value, TextNormalization normalization) => Normalize(value, normalization, prefixQuery: false);

    /// <summary>The normalized form of a `startswith` argument: as <see cref="Normalize(string, TextNormalization)"/>,
    /// except that trailing whitespace stays as one space ("smith " must not find "smithson").</summary>
    public static string NormalizePrefixQuery(string value, TextNormalization normalization) => Normalize(value, normalization, prefixQuery: true);

    private static string Normalize(string value, TextNormalization normalization, bool prefixQuery)
    {
        ArgumentNullException.ThrowIfNull(value);
        return normalization switch
        {
            TextNormalization.Exact => value,
            TextNormalization.CaseInsensitive when !s_hasUnicodeData => throw new PolicyViolationException(
                "case-insensitive blind indexes need ICU's Unicode data; this process runs with InvariantGlobalization, where NFKC and case folding would silently differ from other hosts"),
            TextNormalization.CaseInsensitive => CollapseWhitespace(Fold(value.Normalize(NormalizationForm.FormKC)).Normalize(NormalizationForm.FormKC), prefixQuery),
            _ => throw new ArgumentOutOfRangeException(nameof(normalization), "unknown text normalization"),
        };
    }

    // Probes behaviour, not settings: "ﬁ" must decompose and "ſ" must upper-case to "S".
    private static volatile bool s_hasUnicodeData =
        "\uFB01".Normalize(NormalizationForm.FormKC) == "fi" && "\u017F".ToUpperInvariant() == "S";

    /// <summary>Tests only: pretend the process has (or lacks) Unicode data; dispose to restore.</summary>
    internal static IDisposable OverrideUnicodeDataForTests(bool present)
    {
        bool previous = s_hasUnicodeData;
        s_hasUnicodeData = present;
        return new Restore(() => s_hasUnicodeData = previous);
    }

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }

    /// <summary>False when the process has no Unicode data (InvariantGlobalization): case-insensitive indexes are refused.</summary>
    public static bool CaseInsensitiveSupported => s_hasUnicodeData;

    private static string Fold(string value)
    {
        string lower = value.ToUpperInvariant().ToLowerInvariant();
        return lower.Contains('ß') ? lower.Replace("ß", "ss", StringComparison.Ordinal) : lower;
    }

    private static string CollapseWhitespace(string value, bool keepTrailingSpace)
    {
        var sb = new StringBuilder(value.Length);
        bool pendingSpace = false;
        foreach (char c in value)
        {
            if (char.IsWhiteSpace(c))
            {
                pendingSpace = sb.Length > 0;
                continue;
            }
            if (pendingSpace) sb.Append(' ');
            pendingSpace = false;
            sb.Append(c);
        }
        if (pendingSpace && keepTrailingSpace) sb.Append(' ');
        return sb.ToString();
    }

    /// <summary>The first <paramref name="count"/> Unicode scalar values of <paramref name="value"/>
    /// (never splitting a surrogate pair), or null when it has fewer.</summary>
    public static string? Prefix(string value, int count)
    {
        int end = 0, seen = 0;
        while (seen < count && end < value.Length)
        {
            end += char.IsSurrogatePair(value, end) ? 2 : 1;
            seen++;
        }
        return seen == count ? value[..end] : null;
    }

    /// <summary>The number of Unicode scalar values in <paramref name="value"/>.</summary>
    public static int ScalarCount(string value)
    {
        int n = 0;
        for (int i = 0; i < value.Length; i += char.IsSurrogatePair(value, i) ? 2 : 1) n++;
        return n;
    }

    internal static bool IsDefined(TextNormalization n) => n is TextNormalization.Exact or TextNormalization.CaseInsensitive;
}

// Text normalization for blind indexes, so equal-looking values index equally.
//   Exact:            the string as given (ordinal equality, what the database's `=` does).
//   CaseInsensitive:  NFKC (Unicode UAX #15: compatibility forms fold, e.g. "ｆｉ" -> "fi", NBSP -> space),
//                     then case folding, then NFKC again, then whitespace collapse: every run of Unicode
//                     White_Space (char.IsWhiteSpace) becomes one U+0020, leading and trailing runs removed.
// Case folding here is per-character ToUpperInvariant then ToLowerInvariant (so "ſ", "S" and "s" meet,
// as do "ς", "Σ" and "σ"), plus the one full folding NFKC leaves: "ß" and "ẞ" -> "ss". It is not the
// whole of Unicode's CaseFolding.txt (e.g. "İ" folds to "i" here, to "i̇" there); every binding reaches
// this one implementation through the C ABI, so stored and queried values always fold alike.
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
            TextNormalization.CaseInsensitive => CollapseWhitespace(Fold(value.Normalize(NormalizationForm.FormKC)).Normalize(NormalizationForm.FormKC), prefixQuery),
            _ => throw new ArgumentOutOfRangeException(nameof(normalization), "unknown text normalization"),
        };
    }

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

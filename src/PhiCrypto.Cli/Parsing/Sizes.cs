// The one size syntax of every phicrypt option: bytes, or a number with a binary unit, written
// K, M, G, T or KiB, MiB, GiB, TiB (1K = 1KiB = 1024 bytes; case-insensitive; a trailing B is allowed).
using System.Globalization;

namespace PhiCrypto.Cli.Parsing;

internal static class Sizes
{
    public const string Syntax = "bytes, or a number with K, M, G, T (or KiB, MiB, GiB, TiB; binary units)";

    /// <summary>Parses <paramref name="text"/>; anything else is a usage error naming <paramref name="option"/>.</summary>
    public static long Parse(string text, string option)
    {
        if (TryParse(text, out long bytes)) return bytes;
        throw new UsageException($"{option}: '{text}' is not a size (use {Syntax}, e.g. 64K or 1GiB)");
    }

    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var t = text.Trim().ToUpperInvariant();
        if (t.EndsWith("IB", StringComparison.Ordinal)) t = t[..^2];
        else if (t.Length > 1 && t.EndsWith('B') && char.IsLetter(t[^2])) t = t[..^1];
        int shift = t.Length == 0 ? 0 : t[^1] switch { 'K' => 10, 'M' => 20, 'G' => 30, 'T' => 40, _ => 0 };
        if (shift > 0) t = t[..^1];
        if (!long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n > long.MaxValue >> shift) return false;
        bytes = n << shift;
        return true;
    }
}

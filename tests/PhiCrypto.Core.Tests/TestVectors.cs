namespace PhiCrypto.Tests;

/// <summary>Locates the external test vectors: $PHICRYPTO_VECTORS, else ../shared/vectors beside the repo.</summary>
public static class TestVectors
{
    public static string? Root { get; } = Find();

    /// <summary>The path of a vector file or folder, or null when absent (a failure under CI=true).</summary>
    public static string? Path(params string[] parts)
    {
        if (Root is null)
        {
            if (IsCi) throw new InvalidOperationException("test vectors not found: set PHICRYPTO_VECTORS or place them at ../shared/vectors");
            return null;
        }
        var p = System.IO.Path.Combine([Root, .. parts]);
        if (!File.Exists(p) && !Directory.Exists(p))
        {
            if (IsCi) throw new FileNotFoundException($"test vector missing under CI: {p}");
            return null;
        }
        return p;
    }

    public static bool IsCi => Environment.GetEnvironmentVariable("CI") is "true" or "1";

    private static string? Find()
    {
        var env = Environment.GetEnvironmentVariable("PHICRYPTO_VECTORS");
        if (!string.IsNullOrEmpty(env)) return Directory.Exists(env) ? env : null;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared", "vectors");
            if (Directory.Exists(candidate)) return candidate;
        }
        return null;
    }
}

// Process-wide choice of backend. FIPS mode (PHICRYPTO_FIPS=1 or CryptoPolicy.EnableFips()) routes all
// cryptography through OpenSSL (System.Security.Cryptography) and refuses non-approved algorithms.
// FipsStatus reports whether OpenSSL's own FIPS provider is active (see OpenSslFips.cs): the policy
// decides the routing, the provider decides whether the module underneath is the validated one.
// Keyed objects pick their backend when created, so FIPS mode must be on before the first key exists:
// EnableFips() afterwards throws. Deterministic AES-SIV is not an approved mode: in FIPS mode it is
// refused unless PHICRYPTO_FIPS_ALLOW_AES_SIV=1 or AllowAesSivInFipsMode() says otherwise.
namespace PhiCrypto.Primitives;

public enum AeadBackend
{
    /// <summary>libsodium through NSec.Cryptography: the default, fastest (needs AES-NI + PCLMUL).</summary>
    Sodium,
    /// <summary>OpenSSL through System.Security.Cryptography.AesGcm: the FIPS backend.</summary>
    OpenSsl,
}

public static class CryptoPolicy
{
    /// <summary>The environment variable that allows AES-SIV in FIPS mode ("1" or "true").</summary>
    public const string AllowAesSivVariable = "PHICRYPTO_FIPS_ALLOW_AES_SIV";

    private static volatile bool s_fips = IsSet("PHICRYPTO_FIPS");
    private static volatile bool s_allowSiv = IsSet(AllowAesSivVariable);
    private static volatile bool s_keyCreated;

    private static bool IsSet(string variable) => Environment.GetEnvironmentVariable(variable) is "1" or "true";

    /// <summary>True when FIPS mode is on: OpenSSL only, approved algorithms only.</summary>
    public static bool FipsMode => s_fips;

    /// <summary>Turns FIPS mode on for the rest of the process. It cannot be turned off again. Keyed objects
    /// choose their backend when created, so this throws <see cref="PolicyViolationException"/> once a key
    /// exists (unless FIPS mode is already on): set PHICRYPTO_FIPS=1 or call it first thing.</summary>
    public static void EnableFips()
    {
        if (s_fips) return;
        if (s_keyCreated)
            throw new PolicyViolationException("FIPS mode must be enabled before any key is created (keys already made keep their non-FIPS backend); set PHICRYPTO_FIPS=1 or enable it at startup");
        s_fips = true;
    }

    /// <summary>True when deterministic AES-SIV may run in FIPS mode (a named, explicit exception).</summary>
    public static bool AesSivAllowedInFipsMode => s_allowSiv;

    /// <summary>Lets AES-SIV (not an approved mode) run in FIPS mode for the rest of the process, e.g. to read
    /// deterministic columns while migrating them to blind indexes. Also: PHICRYPTO_FIPS_ALLOW_AES_SIV=1.</summary>
    public static void AllowAesSivInFipsMode() => s_allowSiv = true;

    /// <summary>Throws <see cref="PolicyViolationException"/> when FIPS mode is on and AES-SIV is not allowed.</summary>
    public static void RequireAesSivAllowed()
    {
        if (s_fips && !s_allowSiv)
            throw new PolicyViolationException($"AES-SIV (deterministic fields) is not a FIPS-approved mode and FIPS mode is on; use a blind index with randomized fields, or set {AllowAesSivVariable}=1 to allow it");
    }

    /// <summary>Called by every keyed object when it picks its backend: from then on EnableFips() is refused.</summary>
    internal static void NoteKeyCreated() => s_keyCreated = true;

    /// <summary>Tests only: sets FIPS mode until the result is disposed, then restores it. Tests using it
    /// must not run in parallel with others (the policy is process-wide).</summary>
    internal static IDisposable OverrideForTests(bool fips, bool allowSiv = false, bool? keyCreated = null)
    {
        var restore = new Restore(s_fips, s_allowSiv, keyCreated is null ? null : s_keyCreated);
        s_fips = fips;
        s_allowSiv = allowSiv;
        if (keyCreated is { } k) s_keyCreated = k;
        return restore;
    }

    private sealed class Restore(bool fips, bool allowSiv, bool? keyCreated) : IDisposable
    {
        public void Dispose()
        {
            (s_fips, s_allowSiv) = (fips, allowSiv);
            if (keyCreated is { } k) s_keyCreated = k;
        }
    }

    /// <summary>The AES-GCM backend new keys use under the current policy.</summary>
    public static AeadBackend DefaultAeadBackend =>
        s_fips || !global::NSec.Cryptography.Aes256Gcm.IsSupported ? AeadBackend.OpenSsl : AeadBackend.Sodium;

    /// <summary>The policy and OpenSSL's FIPS state (provider available, default properties); never throws.</summary>
    public static FipsStatus GetFipsStatus() => OpenSslFips.Query(s_fips);

    /// <summary>Throws <see cref="PolicyViolationException"/> when FIPS mode forbids <paramref name="algorithm"/>.</summary>
    public static void RequireApproved(string algorithm, bool approved)
    {
        if (s_fips && !approved)
            throw new PolicyViolationException($"{algorithm} is not a FIPS-approved algorithm and FIPS mode is on");
    }
}

// Process-wide choice of backend. FIPS mode (PHICRYPTO_FIPS=1 or CryptoPolicy.EnableFips()) routes all
// cryptography through OpenSSL (System.Security.Cryptography) and refuses non-approved algorithms.
// FipsStatus reports whether OpenSSL's own FIPS provider is active (see OpenSslFips.cs): the policy
// decides the routing, the provider decides whether the module underneath is the validated one.
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
    private static volatile bool s_fips = Environment.GetEnvironmentVariable("PHICRYPTO_FIPS") is "1" or "true";

    /// <summary>True when FIPS mode is on: OpenSSL only, approved algorithms only.</summary>
    public static bool FipsMode => s_fips;

    /// <summary>Turns FIPS mode on for the rest of the process. It cannot be turned off again. Keyed objects
    /// choose their backend when created, so call this before creating any key.</summary>
    public static void EnableFips() => s_fips = true;

    /// <summary>Tests only: sets FIPS mode until the result is disposed, then restores it. Tests using it
    /// must not run in parallel with others (the policy is process-wide).</summary>
    internal static IDisposable OverrideForTests(bool fips)
    {
        bool previous = s_fips;
        s_fips = fips;
        return new Restore(previous);
    }

    private sealed class Restore(bool previous) : IDisposable
    {
        public void Dispose() => s_fips = previous;
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

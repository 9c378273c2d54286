// Asks OpenSSL 3 (libcrypto.so.3, the library .NET itself loads) whether its FIPS provider is available
// and whether the default properties demand FIPS (OSSL_PROVIDER_available, EVP_default_properties_is_fips_enabled;
// OpenSSL 3.0 man pages). Looked up with NativeLibrary.TryLoad/TryGetExport so a missing library or an
// OpenSSL 1.1 gives "unknown" (null) instead of a crash; function pointers keep it NativeAOT-friendly.
using System.Runtime.InteropServices;

namespace PhiCrypto.Primitives;

/// <summary>What the process knows about FIPS: the library policy and OpenSSL's state.</summary>
/// <param name="PolicyEnabled">PhiCrypto's FIPS mode (<see cref="CryptoPolicy.FipsMode"/>).</param>
/// <param name="ProviderAvailable">OpenSSL's "fips" provider is loaded and usable; null when OpenSSL 3 was not found.</param>
/// <param name="DefaultPropertiesFips">OpenSSL's default fetch properties require "fips=yes"; null when unknown.</param>
/// <param name="OpenSslVersion">OpenSSL's version string, or null.</param>
public sealed record FipsStatus(bool PolicyEnabled, bool? ProviderAvailable, bool? DefaultPropertiesFips, string? OpenSslVersion)
{
    /// <summary>FIPS mode on, OpenSSL's FIPS provider available, and OpenSSL's default properties selecting
    /// it ("fips=yes"), so every algorithm .NET fetches comes from the FIPS provider, not the default one.</summary>
    public bool FullyValidated => PolicyEnabled && ProviderAvailable == true && DefaultPropertiesFips == true;
}

internal static unsafe class OpenSslFips
{
    private static readonly string[] s_names = ["libcrypto.so.3", "libcrypto.so"];

    public static FipsStatus Query(bool policyEnabled)
    {
        if (!TryLoad(out var lib)) return new FipsStatus(policyEnabled, null, null, null);
        bool? provider = null, defaults = null;
        string? version = null;
        if (NativeLibrary.TryGetExport(lib, "OSSL_PROVIDER_available", out var available))
        {
            fixed (byte* fips = "fips\0"u8)
                provider = ((delegate* unmanaged<IntPtr, byte*, int>)available)(IntPtr.Zero, fips) == 1;
        }
        if (NativeLibrary.TryGetExport(lib, "EVP_default_properties_is_fips_enabled", out var isFips))
            defaults = ((delegate* unmanaged<IntPtr, int>)isFips)(IntPtr.Zero) == 1;
        if (NativeLibrary.TryGetExport(lib, "OpenSSL_version", out var ver))
            version = Marshal.PtrToStringUTF8((IntPtr)((delegate* unmanaged<int, byte*>)ver)(0));
        return new FipsStatus(policyEnabled, provider, defaults, version);
    }

    // The handle stays loaded for the process: libcrypto is already mapped by .NET, so this only adds a reference.
    private static bool TryLoad(out IntPtr lib)
    {
        foreach (var name in s_names)
            if (NativeLibrary.TryLoad(name, out lib)) return true;
        lib = IntPtr.Zero;
        return false;
    }
}

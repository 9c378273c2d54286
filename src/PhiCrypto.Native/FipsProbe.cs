// Whether OpenSSL's FIPS provider is available in this process (OpenSSL 3: OSSL_PROVIDER_available).
// libcrypto is already loaded by .NET's OpenSSL shim; a missing symbol means OpenSSL 1.x: no provider.
using System.Runtime.InteropServices;

namespace PhiCrypto.Native;

internal static partial class FipsProbe
{
    internal static bool ProviderAvailable()
    {
        try
        {
            return OSSL_PROVIDER_available(0, "fips") == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport("libcrypto.so.3", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OSSL_PROVIDER_available(nint libraryContext, string name);
}

// The library is built with InvariantGlobalization=false so that case-insensitive blind indexes
// (NFKC, case folding: PhiCrypto.Search.TextNormalizer) get ICU's Unicode data, the same as every other
// host. .NET loads libicu on first use of culture data and, when it finds none, ends the process
// (Environment.FailFast): a library must not take its host down for a missing package. So before
// anything runs we look for libicuuc the way .NET does (versions 50 and up) and, when there is none,
// fall back to invariant mode; exact indexes keep working, case-insensitive ones are refused with
// PHI_ERR_POLICY (TextNormalizer), never computed differently. Debian: libicu72 (build.sh installs it).
// DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 asks for the same fallback (and lets tests see it).
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PhiCrypto.Native;

internal static class Globalization
{
    private const string InvariantSwitch = "System.Globalization.Invariant";

#pragma warning disable CA2255 // a NativeAOT library is its own application: this must run before any export does
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void FallBackToInvariantWithoutIcu()
    {
        if (AppContext.TryGetSwitch(InvariantSwitch, out bool invariant) && invariant) return;
        // The build's own switch (false) would hide .NET's documented variable from the runtime: honour it here.
        bool asked = Environment.GetEnvironmentVariable("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT") is "1" or "true";
        if (asked || !HasIcu()) AppContext.SetSwitch(InvariantSwitch, true);
    }

    private static bool HasIcu()
    {
        if (Environment.GetEnvironmentVariable("CLR_ICU_VERSION_OVERRIDE") is { Length: > 0 } version && TryLoad($"libicuuc.so.{version}")) return true;
        for (int major = 120; major >= 50; major--)
        {
            if (TryLoad($"libicuuc.so.{major}")) return true;
        }
        return TryLoad("libicuuc.so");
    }

    // A found library stays loaded: .NET loads it next anyway, and dlclose would leak glibc's bookkeeping.
    private static bool TryLoad(string name) => NativeLibrary.TryLoad(name, out _);
}

// phi_version, phi_last_error, phi_fips_status, phi_fips_enable (phicrypto.h, "Library").
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PhiCrypto.Primitives;

namespace PhiCrypto.Native;

internal static unsafe class InfoExports
{
    private static readonly byte[] s_version = Abi.Utf8(
        (typeof(InfoExports).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0").Split('+')[0]);

    [UnmanagedCallersOnly(EntryPoint = "phi_version", CallConvs = [typeof(CallConvCdecl)])]
    private static int Version(byte* buffer, nuint* length)
    {
        try
        {
            WriteString(s_version, buffer, length);
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    /// <summary>Copies this thread's last error message; does not itself change it (except on its own failure).</summary>
    [UnmanagedCallersOnly(EntryPoint = "phi_last_error", CallConvs = [typeof(CallConvCdecl)])]
    private static int LastError(byte* buffer, nuint* length)
    {
        try
        {
            if (length == null) return (int)PhiStatus.InvalidArgument;
            var message = Abi.Utf8(Abi.LastError);
            nuint needed = (nuint)message.Length + 1;
            nuint capacity = *length;
            *length = needed;
            if (capacity < needed) return (int)PhiStatus.BufferTooSmall;
            if (buffer == null) return (int)PhiStatus.InvalidArgument;
            message.CopyTo(new Span<byte>(buffer, message.Length));
            buffer[message.Length] = 0;
            return 0;
        }
        catch (Exception) { return (int)PhiStatus.Internal; }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_fips_status", CallConvs = [typeof(CallConvCdecl)])]
    private static int FipsStatus(int* fipsMode, int* providerAvailable)
    {
        try
        {
            var status = CryptoPolicy.GetFipsStatus();
            if (fipsMode != null) *fipsMode = status.PolicyEnabled ? 1 : 0;
            if (providerAvailable != null) *providerAvailable = status.ProviderAvailable switch { true => 1, false => 0, null => -1 };
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_fips_enable", CallConvs = [typeof(CallConvCdecl)])]
    private static int FipsEnable()
    {
        try
        {
            CryptoPolicy.EnableFips();
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    /// <summary>Writes a NUL-terminated string with the buffer convention (the length counts the NUL).</summary>
    internal static void WriteString(ReadOnlySpan<byte> utf8, byte* buffer, nuint* length)
    {
        var output = NativeBuffers.Out(buffer, length, utf8.Length + 1, "buffer");
        utf8.CopyTo(output);
        output[^1] = 0;
    }
}

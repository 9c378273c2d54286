// The C ABI's error convention (interop/include/phicrypto.h, "Errors"): every export returns an int
// status, 0 or a negative PhiStatus, and records a message in a thread-local last error. Every export
// wraps its body in try/catch and calls Fail: an exception escaping [UnmanagedCallersOnly] aborts the host.
using System.Security.Cryptography;
using System.Text;

namespace PhiCrypto.Native;

internal static class Abi
{
    [ThreadStatic] private static string? t_lastError;

    internal static string LastError => t_lastError ?? "";

    /// <summary>Maps an exception to a status and records its message for phi_last_error.</summary>
    internal static int Fail(Exception e)
    {
        // A static initializer that failed (e.g. the provider refused the random generator) is its cause.
        while (e is TypeInitializationException { InnerException: { } cause }) e = cause;
        (PhiStatus status, string message) = e switch
        {
            PhiCryptoException p => (p.Status, p.Message),
            BufferTooSmallException b => (PhiStatus.BufferTooSmall, b.Message),
            ArgumentException a => (PhiStatus.InvalidArgument, WithoutParamName(a)),
            ObjectDisposedException or InvalidOperationException or OverflowException or FormatException => (PhiStatus.InvalidArgument, e.Message),
            IOException => (PhiStatus.IoError, e.Message),
            // Only a tag mismatch is an authentication failure; any other provider error (a FIPS
            // provider refusing an algorithm, a failing OpenSSL call) is PHI_ERR_CRYPTO_PROVIDER.
            CryptographicException c => Describe(CryptoProviderException.From(c)),
            NotImplementedException => (PhiStatus.Internal, "not implemented in this build"),
            _ => (PhiStatus.Internal, $"internal error ({e.GetType().Name})"),
        };
        t_lastError = message;
        return (int)status;
    }

    private static (PhiStatus, string) Describe(PhiCryptoException e) => (e.Status, e.Message);

    /// <summary>Records a message for a status returned without an exception.</summary>
    internal static int Fail(PhiStatus status, string message)
    {
        t_lastError = message;
        return (int)status;
    }

    // "... (Parameter 'x')", or its resource key in this build, is noise to a C or Python caller.
    private static string WithoutParamName(ArgumentException e) => ErrorText.Of(e);

    internal static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}

/// <summary>A caller's output buffer was too small; the needed size has already been written back.</summary>
internal sealed class BufferTooSmallException(long needed)
    : Exception($"output buffer too small: {needed} bytes needed");

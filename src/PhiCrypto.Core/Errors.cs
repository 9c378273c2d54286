namespace PhiCrypto;

/// <summary>Status codes shared by the .NET API and the C ABI (<c>phicrypto.h</c>). Negative is an error.</summary>
public enum PhiStatus
{
    Ok = 0,
    InvalidArgument = -1,
    BufferTooSmall = -2,
    AuthenticationFailed = -3,
    KeyNotFound = -4,
    MalformedData = -5,
    PolicyViolation = -6,
    IoError = -7,
    WrongKek = -8,
    Conflict = -9,
    CryptoProvider = -10,
    Internal = -99,
}

/// <summary>Base of every error the library raises on purpose. Messages never carry key bytes or plaintext.</summary>
public class PhiCryptoException : Exception
{
    public PhiCryptoException(PhiStatus status, string message, Exception? inner = null) : base(message, inner) => Status = status;
    public PhiStatus Status { get; }
}

/// <summary>A tag, check value or commitment did not verify. Says nothing more, and no plaintext is released.</summary>
public sealed class AuthenticationFailedException : PhiCryptoException
{
    public AuthenticationFailedException() : base(PhiStatus.AuthenticationFailed, "authentication failed") { }
}

/// <summary>The key version, purpose or key name that the data names is not in the keyring (or not usable).</summary>
public sealed class KeyNotAvailableException : PhiCryptoException
{
    public KeyNotAvailableException(string message) : base(PhiStatus.KeyNotFound, message) { }
}

/// <summary>Bytes that do not follow the documented format (unknown version, bad length, trailing data).</summary>
public sealed class MalformedDataException : PhiCryptoException
{
    public MalformedDataException(string message) : base(PhiStatus.MalformedData, message) { }
}

/// <summary>An operation a policy forbids: a non-approved algorithm in FIPS mode, a usage limit, a key state.</summary>
public sealed class PolicyViolationException : PhiCryptoException
{
    public PolicyViolationException(string message) : base(PhiStatus.PolicyViolation, message) { }
}

/// <summary>The key-encryption key does not match the one a record was wrapped under (key check value differs).</summary>
public sealed class WrongKekException : PhiCryptoException
{
    public WrongKekException(string message) : base(PhiStatus.WrongKek, message) { }
}

/// <summary>The cryptographic provider (OpenSSL, its FIPS provider, libsodium) refused or failed an
/// operation. Not an authentication failure: only tag, check value and unwrap failures are those.</summary>
public sealed class CryptoProviderException : PhiCryptoException
{
    public CryptoProviderException(string message, Exception? inner = null) : base(PhiStatus.CryptoProvider, message, inner) { }

    /// <summary>A tag mismatch is an authentication failure; any other provider exception is a provider error.</summary>
    public static PhiCryptoException From(System.Security.Cryptography.CryptographicException e) =>
        e is System.Security.Cryptography.AuthenticationTagMismatchException
            ? new AuthenticationFailedException()
            : new CryptoProviderException($"the cryptographic provider failed: {e.Message}", e);
}

/// <summary>What an argument error says to a person: its own text, without the runtime's parameter
/// suffix. That suffix is " (Parameter 'dek')" normally, and under NativeAOT with UseSystemResourceKeys
/// (libphicrypto) the bare resource key " Arg_ParamName_Name, dek" (and "ArgumentOutOfRange_..." for the value).
/// An exception thrown without a text of its own (ThrowIfNull, ThrowIfNegative...) has only a resource
/// key there: it becomes a plain sentence naming the parameter.</summary>
public static class ErrorText
{
    private static readonly string[] Markers = [" (Parameter '", " Arg_ParamName_Name", " ArgumentOutOfRange_", "\nActual value was"];

    public static string Of(ArgumentException e)
    {
        string text = e.Message;
        if (e.ParamName is null) return IsResourceKey(text) ? Plain(e) : text;
        foreach (var marker in Markers)
        {
            int at = text.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0) text = text[..at];
        }
        return text.Length == 0 || IsResourceKey(text) ? Plain(e) : text;
    }

    /// <summary>"Arg_ParamName_Name", "ArgumentNull_Generic", "ArgumentOutOfRange_Generic_MustBeNonNegative, count, -1":
    /// a resource name (no space before its first comma) in place of a sentence.</summary>
    private static bool IsResourceKey(string text)
    {
        var head = text.Split(',')[0].Trim();
        return head.Length > 0 && !head.Contains(' ') && head.Contains('_') && char.IsUpper(head[0]);
    }

    private static string Plain(ArgumentException e)
    {
        var name = e.ParamName is { Length: > 0 } p ? $"'{p}'" : "an argument";
        return e switch
        {
            ArgumentNullException => $"{name} is missing (null): pass a value",
            ArgumentOutOfRangeException => $"{name} is out of range: check its value against the documentation",
            _ => $"{name} is not valid: check its value against the documentation",
        };
    }
}

// KEK from an environment variable: PHICRYPTO_MASTER_KEY holds base64 of exactly 32 bytes.
// Errors name the variable and never echo its value.
using System.Security.Cryptography;

namespace PhiCrypto.Keys;

public static class EnvironmentKek
{
    public const string DefaultVariable = "PHICRYPTO_MASTER_KEY";

    /// <summary>Reads and decodes the variable; <see cref="KeyNotAvailableException"/> when absent or malformed.</summary>
    public static SoftwareKek FromEnvironment(string variable = DefaultVariable) =>
        FromBase64(Environment.GetEnvironmentVariable(variable), variable);

    /// <summary>Decodes <paramref name="base64"/> as the value of <paramref name="variable"/>.</summary>
    public static SoftwareKek FromBase64(string? base64, string variable = DefaultVariable)
    {
        if (string.IsNullOrWhiteSpace(base64))
            throw new KeyNotAvailableException($"{variable} is not set: it must hold the base64 of a 32-byte master key");
        Span<byte> key = stackalloc byte[48];
        try
        {
            if (!Convert.TryFromBase64String(base64.Trim(), key, out int n) || n != 32)
                throw new KeyNotAvailableException($"{variable} is malformed: it must hold the base64 of exactly 32 bytes");
            return new SoftwareKek($"env:{variable}", key[..32]);
        }
        finally { CryptographicOperations.ZeroMemory(key); }
    }

    /// <summary>A new random master key in the form the variable expects (for `phicrypt keys init`).</summary>
    public static string GenerateBase64()
    {
        Span<byte> key = stackalloc byte[32];
        RandomNumberGenerator.Fill(key);
        try { return Convert.ToBase64String(key); }
        finally { CryptographicOperations.ZeroMemory(key); }
    }
}

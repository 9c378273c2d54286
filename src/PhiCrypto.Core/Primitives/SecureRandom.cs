// Random bytes from the OS CSPRNG through OpenSSL (RandomNumberGenerator: SP 800-90A DRBG seeded by
// the kernel). The one source for keys, nonces and salts.
using System.Security.Cryptography;

namespace PhiCrypto.Primitives;

public static class SecureRandom
{
    /// <summary>Fills <paramref name="destination"/> with random bytes.</summary>
    public static void Fill(Span<byte> destination) => RandomNumberGenerator.Fill(destination);

    /// <summary>A new array of <paramref name="count"/> random bytes.</summary>
    public static byte[] GetBytes(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return RandomNumberGenerator.GetBytes(count);
    }
}

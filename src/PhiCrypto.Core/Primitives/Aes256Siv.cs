// AES-SIV, RFC 5297, with a 64-byte key (AES-256: K1 for S2V/CMAC, K2 for CTR). Deterministic
// authenticated encryption. Output is the 16-byte synthetic IV followed by the ciphertext.
namespace PhiCrypto.Primitives;

/// <summary>An AES-256-SIV key ready to use: key schedules set up once, thread-safe.</summary>
public sealed class Aes256Siv : IDisposable
{
    public const int KeySize = 64;
    public const int SivSize = 16;

    private Aes256Siv() { }

    public static Aes256Siv Create(ReadOnlySpan<byte> key) => throw new NotImplementedException();

    /// <summary>Encrypts with one associated-data component. <paramref name="output"/> is exactly plaintext + 16 bytes.</summary>
    public void Encrypt(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> output)
        => throw new NotImplementedException();

    /// <summary>Decrypts and verifies; false on failure with <paramref name="plaintext"/> zeroed.</summary>
    public bool TryDecrypt(ReadOnlySpan<byte> sivAndCiphertext, ReadOnlySpan<byte> associatedData, Span<byte> plaintext)
        => throw new NotImplementedException();

    public void Dispose() { }
}

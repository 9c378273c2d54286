// Random access to a message's plaintext, whatever lies between it and the ciphertext: the frames alone
// (SeekableMessageReader) or frames holding a seekable zstd stream (Compression/DecompressingRangeReader).
namespace PhiCrypto.Messages;

/// <summary>Reads any byte range of a message's plaintext.</summary>
public interface IPlaintextReader : IDisposable
{
    long PlaintextLength { get; }
    IReadOnlyDictionary<string, string> EncryptionContext { get; }
    /// <summary>Plaintext from <paramref name="position"/> into <paramref name="destination"/>; returns bytes written (0 at the end).</summary>
    int Read(long position, Span<byte> destination);
}

public static class PlaintextReaderExtensions
{
    /// <summary>Copies plaintext [start, start + count) (clipped to the end) to <paramref name="output"/>; returns bytes copied.</summary>
    public static long CopyRange(this IPlaintextReader reader, long start, long count, Stream output, int bufferSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        long copied = 0;
        var buffer = new byte[Math.Max(1, Math.Min(count, bufferSize))];
        while (copied < count)
        {
            int n = reader.Read(start + copied, buffer.AsSpan(0, (int)Math.Min(buffer.Length, count - copied)));
            if (n == 0) break;
            output.Write(buffer, 0, n);
            copied += n;
        }
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(buffer);
        return copied;
    }
}

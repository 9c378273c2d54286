// Reads what a message says about itself without any key: the header fields and, by walking the frame
// headers (seeking past ciphertext when the stream can seek), the frame count and plaintext length.
// Nothing here is authenticated: the header tag needs the data key. Callers must say so when showing it.
namespace PhiCrypto.Messages;

/// <summary>Unauthenticated facts about a message, read without a key.</summary>
public sealed record MessageDescription(MessageHeader Header, long FrameCount, long PlaintextLength, int FooterLength);

public static class MessageInspector
{
    /// <summary>Parses the header and walks the body of the message on <paramref name="input"/>.</summary>
    public static MessageDescription Describe(Stream input, int maxHeaderLength = 1024 * 1024, int maxEncryptedDataKeys = 64)
    {
        var header = MessageHeader.Read(input, maxHeaderLength, maxEncryptedDataKeys);
        if (header.ContentType == ContentType.NonFramed) return new MessageDescription(header, 0, -1, -1);
        Span<byte> head = stackalloc byte[MessageDecryptor.MaxFrameHeadLength];
        long frames = 0, plaintext = 0;
        for (uint sequence = 1; ; sequence++)
        {
            var frame = MessageDecryptor.ReadFrameHead(input, sequence, header.FrameLength, head, out _);
            Skip(input, frame.ContentLength + AlgorithmSuite.TagLength);
            frames++;
            plaintext += frame.ContentLength;
            if (frame.Final) break;
        }
        int footer = 0;
        if (header.Suite.IsSigned)
        {
            Span<byte> length = stackalloc byte[2];
            MessageDecryptor.ReadExact(input, length, "the signature footer is missing");
            footer = 2 + System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(length);
            Skip(input, footer - 2);
        }
        return new MessageDescription(header, frames, plaintext, footer);
    }

    private static void Skip(Stream input, long count)
    {
        if (input.CanSeek)
        {
            if (input.Position + count > input.Length) throw new MalformedDataException("message is truncated: inside a frame");
            input.Seek(count, SeekOrigin.Current);
            return;
        }
        Span<byte> sink = stackalloc byte[4096];
        while (count > 0)
        {
            int n = input.Read(sink[..(int)Math.Min(sink.Length, count)]);
            if (n == 0) throw new MalformedDataException("message is truncated: inside a frame");
            count -= n;
        }
    }
}

// Verify-first reading of signed messages (suite 0x0578, MessageDecryptOptions.VerifySignatureFirst).
// A streaming reader releases each frame once its tag verifies, before the footer signature is read;
// in this mode no frame is released until the whole message has been walked and the signature
// verified. A seekable input is walked in place and rewound; any other input is first copied to a
// temporary file (ciphertext only, deleted on close). Cost: one more read of the ciphertext, and disk
// space of one message for non-seekable inputs. Unsigned messages are read as usual.
using System.Buffers;

namespace PhiCrypto.Messages;

internal static class MessageSpool
{
    /// <summary>The stream to decrypt from, positioned where <paramref name="input"/> was, after the
    /// signature verified: <paramref name="input"/> itself when it can seek, else a temporary copy.</summary>
    public static Stream VerifiedFirst(Stream input, MessageDecryptOptions options)
    {
        if (input.CanSeek)
        {
            long start = input.Position;
            Verify(input, options);
            input.Position = start;
            return input;
        }
        var spool = new FileStream(Path.Combine(options.SpoolDirectory ?? Path.GetTempPath(), "phicrypto-spool-" + Path.GetRandomFileName()),
            FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        try
        {
            input.CopyTo(spool);
            spool.Position = 0;
            Verify(spool, options);
            spool.Position = 0;
            return spool;
        }
        catch
        {
            spool.Dispose();
            throw;
        }
    }

    // Authenticates the header (unwrapping the data key), feeds every frame to the signature without
    // decrypting, then checks the footer and that nothing trails it.
    private static void Verify(Stream input, MessageDecryptOptions options)
    {
        using var decryptor = MessageDecryptor.Open(input, options);
        if (!decryptor.IsSigned) return;
        if (decryptor.Header.ContentType == ContentType.NonFramed) return; // verified whole before release anyway
        var buffer = ArrayPool<byte>.Shared.Rent(decryptor.FrameLength + AlgorithmSuite.TagLength);
        try
        {
            for (uint sequence = 1; !decryptor.ReadFrame(input, sequence, buffer).Final; sequence++) { }
            decryptor.Finish(input);
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }
}

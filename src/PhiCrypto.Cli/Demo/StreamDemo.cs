using System.Diagnostics;
using System.Security.Cryptography;
using PhiCrypto.Messages;

namespace PhiCrypto.Cli.Demo;

/// <summary>The document part of the demo: a 500 MB file streamed through encryption, a random range, inspect.</summary>
internal static class StreamDemo
{
    private const long FileSize = 500L * 1000 * 1000;

    public static void Run(string workDir, IDataKeyWrapper key)
    {
        Heading("Documents: a 500 MB medical image, streamed (AWS Encryption SDK message format, suite 0x0478)");
        string plain = Path.Combine(workDir, "scan.dcm"), sealedPath = plain + ".phi", restored = plain + ".out";
        byte[] digest = WriteSample(plain);
        var context = new Dictionary<string, string> { ["content-type"] = "application/dicom", ["patient"] = "MRN-000042", ["file"] = "scan.dcm" };

        long peakBefore = Environment.WorkingSet;
        var clock = Stopwatch.StartNew();
        using (var input = File.OpenRead(plain))
        using (var output = File.Create(sealedPath))
            MessagePipeline.Encrypt(input, output, new MessageEncryptOptions { Wrappers = [key], EncryptionContext = context });
        Report("encrypt", clock.Elapsed, new FileInfo(sealedPath).Length);

        clock.Restart();
        using (var input = File.OpenRead(sealedPath))
        using (var output = File.Create(restored))
            MessagePipeline.Decrypt(input, output, new MessageDecryptOptions { Wrappers = [key], ExpectedContext = context });
        Report("decrypt", clock.Elapsed, FileSize);
        Console.WriteLine($"  decrypted file identical to the original: {Sha256(restored).AsSpan().SequenceEqual(digest)}");
        Console.WriteLine($"  process memory: {Environment.WorkingSet / 1_000_000} MB resident (the file is {FileSize / 1_000_000} MB)");

        Heading("Random access: read 4 KiB at a random offset, decrypting only the frames it touches");
        using (var sealedFile = File.OpenRead(sealedPath))
        using (var original = File.OpenRead(plain))
        {
            clock.Restart();
            using var reader = new SeekableMessageReader(sealedFile, new MessageDecryptOptions { Wrappers = [key] }, leaveOpen: true);
            long offset = Random.Shared.NextInt64(FileSize - 4096);
            var range = reader.ReadRange(offset, 4096);
            var took = clock.Elapsed;
            var expected = new byte[4096];
            original.Position = offset;
            original.ReadExactly(expected);
            Console.WriteLine($"  bytes {offset}..{offset + 4095}: {took.TotalMilliseconds:F2} ms (open + read), equal to the original: {range.AsSpan().SequenceEqual(expected)}");
        }

        Heading("Inspect (no key needed): what the header says in the clear, authenticated");
        using (var sealedFile = File.OpenRead(sealedPath))
        {
            var d = MessageInspector.Describe(sealedFile);
            Console.WriteLine($"  suite {d.Header.Suite}, frame length {d.Header.FrameLength}, {d.FrameCount} frames, {d.PlaintextLength} plaintext bytes");
            foreach (var edk in d.Header.EncryptedDataKeys)
                Console.WriteLine($"  encrypted data key: {edk.ProviderId} / {(RawAesKeyring.TryParseProviderInfo(edk.ProviderInfo, out var name, out _) ? name : "(other keyring)")}");
            foreach (var (k, v) in d.Header.EncryptionContext) Console.WriteLine($"  context {k} = {v}");
        }
        foreach (var f in new[] { plain, sealedPath, restored }) File.Delete(f);
    }

    private static byte[] WriteSample(string path)
    {
        var block = new byte[1 << 20];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var file = File.Create(path))
        {
            for (long written = 0; written < FileSize; written += block.Length)
            {
                Random.Shared.NextBytes(block);
                int n = (int)Math.Min(block.Length, FileSize - written);
                file.Write(block, 0, n);
                hash.AppendData(block, 0, n);
            }
        }
        Console.WriteLine($"  wrote {FileSize / 1_000_000} MB of sample image data to {path}");
        return hash.GetHashAndReset();
    }

    private static byte[] Sha256(string path)
    {
        using var file = File.OpenRead(path);
        return SHA256.HashData(file);
    }

    private static void Report(string what, TimeSpan elapsed, long bytes) =>
        Console.WriteLine($"  {what}: {elapsed.TotalSeconds:F2} s, {FileSize / elapsed.TotalSeconds / 1e6:F0} MB/s" + (what == "encrypt" ? $", {bytes - FileSize} bytes of overhead" : ""));

    private static void Heading(string text) => Console.WriteLine($"\n{text}");
}

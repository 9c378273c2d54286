using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using PhiCrypto.Messages;
using PhiCrypto.Primitives;

namespace PhiCrypto.Bench.Messages;

/// <summary>
/// Where the time of `phicrypt encrypt FILE -o -` goes, stage by stage, on a 64 MiB file in the page cache:
/// reading it in 1 MiB blocks (the kernel's copy), the cipher alone on 64 KiB frames (one core: the floor),
/// writing 1 MiB blocks to /dev/null, and the whole pipeline file to /dev/null with 1 worker and with one per
/// CPU. The pipeline's CPU time beyond read + cipher + write is its own overhead (hand-offs, copies).
/// Run: dotnet run -c Release --project bench/PhiCrypto.Bench -- --filter '*PipelineStage*'
/// </summary>
[MemoryDiagnoser]
public class PipelineStageBenchmarks
{
    private const int Size = 64 * 1024 * 1024, Block = 1024 * 1024, Frame = 64 * 1024;
    private readonly string _plainPath = Path.Combine(Path.GetTempPath(), $"phicrypto-stage-{Guid.NewGuid():N}.bin");
    private readonly string _messagePath = Path.Combine(Path.GetTempPath(), $"phicrypto-stage-{Guid.NewGuid():N}.phi");
    private readonly byte[] _block = new byte[Block + Block / Frame * 32];
    private readonly byte[] _nonce = new byte[Aes256Gcm.NonceSize];
    private RawAesKeyring _keyring = null!;
    private Aes256Gcm _gcm = null!;

    [Params(1, 2)]
    public int Workers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        File.WriteAllBytes(_plainPath, RandomNumberGenerator.GetBytes(Size));
        _keyring = new RawAesKeyring("phicrypto", "bench/v1", RandomNumberGenerator.GetBytes(32));
        _gcm = Aes256Gcm.Create(RandomNumberGenerator.GetBytes(32));
        using (var input = File.OpenRead(_plainPath))
        using (var output = File.Create(_messagePath)) MessagePipeline.Encrypt(input, output, EncryptOptions);
    }

    private MessageEncryptOptions EncryptOptions => new() { Wrappers = [_keyring] };
    private PipelineOptions Pipeline => new() { Workers = Workers };

    // Opened as the CLI opens them (Cli/Streaming/InputSource, OutputTarget).
    private static FileStream Input(string path) => new(path, FileMode.Open, FileAccess.Read, FileShare.Read, Block, FileOptions.SequentialScan);
    private static FileStream DevNull() => new("/dev/null", FileMode.Open, FileAccess.Write, FileShare.ReadWrite, Block);

    [Benchmark(Description = "read 64 MiB file, 1 MiB reads")]
    public long Read()
    {
        using var input = Input(_plainPath);
        long total = 0;
        for (int n; (n = input.ReadAtLeast(_block.AsSpan(0, Block), Block, throwOnEndOfStream: false)) > 0;) total += n;
        return total;
    }

    [Benchmark(Description = "AES-256-GCM alone, 64 KiB frames, one core")]
    public void Cipher()
    {
        for (int i = 0; i < Size / Frame; i++) _gcm.Encrypt(_nonce, _block.AsSpan(0, Frame), default, _block.AsSpan(Frame, Frame + 16));
    }

    [Benchmark(Description = "write 64 MiB to /dev/null, 1 MiB writes")]
    public void Write()
    {
        using var output = DevNull();
        for (int i = 0; i < Size / Block; i++) output.Write(_block, 0, Block);
    }

    [Benchmark(Description = "pipeline encrypt file -> /dev/null")]
    public long Encrypt()
    {
        using var input = Input(_plainPath);
        using var output = DevNull();
        return MessagePipeline.Encrypt(input, output, EncryptOptions, Pipeline);
    }

    [Benchmark(Description = "pipeline decrypt file -> /dev/null")]
    public void Decrypt()
    {
        using var input = Input(_messagePath);
        using var output = DevNull();
        MessagePipeline.Decrypt(input, output, new MessageDecryptOptions { Wrappers = [_keyring] }, Pipeline);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _gcm.Dispose();
        _keyring.Dispose();
        File.Delete(_plainPath);
        File.Delete(_messagePath);
    }
}

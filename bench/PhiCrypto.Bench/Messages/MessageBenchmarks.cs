using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using PhiCrypto.Messages;

namespace PhiCrypto.Bench.Messages;

/// <summary>
/// Streaming message throughput on a 64 MiB in-memory plaintext to Stream.Null: the sequential streams and
/// the parallel pipeline, suites 0x0478 and 0x0578. MB/s = 64 MiB / mean time.
/// Run: dotnet run -c Release --project bench/PhiCrypto.Bench -- --filter '*MessageBenchmarks*'
/// </summary>
[MemoryDiagnoser]
public class MessageBenchmarks
{
    private const int Size = 64 * 1024 * 1024;
    private readonly byte[] _plaintext = RandomNumberGenerator.GetBytes(Size);
    private RawAesKeyring _keyring = null!;
    private byte[] _message = null!, _signedMessage = null!;

    [Params(65536, 1048576)]
    public int FrameLength { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _keyring = new RawAesKeyring("phicrypto", "bench/v1", RandomNumberGenerator.GetBytes(32));
        _message = Message.Encrypt(_plaintext, Options(false));
        _signedMessage = Message.Encrypt(_plaintext, Options(true));
    }

    private MessageEncryptOptions Options(bool signed) => new()
    {
        Wrappers = [_keyring], FrameLength = FrameLength,
        Suite = signed ? AlgorithmSuite.CommittingSigned : AlgorithmSuite.Committing,
    };

    private MessageDecryptOptions DecryptOptions => new() { Wrappers = [_keyring] };

    [Benchmark(Description = "encrypt stream 0x0478")]
    public void EncryptStream()
    {
        using var s = new MessageEncryptStream(Stream.Null, Options(false));
        s.Write(_plaintext);
        s.FlushFinalBlock();
    }

    [Benchmark(Description = "encrypt pipeline 0x0478")]
    public long EncryptPipeline() => MessagePipeline.Encrypt(new MemoryStream(_plaintext, false), Stream.Null, Options(false));

    [Benchmark(Description = "encrypt pipeline 0x0578 (signed)")]
    public long EncryptPipelineSigned() => MessagePipeline.Encrypt(new MemoryStream(_plaintext, false), Stream.Null, Options(true));

    [Benchmark(Description = "decrypt stream 0x0478")]
    public void DecryptStream()
    {
        using var s = new MessageDecryptStream(new MemoryStream(_message, false), DecryptOptions);
        s.CopyTo(Stream.Null, 1 << 20);
    }

    [Benchmark(Description = "decrypt pipeline 0x0478")]
    public void DecryptPipeline() => MessagePipeline.Decrypt(new MemoryStream(_message, false), Stream.Null, DecryptOptions);

    [Benchmark(Description = "decrypt pipeline 0x0578 (signed)")]
    public void DecryptPipelineSigned() => MessagePipeline.Decrypt(new MemoryStream(_signedMessage, false), Stream.Null, DecryptOptions);

    [GlobalCleanup]
    public void Cleanup() => _keyring.Dispose();
}

/// <summary>
/// A random 4 KiB plaintext read from a 500 MB message file through SeekableMessageReader (target: under
/// 1 ms). "open + read" includes parsing the header, unwrapping the key and locating the final frame.
/// </summary>
public class RandomReadBenchmarks
{
    private const long Size = 500_000_000;
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"phicrypto-bench-{Guid.NewGuid():N}.phi");
    private RawAesKeyring _keyring = null!;
    private SeekableMessageReader _reader = null!;
    private readonly byte[] _buffer = new byte[4096];
    private readonly Random _random = new(42);

    [GlobalSetup]
    public void Setup()
    {
        _keyring = new RawAesKeyring("phicrypto", "bench/v1", RandomNumberGenerator.GetBytes(32));
        var block = RandomNumberGenerator.GetBytes(1 << 20);
        using (var file = File.Create(_path))
        using (var writer = new MessageEncryptStream(file, new MessageEncryptOptions { Wrappers = [_keyring] }))
        {
            for (long done = 0; done < Size; done += block.Length) writer.Write(block.AsSpan(0, (int)Math.Min(block.Length, Size - done)));
            writer.FlushFinalBlock();
        }
        _reader = Open();
    }

    private SeekableMessageReader Open() => new(File.OpenRead(_path), new MessageDecryptOptions { Wrappers = [_keyring] });

    [Benchmark(Description = "random 4 KiB read (open reader)")]
    public int Read() => _reader.Read(_random.NextInt64(Size - 4096), _buffer);

    [Benchmark(Description = "open + random 4 KiB read")]
    public int OpenAndRead()
    {
        using var reader = Open();
        return reader.Read(_random.NextInt64(Size - 4096), _buffer);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _reader.Dispose();
        _keyring.Dispose();
        File.Delete(_path);
    }
}

/// <summary>One 64 KiB frame through each AES-256-GCM backend: which one the frame loop should prefer.</summary>
public class FrameBackendBenchmarks
{
    private readonly byte[] _plaintext = RandomNumberGenerator.GetBytes(65536);
    private readonly byte[] _output = new byte[65536 + 16];
    private readonly byte[] _nonce = new byte[12];
    private PhiCrypto.Primitives.Aes256Gcm _sodium = null!, _openssl = null!;

    [GlobalSetup]
    public void Setup()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        _sodium = PhiCrypto.Primitives.Aes256Gcm.Create(key, PhiCrypto.Primitives.AeadBackend.Sodium);
        _openssl = PhiCrypto.Primitives.Aes256Gcm.Create(key, PhiCrypto.Primitives.AeadBackend.OpenSsl);
    }

    [Benchmark(Description = "64 KiB frame, libsodium")]
    public void Sodium() => _sodium.Encrypt(_nonce, _plaintext, default, _output);

    [Benchmark(Description = "64 KiB frame, OpenSSL")]
    public void OpenSsl() => _openssl.Encrypt(_nonce, _plaintext, default, _output);
}

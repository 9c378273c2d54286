using System.Security.Cryptography;
using PhiCrypto.Keys;

namespace PhiCrypto.Core.Tests.Keys;

/// <summary>A temp directory with a JSON keyring file, removed on Dispose.</summary>
public sealed class TempKeyring : IDisposable
{
    public TempKeyring()
    {
        Dir = Directory.CreateTempSubdirectory("phicrypto-keys-").FullName;
        Path = System.IO.Path.Combine(Dir, "sub", "keyring.json");
        KekBytes = RandomNumberGenerator.GetBytes(32);
    }

    public string Dir { get; }
    public string Path { get; }
    public byte[] KekBytes { get; }

    public SoftwareKek Kek() => new("env:TEST", KekBytes);
    public static SoftwareKek OtherKek() => new("env:OTHER", RandomNumberGenerator.GetBytes(32));
    public JsonFileKeyStore Store() => new(Path);

    public Keyring Init(params string[] purposes) => Keyring.Initialize(Store(), Kek(), null, purposes);
    public Keyring Open(KeyringOptions? options = null) => Keyring.Open(Store(), Kek(), options);

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}

public static class Progress
{
    /// <summary>Waits (bounded) until <paramref name="counter"/> has grown by <paramref name="by"/>: lets
    /// workers make real progress between a test's steps, without assuming anything about speed.</summary>
    public static void WaitFor(ref long counter, long by)
    {
        long target = Interlocked.Read(ref counter) + by;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Interlocked.Read(ref counter) < target && DateTime.UtcNow < deadline) Thread.Sleep(1);
    }
}

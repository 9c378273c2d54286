// Random bytes for keys, nonces and salts: the OS CSPRNG (RandomNumberGenerator: getrandom(2), or
// OpenSSL's SP 800-90A DRBG in FIPS mode), read 4 KiB at a time into a per-thread buffer.
//
// Why a buffer: on the sandboxed hosts this runs on a system call costs about 10 us, twenty times
// the whole 50-byte field encryption, and every OS or OpenSSL random call makes one (getrandom, or
// OpenSSL's getpid-based fork check). Bytes are handed out once and wiped as they go.
//
// Fork safety: a child process must never reuse its parent's buffered bytes (a repeated GCM nonce
// would be fatal). A pthread_atfork child handler bumps a generation counter; a buffer filled
// under an older generation is discarded. Where the handler cannot be registered, no buffering.
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace PhiCrypto.Primitives;

public static unsafe partial class SecureRandom
{
    private const int BufferSize = 4096;
    private const int DirectThreshold = 256; // larger requests go straight to the OS

    private static readonly bool s_buffering = RegisterForkHandler();
    private static int s_generation;

    [ThreadStatic] private static byte[]? t_buffer;
    [ThreadStatic] private static int t_position;
    [ThreadStatic] private static int t_generation;

    /// <summary>Fills <paramref name="destination"/> with random bytes from the OS CSPRNG.</summary>
    public static void Fill(Span<byte> destination)
    {
        if (!s_buffering || destination.Length > DirectThreshold)
        {
            RandomNumberGenerator.Fill(destination);
            return;
        }
        var buffer = t_buffer;
        if (buffer is null || t_position + destination.Length > BufferSize || t_generation != Volatile.Read(ref s_generation))
            buffer = Refill();
        var slice = buffer.AsSpan(t_position, destination.Length);
        slice.CopyTo(destination);
        CryptographicOperations.ZeroMemory(slice);
        t_position += destination.Length;
    }

    /// <summary>A new array of <paramref name="count"/> random bytes.</summary>
    public static byte[] GetBytes(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var bytes = new byte[count];
        Fill(bytes);
        return bytes;
    }

    private static byte[] Refill()
    {
        var buffer = t_buffer ??= GC.AllocateArray<byte>(BufferSize, pinned: true);
        t_generation = Volatile.Read(ref s_generation);
        RandomNumberGenerator.Fill(buffer);
        t_position = 0;
        return buffer;
    }

    [UnmanagedCallersOnly]
    private static void OnForkChild() => Interlocked.Increment(ref s_generation);

    private static bool RegisterForkHandler()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return false;
        // glibc exports pthread_atfork only as a compat symbol; its real entry is __register_atfork.
        try
        {
            return register_atfork(null, null, &OnForkChild, null) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            try { return pthread_atfork(null, null, &OnForkChild) == 0; }
            catch (Exception e2) when (e2 is DllNotFoundException or EntryPointNotFoundException) { return false; }
        }
    }

    [LibraryImport("libc", EntryPoint = "__register_atfork")]
    private static partial int register_atfork(delegate* unmanaged<void> prepare, delegate* unmanaged<void> parent, delegate* unmanaged<void> child, void* dsoHandle);

    [LibraryImport("libc", EntryPoint = "pthread_atfork")]
    private static partial int pthread_atfork(delegate* unmanaged<void> prepare, delegate* unmanaged<void> parent, delegate* unmanaged<void> child);

    /// <summary>True when bytes are buffered per thread (fork handler registered).</summary>
    internal static bool IsBuffered => s_buffering;

    /// <summary>The fork generation, bumped in every child process.</summary>
    internal static int ForkGeneration => Volatile.Read(ref s_generation);
}

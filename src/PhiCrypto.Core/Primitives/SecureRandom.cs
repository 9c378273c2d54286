// Random bytes for nonces and salts: .NET's RandomNumberGenerator, which on Linux is OpenSSL's
// RAND_bytes (its SP 800-90A CTR-DRBG, seeded from getrandom(2); the FIPS provider's DRBG in FIPS
// mode), read 4 KiB at a time into a per-thread page. Key material never comes from the page:
// SecretKey.Generate asks RandomNumberGenerator directly, so no key is ever copied by a fork.
//
// Why a buffer: on the sandboxed hosts this runs on, a random call costs about 10 us (a system call
// for OpenSSL's fork check), twenty times a whole 50-byte field encryption. Bytes are handed out
// once and wiped as they go.
//
// Fork safety, with no code run at fork time: each page is a private mapping marked
// MADV_WIPEONFORK (Linux 4.14+), so a child process sees it as zeros, filled marker included, and
// refills from OpenSSL (which reseeds after fork by its own pid check) before handing out a byte.
// A child therefore never repeats a nonce its parent used or will use. Where the kernel refuses the
// advice (or off Linux) there is no buffering at all. Usage counts of raw keys (FieldKey's count of
// random-nonce encryptions) are per process and a child starts from its parent's count: see
// docs/field-format.md, "Usage limits and fork".
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace PhiCrypto.Primitives;

public static unsafe partial class SecureRandom
{
    private const int PageSize = 4096;
    private const int DataOffset = 8; // the first 8 bytes: nonzero once filled, zero again in a child
    private const int DataSize = PageSize - DataOffset;
    private const int DirectThreshold = 256; // larger requests go straight to OpenSSL

    private static readonly bool s_buffering = OperatingSystem.IsLinux() && Page.Create() is not null;

    [ThreadStatic] private static Page? t_page;

    /// <summary>Fills <paramref name="destination"/> with random bytes (nonces, salts, IVs).</summary>
    public static void Fill(Span<byte> destination)
    {
        if (!s_buffering || destination.Length > DirectThreshold || (t_page ??= Page.Create()) is not { } page)
        {
            RandomNumberGenerator.Fill(destination);
            return;
        }
        page.Take(destination);
    }

    /// <summary>A new array of <paramref name="count"/> random bytes.</summary>
    public static byte[] GetBytes(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var bytes = new byte[count];
        Fill(bytes);
        return bytes;
    }

    /// <summary>True when bytes are buffered per thread (the kernel accepted MADV_WIPEONFORK).</summary>
    internal static bool IsBuffered => s_buffering;

    /// <summary>For tests: what a fork does to this thread's page (the kernel zeroes it in the child).</summary>
    internal static void SimulateForkWipe()
    {
        if (t_page is { } page) page.Wipe();
    }

    /// <summary>One thread's page: a private anonymous mapping, wiped in children, kept out of core dumps.</summary>
    private sealed class Page
    {
        private readonly byte* _base;
        private int _position = DataSize; // empty until the first refill

        private Page(byte* @base) => _base = @base;

        public static Page? Create()
        {
            var p = mmap(null, PageSize, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
            if (p == (void*)-1) return null;
            if (madvise(p, PageSize, MadvWipeOnFork) != 0) { munmap(p, PageSize); return null; }
            madvise(p, PageSize, MadvDontDump); // best effort
            return new Page((byte*)p);
        }

        private ref ulong Filled => ref *(ulong*)_base;

        public void Take(Span<byte> destination)
        {
            if (Volatile.Read(ref Filled) == 0 || _position + destination.Length > DataSize) Refill();
            var slice = new Span<byte>(_base + DataOffset + _position, destination.Length);
            slice.CopyTo(destination);
            CryptographicOperations.ZeroMemory(slice);
            _position += destination.Length;
        }

        private void Refill()
        {
            RandomNumberGenerator.Fill(new Span<byte>(_base + DataOffset, DataSize));
            _position = 0;
            Volatile.Write(ref Filled, 1);
        }

        public void Wipe() => new Span<byte>(_base, PageSize).Clear();

        ~Page()
        {
            Wipe();
            munmap(_base, PageSize);
        }
    }

    private const int ProtRead = 1, ProtWrite = 2, MapPrivate = 2, MapAnonymous = 0x20;
    private const int MadvDontDump = 16, MadvWipeOnFork = 18;

    [LibraryImport("libc", SetLastError = false)]
    private static partial void* mmap(void* addr, nuint length, int prot, int flags, int fd, nint offset);

    [LibraryImport("libc", SetLastError = false)]
    private static partial int munmap(void* addr, nuint length);

    [LibraryImport("libc", SetLastError = false)]
    private static partial int madvise(void* addr, nuint length, int advice);
}

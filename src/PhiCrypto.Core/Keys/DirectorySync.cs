// fsync(2) of a directory, so that a rename inside it is durable (POSIX leaves a rename in the page cache
// until the directory itself is flushed). .NET cannot open a directory as a FileStream, hence libc.
// A no-op on Windows, where MoveFileEx with write-through covers it.
using System.Runtime.InteropServices;

namespace PhiCrypto.Keys;

internal static partial class DirectorySync
{
    private const int ReadOnly = 0, Directory = 0x10000; // O_RDONLY, O_DIRECTORY (Linux)

    /// <summary>Flushes <paramref name="directory"/>'s entries to disk; an I/O error is a <see cref="KeyStoreException"/>.</summary>
    public static void Flush(string directory)
    {
        if (OperatingSystem.IsWindows()) return;
        int fd = open(directory, ReadOnly | (OperatingSystem.IsLinux() ? Directory : 0));
        if (fd < 0) throw new KeyStoreException($"cannot open directory {directory} to flush it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (fsync(fd) != 0) throw new KeyStoreException($"cannot flush directory {directory} (errno {Marshal.GetLastPInvokeError()})");
        }
        finally { _ = close(fd); }
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fsync(int fd);

    [LibraryImport("libc")]
    private static partial int close(int fd);
}

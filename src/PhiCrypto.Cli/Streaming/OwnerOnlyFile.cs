// Files that will hold plaintext or key material: created new (never over an existing file) and
// readable and writable by the owner only (0600) from their first byte, not chmod-ed afterwards.
namespace PhiCrypto.Cli.Streaming;

internal static class OwnerOnlyFile
{
    public static FileStream CreateNew(string path, int bufferSize = 4096)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = bufferSize };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return new FileStream(path, options);
    }
}

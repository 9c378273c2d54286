// Where a directory-format dump is in plaintext for a while: a private folder (mode 0700, a random name)
// under --temp-dir or TMPDIR, removed with everything in it when disposed, whether the run succeeded
// or not. Backups stage pg_dump's output there before encrypting it; restores the decrypted files
// before pg_restore reads them. The runbook says to put it on an encrypted local disk.
using PhiCrypto.Cli.Streaming;

namespace PhiCrypto.Cli.Backups;

internal sealed class ScratchDirectory : IDisposable
{
    public string Path { get; }

    private ScratchDirectory(string path) => Path = path;

    public static ScratchDirectory Create(string? parent, string prefix)
    {
        parent ??= System.IO.Path.GetTempPath();
        if (!Directory.Exists(parent)) throw new UsageException($"--temp-dir {parent} does not exist: create it or give another");
        var path = System.IO.Path.Combine(parent, prefix + Guid.NewGuid().ToString("N")[..12]);
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(path);
        else Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new ScratchDirectory(path);
    }

    /// <summary>A new file in the folder, readable by the owner only (it will hold plaintext).</summary>
    public FileStream CreateFile(string name)
    {
        return OwnerOnlyFile.CreateNew(System.IO.Path.Combine(Path, name), 1 << 16);
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"phicrypt: WARNING: could not remove the temporary dump folder {Path} ({e.Message}): remove it by hand, it holds plaintext");
        }
    }
}

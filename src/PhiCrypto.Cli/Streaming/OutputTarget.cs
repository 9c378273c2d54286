// Where a command's output goes. A file is written as a temporary file in the target's directory and
// renamed over the target only after the whole message verified (Commit); on any failure, or Ctrl-C,
// the temporary file is deleted (Abandon), so no partial output file is ever left behind.
// Standard output cannot be taken back: a failure there is signalled by the exit code only.
namespace PhiCrypto.Cli.Streaming;

internal sealed class OutputTarget : IDisposable
{
    private readonly string? _final;
    private readonly string? _temp;
    private bool _committed;

    private OutputTarget(Stream stream, string? final, string? temp)
    {
        Stream = stream; _final = final; _temp = temp;
        if (_temp is not null) Console.CancelKeyPress += OnCancel;
    }

    public Stream Stream { get; }
    public bool IsStdout => _final is null;

    /// <summary>Opens "-" (standard output; refused when it is a terminal) or a temporary file beside <paramref name="path"/>.</summary>
    public static OutputTarget Open(string? path)
    {
        if (path is null or "-")
        {
            if (!Console.IsOutputRedirected) throw new UsageException("refusing to write binary output to a terminal: use -o FILE or a pipe");
            return new OutputTarget(Console.OpenStandardOutput(), null, null);
        }
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new UsageException($"output '{path}' is a directory");
        var dir = Path.GetDirectoryName(full)!;
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 1 << 20 };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;   // plaintext: owner only
        var stream = new FileStream(temp, options);
        return new OutputTarget(stream, full, temp);
    }

    /// <summary>Makes the output durable and, for a file, renames it into place.</summary>
    public void Commit()
    {
        if (Stream is FileStream fs) fs.Flush(flushToDisk: true); else Stream.Flush();
        if (_temp is not null)
        {
            Stream.Dispose();
            File.Move(_temp, _final!, overwrite: true);
        }
        _committed = true;
    }

    private void OnCancel(object? sender, ConsoleCancelEventArgs e) => Abandon();

    private void Abandon()
    {
        if (_temp is null || _committed) return;
        try { Stream.Dispose(); } catch (IOException) { }
        try { File.Delete(_temp); } catch (IOException) { }
    }

    public void Dispose()
    {
        if (_temp is not null) Console.CancelKeyPress -= OnCancel;
        if (!_committed) Abandon();
        Stream.Dispose();
    }
}

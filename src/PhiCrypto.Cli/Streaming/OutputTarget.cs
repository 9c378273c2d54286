// Where a command's output goes. A file is written as a temporary file in the target's directory and
// renamed over the target only after the whole message verified (Commit); on any failure, Ctrl-C, SIGTERM or SIGHUP,
// the temporary file is deleted (Abandon), so no partial output file is ever left behind.
// Standard output and device files cannot be taken back: a failure there shows in the exit code only.
using System.Runtime.InteropServices;

namespace PhiCrypto.Cli.Streaming;

internal sealed class OutputTarget : IDisposable
{
    private readonly string? _final;
    private readonly string? _temp;
    private bool _committed;
    private readonly PosixSignalRegistration[] _signals = [];

    private OutputTarget(Stream stream, string? final, string? temp)
    {
        Stream = stream; _final = final; _temp = temp;
        if (_temp is null) return;
        Console.CancelKeyPress += OnCancel;
        _signals = [PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal), PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal)];
    }

    public Stream Stream { get; }

    /// <summary>Opens "-" (standard output; refused when it is a terminal) or a temporary file beside <paramref name="path"/>.</summary>
    public static OutputTarget Open(string? path)
    {
        if (path is null or "-")
        {
            if (!Console.IsOutputRedirected) throw new UsageException("refusing to write binary output to a terminal: use -o FILE or a pipe");
            // Buffered: a message is written a few bytes at a time (frame header, body, tag), and each
            // unbuffered write to a pipe is a system call (about 10 us on these hosts).
            return new OutputTarget(new BufferedStream(Console.OpenStandardOutput(), 1 << 20), null, null);
        }
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new UsageException($"output '{path}' is a directory");
        if (IsDevice(full)) return new OutputTarget(new FileStream(full, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1 << 20), null, null);
        var dir = Path.GetDirectoryName(full)!;
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        var stream = OwnerOnlyFile.CreateNew(temp, 1 << 20);   // plaintext: owner only
        return new OutputTarget(stream, full, temp);
    }

    /// <summary>
    /// Device files (/dev/null, /dev/stdout, a tty) are written in place: renaming a temporary file over them
    /// would replace the device node with a regular file.
    /// </summary>
    private static bool IsDevice(string full)
    {
        if (!File.Exists(full)) return false;
        var target = File.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName ?? full;
        return target.StartsWith("/dev/", StringComparison.Ordinal) || target.StartsWith("/proc/", StringComparison.Ordinal)
            || target.StartsWith("/sys/", StringComparison.Ordinal);
    }

    /// <summary>Makes the output durable and, for a file, renames it into place.</summary>
    public void Commit()
    {
        if (_temp is null) { Stream.Flush(); _committed = true; return; }
        ((FileStream)Stream).Flush(flushToDisk: true);
        Stream.Dispose();
        File.Move(_temp, _final!, overwrite: true);
        _committed = true;
    }

    private void OnCancel(object? sender, ConsoleCancelEventArgs e) => Abandon();
    private void OnSignal(PosixSignalContext context) => Abandon();   // then the default action ends the process

    private void Abandon()
    {
        if (_temp is null || _committed) return;
        try { File.Delete(_temp); } catch (IOException) { }     // unlink first: another thread may still be writing
        try { Stream.Dispose(); } catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException) { }
    }

    public void Dispose()
    {
        if (_temp is not null)
        {
            Console.CancelKeyPress -= OnCancel;
            foreach (var s in _signals) s.Dispose();
        }
        if (!_committed) Abandon();
        Stream.Dispose();
    }
}

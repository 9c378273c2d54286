// Opens a command's input: "-" is standard input (a pipe works), anything else a file opened for
// sequential reading with a large buffer. Reports the length when it is known, for the progress bar.
namespace PhiCrypto.Cli.Streaming;

internal static class InputSource
{
    public static Stream Open(string path, out long length)
    {
        // Buffered: a message header is read a few bytes at a time, and each unbuffered read from a pipe is a
        // system call. Only 64 KiB (a pipe's capacity): the pipeline reads blocks of 1 MiB, and a read at least
        // the buffer's size goes straight into the pipeline's slot instead of through the buffer.
        if (path == "-") { length = -1; return new BufferedStream(Console.OpenStandardInput(), 64 * 1024); }
        // A 1 MiB buffer: no larger than the pipeline's block reads, which then bypass it.
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        length = stream.CanSeek ? stream.Length : -1;
        return stream;
    }
}

// Opens a command's input: "-" is standard input (a pipe works), anything else a file opened for
// sequential reading with a large buffer. Reports the length when it is known, for the progress bar.
namespace PhiCrypto.Cli.Streaming;

internal static class InputSource
{
    public static Stream Open(string path, out long length)
    {
        // Buffered: the reader takes a message a few bytes at a time (frame header, IV, tag), and each
        // unbuffered read from a pipe is a system call.
        if (path == "-") { length = -1; return new BufferedStream(Console.OpenStandardInput(), 1 << 20); }
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        length = stream.CanSeek ? stream.Length : -1;
        return stream;
    }
}

using PhiCrypto.Cli.Parsing;
using PhiCrypto.Cli.Streaming;
using PhiCrypto.Compression;
using PhiCrypto.Messages;

namespace PhiCrypto.Cli;

/// <summary>`phicrypt decrypt`: a message back to plaintext, whole or a byte range.</summary>
internal static class DecryptCommand
{
    public const string Help = """
        usage: phicrypt decrypt [IN|-] [-o OUT|-] [options]

        Decrypts an AWS Encryption SDK message (format v2; v1 with --allow-legacy; raw AES or RSA keys, signed or not).
        Each frame is released only after its tag verified. With -o FILE the plaintext goes to a temporary
        file that is renamed into place only after the whole message verified (for signed messages: after
        the footer signature verified) and deleted on any failure. Without -o the plaintext streams to
        standard output as frames verify (in blocks of about 1 MiB); a failure then exits non-zero after
        some output: check the status.

          -o OUT                   output file, or - for standard output
          --range START-END        only plaintext bytes START..END inclusive (END may be empty: to the end);
                                   IN must be a file; only the frames the range touches are decrypted.
                                   A signed message's footer signature is not checked for a range
                                   (unless --verify-first: then the whole message is walked first).
          --compressed             write compressed content (--compress zstd) as stored: a zstd stream
          --expect-context k=v     require this pair: the message must store it, or authenticate it as
                                   a required (not stored) pair; repeatable
          --allow-legacy           also read suites without key commitment (format v1: old SDKs' files);
                                   refused by default
          --verify-first           a signed message: check its signature before releasing any plaintext
                                   (reads the input twice; standard input is copied to a temporary file)
          --key-file FILE          raw 32-byte AES wrapping key
          --key-namespace NS       raw key namespace (default phicrypto)
          --key-name NAME          raw key name (default raw)
          --recovery-private-key PEM  unwrap with the offline RSA recovery key instead
          --workers N              parallel workers (default: number of CPUs)

        Without --key-file the keyring supplies the key, of one purpose only:
          --purpose NAME         the purpose whose versions may decrypt (default files); a message
                                 wrapped under another purpose's key is refused (exit 4)
          --keyring PATH|URL     keyring file or postgresql:// URL (env PHICRYPTO_KEYRING; default ~/.phicrypto/keyring.json)
          --kek SPEC             env | env:VARIABLE | passphrase | pkcs11:URI (env PHICRYPTO_KEK; default env)
          --passphrase-file F    passphrase for a passphrase KEK

        exit codes: 0 ok, 2 usage, 3 authentication failed, 4 key not found, 5 malformed message,
                    6 policy (e.g. context mismatch), 7 I/O, 1 other
        """;

    public static int Run(CommandArgs a)
    {
        var expected = a.Pairs("--expect-context");
        var range = a.Value("--range");
        string inputPath = a.Input();
        if (range is not null && inputPath == "-") throw new UsageException("--range needs a seekable input file, not standard input");
        using var keys = KeySource.ForDecrypt(a);
        var options = new MessageDecryptOptions
        {
            Wrappers = keys.Wrappers,
            ExpectedContext = expected.Count > 0 ? expected : null,
            AllowLegacy = a.Flag("--allow-legacy"),
            VerifySignatureFirst = a.Flag("--verify-first"),
        };
        using var input = InputSource.Open(inputPath, out long length);
        using var output = OutputTarget.Open(a.Value("--output"));
        if (range is not null) DecryptRange(input, output.Stream, options, range, !a.Flag("--compressed"));
        else
        {
            using var progress = ProgressBar.Create("decrypting", length);
            ContentEncoding.Decrypt(input, output.Stream, options, !a.Flag("--compressed"), StreamCommands.Pipeline(a), progress);
        }
        output.Commit();
        return ExitCodes.Ok;
    }

    private static void DecryptRange(Stream input, Stream output, MessageDecryptOptions options, string range, bool decompress)
    {
        int dash = range.IndexOf('-');
        if (dash <= 0) throw new UsageException("--range expects START-END (bytes, END inclusive, may be empty)");
        long start = Sizes.Parse(range[..dash], "--range");
        long end = dash == range.Length - 1 ? long.MaxValue - 1 : Sizes.Parse(range[(dash + 1)..], "--range");
        if (end < start) throw new UsageException("--range END is before START");
        using var reader = ContentEncoding.OpenRange(input, options, decompress, leaveOpen: true);
        if (start > reader.PlaintextLength) throw new UsageException($"--range starts after the end of the plaintext ({reader.PlaintextLength} bytes)");
        reader.CopyRange(start, end - start + 1, output, 64 * 1024);
    }
}

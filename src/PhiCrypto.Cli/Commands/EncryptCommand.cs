using PhiCrypto.Cli.Streaming;
using PhiCrypto.Compression;
using PhiCrypto.Messages;

namespace PhiCrypto.Cli;

/// <summary>`phicrypt encrypt`: a file or stream into an AWS Encryption SDK message (docs/message-format.md).</summary>
internal static class EncryptCommand
{
    public const string Help = """
        usage: phicrypt encrypt [IN|-] [-o OUT|-] [options]

        Encrypts IN (default: standard input) into an AWS Encryption SDK message, format v2, suite 0x0478
        (AES-256-GCM, HKDF-SHA-512, key commitment), frames encrypted in parallel. OUT is written to a
        temporary file and renamed into place only when complete; without -o the message goes to standard
        output (refused when that is a terminal).

          -o OUT                 output file, or - for standard output
          --purpose NAME         key purpose (default files): picks the keyring's active DEK version
          --context k=v          authenticated, unencrypted metadata; repeatable (content type, file name...)
          --frame-size SIZE      plaintext per frame, 4K..16M (default 64K)
          --recovery-key PEM     also wrap the data key to this RSA public key (RSA-OAEP-SHA-256); repeatable
          --compress zstd|none   compress first, in zstd's seekable format (random access kept); marked in the context
          --signed               suite 0x0578: add an ECDSA P-384 signature footer
          --key-file FILE        raw 32-byte AES wrapping key (interoperates with other Encryption SDKs)
          --key-namespace NS     raw key namespace (default phicrypto)
          --key-name NAME        raw key name (default raw)
          --workers N            parallel workers (default: number of CPUs)

        Without --key-file the keyring supplies the key:
          --keyring PATH|URL     keyring file or postgresql:// URL (env PHICRYPTO_KEYRING; default ~/.phicrypto/keyring.json)
          --kek SPEC             env | env:VARIABLE | passphrase | pkcs11:URI (env PHICRYPTO_KEK; default env)
          --passphrase-file F    passphrase for a passphrase KEK

        exit codes: 0 ok, 2 usage, 4 key not found, 6 policy, 7 I/O, 1 other
        """;

    public static int Run(CommandArgs a)
    {
        long frame = a.Size("--frame-size", 64 * 1024);
        if (frame < MessageHeader.MinFrameLength || frame > MessageHeader.MaxFrameLength) throw new UsageException("--frame-size must be 4K to 16M");
        var context = a.Value("--compress") switch
        {
            null or "none" => a.Pairs("--context"),
            "zstd" => ContentEncoding.Compressed(a.Pairs("--context")),
            _ => throw new UsageException("--compress is zstd or none"),
        };
        using var keys = KeySource.ForEncrypt(a);
        var options = new MessageEncryptOptions
        {
            Wrappers = keys.Wrappers,
            Suite = a.Flag("--signed") ? AlgorithmSuite.CommittingSigned : AlgorithmSuite.Committing,
            FrameLength = (int)frame,
            EncryptionContext = context,
        };
        using var input = InputSource.Open(a.Input(), out long length);
        using var output = OutputTarget.Open(a.Value("--output"));
        using (var progress = ProgressBar.Create("encrypting", length))
            ContentEncoding.Encrypt(input, output.Stream, options, StreamCommands.Pipeline(a), progress);
        output.Commit();
        return ExitCodes.Ok;
    }
}

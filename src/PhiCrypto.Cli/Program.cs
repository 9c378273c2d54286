using PhiCrypto.Cli.Parsing;

namespace PhiCrypto.Cli;

/// <summary>The `phicrypt` command: one class per command under Commands/, their options declared here
/// and parsed by System.CommandLine (Parsing/CommandLine.cs).</summary>
public static class Program
{
    internal const string Usage = """
        usage: phicrypt <command> [options]      (phicrypt <command> --help for details; phicrypt --version)
          demo        the main job on built-in sample data
          keys        init | add | list | rotate | rewrap | state | export | import | audit | signing-key
          encrypt     encrypt a file or stream (AWS Encryption SDK message format)
          decrypt     decrypt a file or stream, or a byte range of it
          inspect     show a message's header without a key
          backup      pg_dump -> compress -> encrypt -> file, parts or S3
          restore     decrypt -> pg_restore
          verify      check a backup end to end without restoring
          completion  bash | zsh: a shell completion script (source <(phicrypt completion bash))
        Sizes: bytes, or a number with K, M, G, T or KiB, MiB, GiB, TiB (binary units), in every option.
        Repeated options: those documented as repeatable collect every value; any other given twice is an error.
        Exit code 2 for every usage error.
        """;

    public static int Main(string[] args) => CommandLine.Run(Commands(), args);

    private static Verb[] Commands() =>
    [
        new Verb("demo", DemoCommand.Help).Flags("--no-file").Runs(DemoCommand.Run),
        KeysCommand.Build(),
        new Verb("encrypt", EncryptCommand.Help).Positionals().KeyringOptions()
            .Options("--output|-o", "--frame-size", "--workers", "--compress", "--key-file", "--key-namespace", "--key-name", "--purpose")
            .Repeatable("--context", "--recovery-key").Flags("--signed").Runs(EncryptCommand.Run),
        new Verb("decrypt", DecryptCommand.Help).Positionals().KeyringOptions()
            .Options("--output|-o", "--range", "--workers", "--key-file", "--key-namespace", "--key-name", "--purpose", "--recovery-private-key")
            .Repeatable("--expect-context").Flags("--allow-legacy", "--verify-first", "--compressed").Runs(DecryptCommand.Run),
        new Verb("inspect", InspectCommand.Help).Positionals().Flags("--json").Runs(InspectCommand.Run),
        new Verb("backup", BackupCommand.Usage).KeyringOptions()
            .Options("--pg", "--output|-o", "--pg-dump-args", "--split", "--compress", "--key-file", "--key-name", "--purpose",
                "--s3-sse", "--s3-sse-kms-key-id", "--retain-until", "--retain-mode",
                "--jobs", "--temp-dir")
            .Repeatable("--recovery-key|--recovery-private-key").Flags("--stdin", "--json").Runs(BackupCommand.Run),
        new Verb("restore", RestoreCommand.Usage).Positionals().KeyringOptions()
            .Options("--pg", "--pg-restore-args", "--key-file", "--key-name", "--purpose", "--verify-key", "--jobs", "--temp-dir")
            .Repeatable("--recovery-key|--recovery-private-key").Flags("--allow-unsigned", "--json").Runs(RestoreCommand.Run),
        new Verb("verify", VerifyCommand.Usage).Positionals().KeyringOptions()
            .Options("--key-file", "--key-name", "--purpose", "--verify-key", "--jobs")
            .Repeatable("--recovery-key|--recovery-private-key").Flags("--allow-unsigned", "--json").Runs(VerifyCommand.Run),
        new Verb("completion", Completion.Help).Positionals().Runs(Completion.Run),
    ];
}

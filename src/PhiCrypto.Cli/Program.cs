namespace PhiCrypto.Cli;

/// <summary>The `phicrypt` command: one class per command under Commands/.</summary>
public static class Program
{
    private const string Usage = """
        usage: phicrypt <command> [options]      (phicrypt <command> --help for details; phicrypt --version)
          demo        the main job on built-in sample data
          keys        init | add | list | rotate | rewrap | state | export | import | audit | signing-key
          encrypt     encrypt a file or stream (AWS Encryption SDK message format)
          decrypt     decrypt a file or stream, or a byte range of it
          inspect     show a message's header without a key
          backup      pg_dump -> compress -> encrypt -> file, parts or S3
          restore     decrypt -> pg_restore
          verify      check a backup end to end without restoring
        """;

    /// <summary>The informational version the build stamped (version and commit), else the assembly version.</summary>
    private static string Version =>
        typeof(Program).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion
        ?? typeof(Program).Assembly.GetName().Version?.ToString() ?? "unknown";

    public static int Main(string[] args)
    {
        if (args.Length == 0) { Console.Error.WriteLine(Usage); return ExitCodes.Usage; }
        if (args[0] is "-h" or "--help" or "help") { Console.Out.WriteLine(Usage); return ExitCodes.Ok; }
        if (args[0] is "--version" or "version") { Console.Out.WriteLine($"phicrypt {Version}"); return ExitCodes.Ok; }
        Func<string[], int>? command = args[0] switch
        {
            "demo" => DemoCommand.Run,
            "keys" => KeysCommand.Run,
            "encrypt" => EncryptCommand.Run,
            "decrypt" => DecryptCommand.Run,
            "inspect" => InspectCommand.Run,
            "backup" => BackupCommand.Run,
            "restore" => RestoreCommand.Run,
            "verify" => VerifyCommand.Run,
            _ => null,
        };
        if (command is null) { Console.Error.WriteLine($"phicrypt: unknown command '{args[0]}'"); return ExitCodes.Usage; }
        return CliErrors.Guard(() => command(args[1..]));
    }
}

namespace PhiCrypto.Cli;

internal static class BackupCommand
{
    public static int Run(string[] args) => CliErrors.Fail("backup: not implemented yet", ExitCodes.Failure);
}

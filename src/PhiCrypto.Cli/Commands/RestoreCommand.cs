namespace PhiCrypto.Cli;

internal static class RestoreCommand
{
    public static int Run(string[] args) => CliErrors.Fail("restore: not implemented yet", ExitCodes.Failure);
}

namespace PhiCrypto.Cli;

internal static class InspectCommand
{
    public static int Run(string[] args) => CliErrors.Fail("inspect: not implemented yet", ExitCodes.Failure);
}

namespace PhiCrypto.Cli;

internal static class VerifyCommand
{
    public static int Run(string[] args) => CliErrors.Fail("verify: not implemented yet", ExitCodes.Failure);
}

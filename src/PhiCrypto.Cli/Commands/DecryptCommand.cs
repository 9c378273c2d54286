namespace PhiCrypto.Cli;

internal static class DecryptCommand
{
    public static int Run(string[] args) => CliErrors.Fail("decrypt: not implemented yet", ExitCodes.Failure);
}

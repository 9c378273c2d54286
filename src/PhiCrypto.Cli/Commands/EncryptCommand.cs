namespace PhiCrypto.Cli;

internal static class EncryptCommand
{
    public static int Run(string[] args) => CliErrors.Fail("encrypt: not implemented yet", ExitCodes.Failure);
}

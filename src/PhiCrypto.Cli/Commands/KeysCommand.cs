namespace PhiCrypto.Cli;

internal static class KeysCommand
{
    public static int Run(string[] args) => CliErrors.Fail("keys: not implemented yet", ExitCodes.Failure);
}

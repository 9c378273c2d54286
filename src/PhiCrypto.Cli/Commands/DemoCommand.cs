namespace PhiCrypto.Cli;

/// <summary>`phicrypt demo`: the main job on an embedded default, shown step by step.</summary>
internal static class DemoCommand
{
    public static int Run(string[] args)
    {
        Console.WriteLine("PhiCryptoCore demo");
        return 0;
    }
}

namespace PhiCrypto.Cli;

/// <summary>The `phicrypt` command: dispatches to one class per command.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.Out.WriteLine("usage: phicrypt demo | keys ... | encrypt ... | decrypt ... | inspect ... | backup ... | restore ...");
            return args.Length == 0 ? 2 : 0;
        }
        return args[0] switch
        {
            "demo" => DemoCommand.Run(args[1..]),
            _ => Usage($"unknown command '{args[0]}'"),
        };
    }

    private static int Usage(string message)
    {
        Console.Error.WriteLine($"phicrypt: {message}");
        return 2;
    }
}

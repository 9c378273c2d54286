using PhiCrypto.Cli.Demo;
using PhiCrypto.Messages;
using PhiCrypto.Primitives;

namespace PhiCrypto.Cli;

/// <summary>`phicrypt demo`: the main job on built-in sample data, shown step by step. Needs no setup
/// and leaves nothing behind: keys live in memory or in a temporary folder.</summary>
internal static class DemoCommand
{
    public const string Help = """
        usage: phicrypt demo [--no-file]
          Field encryption of sample patients (both modes, search, tampering), key management
          (init, rotate, search across versions, KEK rotation, audit), and a 500 MB document streamed
          through encryption with a random range read and inspect. --no-file skips the document part.
        """;

    public static int Run(Streaming.CommandArgs a)
    {
        Console.WriteLine($"PhiCryptoCore demo (GCM backend: {CryptoPolicy.DefaultAeadBackend}, FIPS mode: {CryptoPolicy.FipsMode})");
        FieldsDemo.Run();
        KeysDemo.Show(Console.Out);
        if (!a.Flag("--no-file"))
        {
            var dir = Directory.CreateTempSubdirectory("phicrypt-demo-").FullName;
            try
            {
                using var secret = SecretKey.Generate();
                using var key = new RawAesKeyring(RawAesKeyring.DefaultNamespace, "files/demo", secret);
                StreamDemo.Run(dir, key);
            }
            finally { Directory.Delete(dir, recursive: true); }
        }
        return ExitCodes.Ok;
    }
}

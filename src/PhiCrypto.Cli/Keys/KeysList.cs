// `phicrypt keys list [--json]`: every version with its state and timestamps; never key bytes.
using PhiCrypto.Cli.Reports;
using PhiCrypto.Keys;

namespace PhiCrypto.Cli;

internal static class KeysList
{
    public static int Run(KeyringCli cli, Streaming.CommandArgs a)
    {
        a.Expect(0, "phicrypt keys list [--json]");
        using var keyring = cli.OpenKeyring();
        if (a.Flag("--json")) WriteJson(keyring);
        else WriteTable(keyring);
        return ExitCodes.Ok;
    }

    private static void WriteTable(Keyring k)
    {
        Console.Out.WriteLine($"keyring {k.StoreLocation}, KEK {k.KekId} (check value {k.KekCheckValue})");
        Console.Out.WriteLine($"{"PURPOSE",-28} {"VER",4} {"STATE",-12} {"CREATED",-20} {"ACTIVATED",-20} {"DEACTIVATED",-20} {"USAGE",10}");
        foreach (var r in k.Records)
            Console.Out.WriteLine($"{r.Purpose,-28} {r.Version,4} {KeyLifecycle.Name(r.State),-12} {T(r.Created),-20} {T(r.Activated),-20} {T(r.Deactivated ?? r.Compromised ?? r.Destroyed),-20} {r.UsageReserved,10}");
    }

    private static string T(DateTimeOffset? t) => t is { } v ? v.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) : "-";

    private static void WriteJson(Keyring k) => KeysReport.Write("keys list", k, k.Records);
}

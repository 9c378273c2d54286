// `phicrypt keys audit [--verify] [--json] [--head] [--expect-head SEQ:MAC]`: the lifecycle events and
// the check of their keyed chain. --head prints the chain's head, the anchor to copy to WORM storage or
// syslog; --expect-head fails (exit 3) when the store no longer contains that event: it was rolled back.
using System.Text.Json;
using PhiCrypto.Keys;

namespace PhiCrypto.Cli;

internal static class KeysAudit
{
    public static int Run(KeyringCli cli, string[] rest)
    {
        var a = new KeysArgs(rest, ["--expect-head"], ["--verify", "--json", "--head"]);
        a.Expect(0, "phicrypt keys audit [--verify] [--json] [--head] [--expect-head SEQ:MAC]");
        var anchor = a.One("--expect-head") is { } text ? ParseHead(text) : null;
        using var keyring = cli.OpenKeyring();
        if (anchor is not null) keyring.CheckAuditHead(anchor);
        if (a.Flag("--head")) { Console.Out.WriteLine(keyring.AuditHead.ToString()); return ExitCodes.Ok; }
        if (anchor is not null && !a.Flag("--verify") && !a.Flag("--json"))
        {
            Console.Out.WriteLine($"audit head #{anchor.Sequence} is in the chain (head now {keyring.AuditHead})");
            return ExitCodes.Ok;
        }
        var events = keyring.AuditTrail;
        var check = keyring.VerifyAudit();
        if (a.Flag("--json")) WriteJson(events, check);
        else if (!a.Flag("--verify"))
            foreach (var e in events)
                Console.Out.WriteLine($"{e.Sequence,5} {KeyringJson.FormatTime(e.Time)} {AuditEvent.KindName(e.Kind),-13} {Target(e),-32} {States(e),-26} {e.Actor}  {e.Detail}".TrimEnd());
        if (!a.Flag("--verify")) return ExitCodes.Ok;
        if (check.IsValid)
        {
            if (!a.Flag("--json")) Console.Out.WriteLine($"{check.Message}; head {Convert.ToHexStringLower(check.HeadHash)}");
            return ExitCodes.Ok;
        }
        return CliErrors.Fail(check.Message, ExitCodes.AuthenticationFailed);
    }

    private static AuditHead ParseHead(string text)
    {
        try { return AuditHead.Parse(text); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
    }

    private static string Target(AuditEvent e) => e.Purpose is null ? "-" : e.Version == 0 ? e.Purpose : KeyNames.Format(e.Purpose, e.Version);

    private static string States(AuditEvent e) => e.FromState is null && e.ToState is null ? "" :
        $"{(e.FromState is { } f ? KeyLifecycle.Name(f) : "")} -> {(e.ToState is { } t ? KeyLifecycle.Name(t) : "")}";

    private static void WriteJson(IReadOnlyList<AuditEvent> events, AuditVerification check)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteBoolean("valid", check.IsValid);
            w.WriteString("message", check.Message);
            if (check.BrokenAtSequence is { } s) w.WriteNumber("brokenAtSequence", s);
            w.WriteString("head", Convert.ToHexStringLower(check.HeadHash));
            w.WriteStartArray("events");
            foreach (var e in events) KeyringJson.WriteAudit(w, e);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        stdout.WriteByte((byte)'\n');
    }
}

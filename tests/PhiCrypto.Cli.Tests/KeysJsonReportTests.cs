using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace PhiCrypto.Cli.Tests;

/// <summary>Issue 15 section 4: every `keys` subcommand that reports has --json, in the one style
/// (snake_case, "version" and "report" first) of docs/runbooks/json-reports.md.</summary>
public sealed class KeysJsonReportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("phicrypt-keysjson-").FullName;

    private readonly Dictionary<string, string> _env;

    public KeysJsonReportTests() => _env = new()
    {
        ["PHICRYPTO_KEYRING"] = Path.Combine(_dir, "keyring.json"),
        ["PHICRYPTO_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        ["PHICRYPTO_NEW_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        ["PHICRYPTO_RECOVERY_PASSPHRASE"] = "correct horse battery staple",
        ["HOME"] = _dir,
    };

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Runs `phicrypt keys ARGS --json`; asserts exit 0, one JSON object, the common head, snake_case names.</summary>
    private JsonObject Report(string args, string report)
    {
        var r = Phicrypt.Run($"keys {args} --json", _env, workDir: _dir);
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}");
        var json = JsonNode.Parse(r.Stdout)!.AsObject();
        Assert.Equal(["version", "report"], json.Select(p => p.Key).Take(2));
        Assert.Equal(1, (int)json["version"]!);
        Assert.Equal(report, (string)json["report"]!);
        AssertSnakeCase(json);
        return json;
    }

    private static void AssertSnakeCase(JsonNode? node)
    {
        if (node is JsonObject o)
            foreach (var (name, value) in o)
            {
                Assert.Matches("^[a-z][a-z0-9_]*$", name);
                AssertSnakeCase(value);
            }
        else if (node is JsonArray a) foreach (var item in a) AssertSnakeCase(item);
    }

    private static string[] Names(JsonObject report) =>
        report["keys"]!.AsArray().Select(k => $"{k!["key_name"]}:{k["state"]}").ToArray();

    [Fact]
    public void Init_add_rotate_state_report_the_versions_they_made()
    {
        var init = Report("init", "keys init");
        Assert.Equal(["backup-signing/v1:active", "backups/v1:active", "files/v1:active"], Names(init)); // as keys list orders them
        Assert.Equal(Path.Combine(_dir, "keyring.json"), (string)init["keyring"]!);
        Assert.Matches("^[0-9a-f]{6}$", (string)init["kek_check_value"]!);

        Assert.Equal(["clinic/v1:active"], Names(Report("add clinic", "keys add")));
        Assert.Equal(["clinic/v2:active", "clinic/v1:deactivated"], Names(Report("rotate clinic", "keys rotate")));
        Assert.Equal(["clinic/v3:pre-active"], Names(Report("rotate clinic --pre-active", "keys rotate")));
        Assert.Equal(["clinic/v3:active"], Names(Report("state clinic 3 active", "keys state")));
    }

    [Fact]
    public void Rewrap_export_import_and_signing_key_report_what_they_did()
    {
        Report("init", "keys init");
        var rewrap = Report("rewrap --new-kek env:PHICRYPTO_NEW_MASTER_KEY", "keys rewrap");
        Assert.Equal(3, (int)rewrap["rewrapped"]!);
        Assert.Equal("env:PHICRYPTO_MASTER_KEY", (string)rewrap["previous_kek_id"]!);
        Assert.Equal("env:PHICRYPTO_NEW_MASTER_KEY", (string)rewrap["kek_id"]!);
        _env["PHICRYPTO_KEK"] = "env:PHICRYPTO_NEW_MASTER_KEY";

        var export = Report("export --recovery-passphrase -o keys.bundle", "keys export");
        Assert.Equal(new FileInfo(Path.Combine(_dir, "keys.bundle")).Length, (long)export["bundle_bytes"]!);
        Assert.True((bool)export["recovery_passphrase"]!);
        Assert.Equal(0, (int)export["recovery_keys"]!);

        _env["PHICRYPTO_KEYRING"] = Path.Combine(_dir, "new.json");
        var import = Report("import keys.bundle --recovery-passphrase --init", "keys import");
        Assert.Equal(3, (int)import["imported"]!);
        Assert.Equal(3, import["keys"]!.AsArray().Count);

        var signing = Report("signing-key", "keys signing-key");
        Assert.Equal("backup-signing/v1", (string)signing["key_name"]!);
        Assert.Matches("^SHA256:[0-9a-f]{64}$", (string)signing["fingerprint"]!);
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", (string)signing["public_key_pem"]!);
        Assert.Null(signing["file"]);
        var toFile = Report("signing-key -o kit.pem", "keys signing-key");
        Assert.Equal("kit.pem", (string)toFile["file"]!);
        Assert.Equal((string)signing["public_key_pem"]!, File.ReadAllText(Path.Combine(_dir, "kit.pem")));
    }
}

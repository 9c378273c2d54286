using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PhiCrypto.Cli.Tests;

/// <summary>`phicrypt keys` end to end: the built executable, a temp keyring, env KEKs.</summary>
public sealed class KeysCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("phicrypt-keys-").FullName;
    private readonly string _masterKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private string KeyringPath => Path.Combine(_dir, "keyring.json");

    private Phicrypt.Result Keys(string args, Dictionary<string, string>? extra = null)
    {
        var env = new Dictionary<string, string>
        {
            ["PHICRYPTO_KEYRING"] = KeyringPath,
            ["PHICRYPTO_MASTER_KEY"] = _masterKey,
            ["PHICRYPTO_KEK"] = "",
            ["PHICRYPTO_KEK_PASSPHRASE"] = "",
            ["HOME"] = _dir,
        };
        if (extra is not null) foreach (var (k, v) in extra) env[k] = v;
        return Phicrypt.Run("keys " + args, env);
    }

    private static void Ok(Phicrypt.Result r) => Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}");

    private static void OneLineError(Phicrypt.Result r, int code)
    {
        Assert.Equal(code, r.ExitCode);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("phicrypt: ", lines[0]);
    }

    [Fact]
    public void Init_rotate_list_json()
    {
        Ok(Keys("init --purpose files --purpose clinic.Patient.ssn"));
        var rot = Keys("rotate files");
        Ok(rot);
        Assert.Contains("files: v2 active (v1 deactivated)", rot.Stdout);
        var list = Keys("list --json");
        Ok(list);
        var doc = JsonNode.Parse(list.Stdout)!;
        var files = doc["keys"]!.AsArray().Where(k => (string?)k!["purpose"] == "files").Select(k => ((uint)k!["version"]!, (string)k!["state"]!)).ToList();
        Assert.Equal([(1u, "deactivated"), (2u, "active")], files);
        Assert.Equal("env:PHICRYPTO_MASTER_KEY", (string?)doc["kekId"]);
        Assert.DoesNotContain("wrapped", list.Stdout);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(KeyringPath));
    }

    [Fact]
    public void Default_keyring_is_under_home()
    {
        var r = Phicrypt.Run("keys init --purpose files", new Dictionary<string, string> { ["PHICRYPTO_KEYRING"] = "", ["PHICRYPTO_KEK"] = "", ["PHICRYPTO_MASTER_KEY"] = _masterKey, ["HOME"] = _dir });
        Ok(r);
        Assert.True(File.Exists(Path.Combine(_dir, ".phicrypto", "keyring.json")));
    }

    [Fact]
    public void State_transitions_and_destroy_needs_force()
    {
        Ok(Keys("init --purpose files"));
        Ok(Keys("rotate files"));
        OneLineError(Keys("state files 1 active"), 6);             // deactivated -> active is not an SP 800-57 transition
        var destroy = Keys("state files 1 destroyed");
        OneLineError(destroy, 6);
        Assert.Contains("--force", destroy.Stderr);
        Ok(Keys("state files 1 destroyed --force --reason \"retention ended\""));
        Ok(Keys("state files 2 compromised --reason incident-7"));
        var list = JsonNode.Parse(Keys("list --json").Stdout)!["keys"]!.AsArray();
        Assert.Equal(["destroyed", "compromised"], list.Select(k => (string)k!["state"]!));
        OneLineError(Keys("state files 9 deactivated"), 4);
        OneLineError(Keys("state files 2 retired"), 2);
    }

    [Fact]
    public void Wrong_or_missing_master_key_is_one_line_and_never_echoed()
    {
        Ok(Keys("init --purpose files"));
        OneLineError(Keys("list", new() { ["PHICRYPTO_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) }), 8);
        var missing = Keys("list", new() { ["PHICRYPTO_MASTER_KEY"] = "" });
        OneLineError(missing, 4);
        Assert.Contains("PHICRYPTO_MASTER_KEY", missing.Stderr);
        var bad = Convert.ToBase64String(RandomNumberGenerator.GetBytes(20));
        var malformed = Keys("list", new() { ["PHICRYPTO_MASTER_KEY"] = bad });
        OneLineError(malformed, 4);
        Assert.DoesNotContain(bad, malformed.Stderr);
    }

    [Fact]
    public void Missing_keyring_says_how_to_create_one()
    {
        var r = Keys("list");
        OneLineError(r, 4);
        Assert.Contains("keys init", r.Stderr);
    }

    [Fact]
    public void Audit_lists_events_and_verify_names_the_first_broken_link()
    {
        Ok(Keys("init --purpose files"));
        Ok(Keys("rotate files --reason quarterly"));
        var audit = Keys("audit");
        Ok(audit);
        Assert.Contains("rotate", audit.Stdout);
        Assert.Contains("quarterly", audit.Stdout);
        var verify = Keys("audit --verify");
        Ok(verify);
        Assert.Contains("intact", verify.Stdout);
        var root = JsonNode.Parse(File.ReadAllText(KeyringPath))!;
        root["audit"]![2]!["detail"] = "edited";
        File.WriteAllText(KeyringPath, root.ToJsonString());
        var broken = Keys("audit --verify");
        OneLineError(broken, 3);
        Assert.Contains("record 3", broken.Stderr);
        OneLineError(Keys("list"), 3); // a keyring whose chain was edited does not open at all
    }

    [Fact]
    public void Init_without_purposes_creates_files_and_backups_and_rotate_of_an_unknown_purpose_names_the_known_ones()
    {
        Ok(Keys("init"));
        var keys = JsonNode.Parse(Keys("list --json").Stdout)!["keys"]!.AsArray().Select(k => (string)k!["keyName"]!).ToList();
        Assert.Equal(["backups/v1", "files/v1"], keys);
        var typo = Keys("rotate flies");
        OneLineError(typo, 4);
        Assert.Contains("backups, files", typo.Stderr);
        Ok(Keys("add flies"));
        Ok(Keys("rotate flies"));
    }

    [Fact]
    public void Audit_head_is_an_anchor_that_catches_a_rollback_of_the_whole_store()
    {
        Ok(Keys("init --purpose files"));
        var before = File.ReadAllBytes(KeyringPath);
        Ok(Keys("state files 1 compromised"));
        Ok(Keys("rotate files"));
        var head = Keys("audit --head");
        Ok(head);
        var anchor = head.Stdout.Trim();
        Assert.Matches("^[0-9]+:[0-9a-f]{64}$", anchor);
        Ok(Keys($"audit --expect-head {anchor}"));
        File.WriteAllBytes(KeyringPath, before); // a consistent copy from before the compromise
        Ok(Keys("list"));
        var caught = Keys($"audit --expect-head {anchor}");
        OneLineError(caught, 3);
        Assert.Contains("rolled back", caught.Stderr);
        OneLineError(Keys("audit --expect-head nonsense"), 2);
    }

    [Fact]
    public void Passphrase_kek_from_a_file()
    {
        var pass = Path.Combine(_dir, "pass.txt");
        File.WriteAllText(pass, "correct horse battery staple\n");
        Ok(Keys($"init --kek passphrase --passphrase-file {pass} --purpose files"));
        Ok(Keys($"rotate files --kek passphrase --passphrase-file {pass}"));
        File.WriteAllText(pass, "wrong horse\n");
        OneLineError(Keys($"list --kek passphrase --passphrase-file {pass}"), 8);
        Assert.DoesNotContain("horse", File.ReadAllText(KeyringPath));
        Ok(Keys("list --kek passphrase", new() { ["PHICRYPTO_KEK_PASSPHRASE"] = "correct horse battery staple" }));
    }

    [Fact]
    public void Rewrap_moves_the_keyring_to_a_new_kek()
    {
        Ok(Keys("init --purpose files"));
        Ok(Keys("rotate files"));
        var newKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var r = Keys("rewrap --new-kek env:NEW_MASTER_KEY", new() { ["NEW_MASTER_KEY"] = newKey });
        Ok(r);
        Assert.Contains("re-wrapped 2", r.Stdout);
        OneLineError(Keys("list"), 8);
        Ok(Keys("list --kek env:NEW_MASTER_KEY", new() { ["NEW_MASTER_KEY"] = newKey }));
        Ok(Keys("list", new() { ["PHICRYPTO_MASTER_KEY"] = newKey }));
    }

    [Fact]
    public void Recovery_drill_rsa_then_passphrase_on_a_new_machine()
    {
        Ok(Keys("init --purpose files --purpose backups"));
        Ok(Keys("rotate files"));
        using var rsa = RSA.Create(4096);
        var pub = Path.Combine(_dir, "recovery.pub.pem");
        var priv = Path.Combine(_dir, "recovery.pem");
        File.WriteAllText(pub, rsa.ExportSubjectPublicKeyInfoPem());
        File.WriteAllText(priv, rsa.ExportPkcs8PrivateKeyPem());
        var passFile = Path.Combine(_dir, "recovery-pass.txt");
        File.WriteAllText(passFile, "offline recovery words\n");
        var bundle = Path.Combine(_dir, "recovery.bundle");
        var export = Keys($"export --recovery-key {pub} --recovery-passphrase-file {passFile} -o {bundle}");
        Ok(export);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(bundle));
        var before = JsonNode.Parse(Keys("list --json").Stdout)!["keys"]!.ToJsonString();

        // the RSA key opens the bundle; its origin is proven under the source KEK (the passphrase proves it by itself)
        foreach (var how in new[] { $"--recovery-private-key {priv} --source-kek env:SOURCE_MASTER_KEY", $"--recovery-passphrase-file {passFile}" })
        {
            var newKeyring = Path.Combine(_dir, $"new-{Guid.NewGuid():N}.json");
            var newMaster = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            var env = new Dictionary<string, string> { ["PHICRYPTO_KEYRING"] = newKeyring, ["PHICRYPTO_MASTER_KEY"] = newMaster, ["SOURCE_MASTER_KEY"] = _masterKey };
            OneLineError(Keys($"import {bundle} {how}", env), 4); // no keyring there: says to create one
            var imported = Keys($"import {bundle} {how} --init", env);
            Ok(imported);
            Assert.Contains("imported 3", imported.Stdout);
            var after = JsonNode.Parse(Keys("list --json", env).Stdout)!["keys"]!.AsArray();
            Assert.Equal(["backups/v1:active", "files/v1:deactivated", "files/v2:active"], after.Select(k => $"{k!["keyName"]}:{k["state"]}"));
            Ok(Keys("audit --verify", env));
        }
        Assert.Contains("export", Keys("audit").Stdout);
        OneLineError(Keys($"import {bundle} --recovery-passphrase-file {pub} --init", new() { ["PHICRYPTO_KEYRING"] = Path.Combine(_dir, "x.json") }), 3);
        Assert.False(File.Exists(Path.Combine(_dir, "x.json"))); // a bundle that does not open creates no keyring
    }

    [Fact]
    public void Export_failure_leaves_no_partial_file()
    {
        Ok(Keys("init --purpose files"));
        var passFile = Path.Combine(_dir, "p.txt");
        File.WriteAllText(passFile, "pw pw pw pw");
        var target = Path.Combine(_dir, "missing-dir", "bundle");
        var r = Keys($"export --recovery-passphrase-file {passFile} -o {target}");
        Assert.NotEqual(0, r.ExitCode);
        Assert.False(Directory.Exists(Path.Combine(_dir, "missing-dir")));
        OneLineError(Keys("export -o x"), 2);
    }

    [Fact]
    public void Two_processes_rotating_leave_a_consistent_keyring()
    {
        Ok(Keys("init --purpose files"));
        var runs = Enumerable.Range(0, 2).Select(_ => Task.Run(() => Keys("rotate files"))).ToArray();
        Task.WaitAll(runs);
        Assert.All(runs, r => Ok(r.Result));
        var versions = JsonNode.Parse(Keys("list --json").Stdout)!["keys"]!.AsArray();
        Assert.Single(versions, v => (string?)v!["state"] == "active");
        Assert.Equal(Enumerable.Range(1, versions.Count).Select(i => (uint)i), versions.Select(v => (uint)v!["version"]!));
        Ok(Keys("audit --verify"));
    }

    [Fact]
    public void Help_and_usage_errors()
    {
        var help = Phicrypt.Run("keys --help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("rewrap", help.Stdout);
        Assert.Contains("PHICRYPTO_KEYRING", help.Stdout);
        Assert.Equal(0, Phicrypt.Run("keys rotate --help").ExitCode);
        OneLineError(Phicrypt.Run("keys"), 2);
        OneLineError(Phicrypt.Run("keys frobnicate"), 2);
        OneLineError(Keys("rotate"), 2);
        OneLineError(Keys("rotate 'bad purpose'"), 2);
        OneLineError(Keys("list --kek bogus"), 2);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}

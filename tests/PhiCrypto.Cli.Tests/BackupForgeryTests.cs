using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PhiCrypto.Messages;

namespace PhiCrypto.Cli.Tests;

/// <summary>
/// Issue 11 section 1: an attacker who can write the backup bucket and holds what the backup host holds
/// (the recovery PUBLIC key) forges a backup whose plain-format dump runs `\! touch MARKER` in psql.
/// On the code before signed backups, `verify` passed it and `restore --recovery-key PRIV.pem` ran the
/// command. Now both are refused before any child process starts, and the target database is untouched.
/// </summary>
[Collection("backup")]
public sealed class BackupForgeryTests(BackupServices services) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("phicrypt-forge-").FullName;
    private readonly string _marker = Path.Combine(Path.GetTempPath(), "phicrypt-forged-" + Guid.NewGuid().ToString("N"));
    private static BackupKit Kit => BackupKit.Shared;

    private string Payload => $"\\! touch {_marker}\nCREATE TABLE forged (x int);\n";

    [Fact]
    public void A_backup_forged_from_the_recovery_public_key_is_refused_by_verify_and_restore()
    {
        var forged = ForgeFromRecoveryPublicKey();
        AssertRefused(forged, expectInStderr: "not signed");
    }

    [Fact]
    public void The_forgery_with_a_signature_block_copied_from_a_real_backup_is_refused()
    {
        var real = Path.Combine(_dir, "real.phi");
        AssertOk(Phicrypt.Run($"backup --pg \"{services.ConnInfo("clinic")}\" -o {real} --recovery-key {Kit.RecoveryPublic}", Kit.Env));
        var forged = ForgeFromRecoveryPublicKey();
        var manifest = JsonNode.Parse(File.ReadAllText(forged + ".manifest.json"))!;
        var realManifest = JsonNode.Parse(File.ReadAllText(real + ".manifest.json"))!;
        manifest["format"] = realManifest["format"]!.GetValue<string>();
        foreach (var field in new[] { "signature", "headerSha384", "headerBytes", "messageSha384" })
            manifest[field] = realManifest[field]!.DeepClone();
        File.WriteAllText(forged + ".manifest.json", manifest.ToJsonString());
        AssertRefused(forged, expectInStderr: "signature");
    }

    [Fact]
    public void A_backup_signed_by_another_keyring_is_refused()
    {
        // The attacker runs phicrypt with a keyring of their own: a perfectly formed, signed backup.
        using var attacker = BackupKit.Create("attacker");
        var forged = Path.Combine(_dir, "other-signer.phi");
        var r = Phicrypt.Run($"backup --stdin --compress none --pg-dump-args \"--format=plain\" -o {forged} --recovery-key {Kit.RecoveryPublic}",
            attacker.Env, stdin: Payload);
        AssertOk(r);
        AssertRefused(forged, expectInStderr: "signature");
        // The keyring of the victim refuses it as well (its backup-signing key is not the signer).
        var verify = Phicrypt.Run($"verify {forged}", Kit.Env);
        Assert.NotEqual(0, verify.ExitCode);
        Assert.False(File.Exists(_marker));
    }

    [Fact]
    public void An_unsigned_backup_is_read_only_with_allow_unsigned_and_never_when_plain()
    {
        // A backup as phicrypt made it before signed backups: the same message, a version 1 manifest.
        var old = Path.Combine(_dir, "old.phi");
        AssertOk(Phicrypt.Run($"backup --pg \"{services.ConnInfo("clinic")}\" -o {old} --recovery-key {Kit.RecoveryPublic}", Kit.Env));
        var manifest = JsonNode.Parse(File.ReadAllText(old + ".manifest.json"))!.AsObject();
        manifest["format"] = "phicrypto-backup/1";
        foreach (var field in new[] { "signature", "headerSha384", "headerBytes", "messageSha384" }) manifest.Remove(field);
        File.WriteAllText(old + ".manifest.json", manifest.ToJsonString());
        var dr = $"--recovery-key {Kit.RecoveryPrivate} --verify-key {Kit.VerificationKey}";

        var refused = Phicrypt.Run($"verify {old} {dr}");
        Assert.Equal(6, refused.ExitCode);
        Assert.Contains("--allow-unsigned", refused.Stderr);
        var allowed = Phicrypt.Run($"verify {old} {dr} --allow-unsigned");
        AssertOk(allowed);
        Assert.Contains("NOT SIGNED", allowed.Stderr);

        var forged = ForgeFromRecoveryPublicKey();
        var db = services.NewDatabase();
        var plain = Phicrypt.Run($"restore {forged} --pg \"{services.ConnInfo(db)}\" {dr} --allow-unsigned");
        Assert.Equal(6, plain.ExitCode);
        Assert.Contains("plain-format", plain.Stderr);
        Assert.False(File.Exists(_marker));
        Assert.Equal("0", services.Psql(db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"));
    }

    /// <summary>verify and restore (DR drill: recovery private key, with and without the pinned key) refuse it; nothing ran.</summary>
    private void AssertRefused(string backup, string expectInStderr)
    {
        var db = services.NewDatabase();
        var attempts = new[]
        {
            $"verify {backup} --recovery-key {Kit.RecoveryPrivate}",
            $"verify {backup} --recovery-key {Kit.RecoveryPrivate} --verify-key {Kit.VerificationKey}",
            $"restore {backup} --pg \"{services.ConnInfo(db)}\" --recovery-key {Kit.RecoveryPrivate}",
            $"restore {backup} --pg \"{services.ConnInfo(db)}\" --recovery-key {Kit.RecoveryPrivate} --verify-key {Kit.VerificationKey}",
        };
        foreach (var args in attempts)
        {
            var r = Phicrypt.Run(args);
            Assert.True(r.ExitCode != 0, $"accepted: phicrypt {args}\n{r.Stdout}{r.Stderr}");
            Assert.False(File.Exists(_marker), $"the forged dump ran a shell command: phicrypt {args}");
        }
        var pinned = Phicrypt.Run(attempts[3]);
        Assert.Contains(expectInStderr, pinned.Stderr);
        Assert.DoesNotContain("psql", pinned.Stderr);
        Assert.Equal("0", services.Psql(db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"));
    }

    /// <summary>A valid 0x0478 message to the recovery public key, and a manifest that says "plain, uncompressed".</summary>
    private string ForgeFromRecoveryPublicKey()
    {
        var file = Path.Combine(_dir, "forged.phi");
        var backupId = Guid.NewGuid().ToString("N");
        using var recovery = RawRsaKeyring.FromPem(File.ReadAllText(Kit.RecoveryPublic));
        var context = new Dictionary<string, string> { ["phicrypto-backup-id"] = backupId, ["dump-format"] = "plain", ["compression"] = "none" };
        var dump = Encoding.UTF8.GetBytes(Payload);
        using (var output = File.Create(file))
            MessagePipeline.Encrypt(new MemoryStream(dump), output, new MessageEncryptOptions { Wrappers = [recovery], FrameLength = 1 << 20, EncryptionContext = context });
        var bytes = File.ReadAllBytes(file);
        var manifest = new JsonObject
        {
            ["format"] = "phicrypto-backup/1",
            ["backupId"] = backupId,
            ["created"] = DateTime.UtcNow,
            ["completed"] = DateTime.UtcNow,
            ["pgDumpVersion"] = "pg_dump (PostgreSQL) 15",
            ["pgDumpArgs"] = new JsonArray("--format=plain"),
            ["dumpFormat"] = "plain",
            ["compression"] = "none",
            ["dumpBytes"] = dump.Length,
            ["encryptedBytes"] = bytes.Length,
            ["suite"] = "0x0478",
            ["frameLength"] = 1 << 20,
            ["keys"] = new JsonArray(new JsonObject { ["provider"] = recovery.KeyNamespace, ["name"] = recovery.KeyName }),
            ["encryptionContext"] = new JsonObject { ["phicrypto-backup-id"] = backupId, ["dump-format"] = "plain", ["compression"] = "none" },
            ["parts"] = new JsonArray(new JsonObject { ["name"] = "forged.phi", ["bytes"] = bytes.Length, ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(bytes)) }),
        };
        File.WriteAllText(file + ".manifest.json", manifest.ToJsonString());
        return file;
    }

    private static void AssertOk(Phicrypt.Result r) => Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}");

    public void Dispose()
    {
        try { File.Delete(_marker); } catch (IOException) { }
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

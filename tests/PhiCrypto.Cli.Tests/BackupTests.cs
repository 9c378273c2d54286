using System.Security.Cryptography;
using System.Text.Json;

namespace PhiCrypto.Cli.Tests;

/// <summary>`phicrypt backup | verify | restore` against a real PostgreSQL 15 and a real S3 API (Swift).</summary>
[Collection("backup")]
public sealed class BackupTests(BackupServices services) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("phicrypt-bk-").FullName;
    private static BackupKit Kit => BackupKit.Shared;
    private static string Pub => Kit.RecoveryPublic;
    private static string Priv => Kit.RecoveryPrivate;
    /// <summary>The disaster-recovery side: the recovery private key and the pinned verification key, no keyring.</summary>
    private static string Dr => $"--recovery-key {Priv} --verify-key {Kit.VerificationKey}";

    /// <summary>As the backup host runs it: with the operator's keyring (which signs) and S3 credentials.</summary>
    private Phicrypt.Result Run(string args) => Phicrypt.Run(args, new Dictionary<string, string>(services.S3Env.Concat(Kit.Env)));
    /// <summary>Without the keyring: what the disaster-recovery host has.</summary>
    private Phicrypt.Result RunWithoutKeyring(string args) => Phicrypt.Run(args, services.S3Env);

    private void AssertOk(Phicrypt.Result r) => Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}");

    private void RestoreAndCompare(string source)
    {
        var db = services.NewDatabase();
        AssertOk(RunWithoutKeyring($"restore {source} --pg \"{services.ConnInfo(db)}\" {Dr}"));
        Assert.Equal(services.Fingerprint("clinic"), services.Fingerprint(db));
    }

    [Fact]
    public void File_backup_verifies_and_restores_into_a_fresh_database()
    {
        var file = Path.Combine(_dir, "clinic.phi");
        AssertOk(Run($"backup --pg \"{services.ConnInfo("clinic")}\" -o {file} --recovery-key {Pub}"));
        var manifest = JsonDocument.Parse(File.ReadAllBytes(file + ".manifest.json")).RootElement;
        Assert.Equal("zstd", manifest.GetProperty("compression").GetString());
        Assert.Equal("custom", manifest.GetProperty("dumpFormat").GetString());
        Assert.StartsWith("pg_dump (PostgreSQL) 15", manifest.GetProperty("pgDumpVersion").GetString());
        var part = manifest.GetProperty("parts")[0];
        Assert.Equal(new FileInfo(file).Length, part.GetProperty("bytes").GetInt64());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file))), part.GetProperty("sha256").GetString());
        Assert.Equal("backups/v1", manifest.GetProperty("keys")[0].GetProperty("name").GetString());
        Assert.StartsWith("recovery/", manifest.GetProperty("keys")[1].GetProperty("name").GetString());
        Assert.Equal("phicrypto-backup/2", manifest.GetProperty("format").GetString());
        var signature = manifest.GetProperty("signature");
        Assert.Equal("ECDSA-P384-SHA384", signature.GetProperty("algorithm").GetString());
        Assert.Equal("backup-signing/v1", signature.GetProperty("keyName").GetString());
        Assert.False(File.ReadAllBytes(file).AsSpan().IndexOf("patient 12345"u8) >= 0, "plaintext rows in the backup file");

        var verify = RunWithoutKeyring($"verify {file} {Dr}");
        AssertOk(verify);
        Assert.StartsWith("ok:", verify.Stdout);
        Assert.Contains("signed by backup-signing/v1", verify.Stdout);
        Assert.Contains(signature.GetProperty("fingerprint").GetString()!, verify.Stdout);
        AssertOk(Run($"verify {file}"));   // with the keyring: its backup-signing key verifies, its backups key decrypts
        RestoreAndCompare(file);

        // --json: the one report style (snake_case, version and report first)
        var json = RunWithoutKeyring($"verify {file} {Dr} --json");
        AssertOk(json);
        var report = JsonDocument.Parse(json.Stdout).RootElement;
        Assert.Equal(1, report.GetProperty("version").GetInt32());
        Assert.Equal("verify", report.GetProperty("report").GetString());
        Assert.Equal(manifest.GetProperty("backupId").GetString(), report.GetProperty("backup_id").GetString());
        Assert.Equal(manifest.GetProperty("dumpBytes").GetInt64(), report.GetProperty("checked_dump_bytes").GetInt64());
        Assert.Equal("backup-signing/v1", report.GetProperty("signature").GetProperty("key_name").GetString());
        var db = services.NewDatabase();
        var restore = RunWithoutKeyring($"restore {file} --pg \"{services.ConnInfo(db)}\" {Dr} --json");
        AssertOk(restore);
        Assert.Equal("restore", JsonDocument.Parse(restore.Stdout).RootElement.GetProperty("report").GetString());
        var again = Run($"backup --pg \"{services.ConnInfo("clinic")}\" -o {file}.2 --json");
        AssertOk(again);
        var made = JsonDocument.Parse(again.Stdout).RootElement;
        Assert.Equal("backup", made.GetProperty("report").GetString());
        Assert.Equal(new FileInfo(file + ".2").Length, made.GetProperty("encrypted_bytes").GetInt64());
    }

    [Fact]
    public void A_backup_under_a_key_and_the_recovery_key_restores_with_the_recovery_key_alone()
    {
        var keyFile = Path.Combine(_dir, "backups.key");
        File.WriteAllBytes(keyFile, RandomNumberGenerator.GetBytes(32));
        var file = Path.Combine(_dir, "both.phi");
        AssertOk(Run($"backup --pg \"{services.ConnInfo("clinic")}\" -o {file} --key-file {keyFile} --key-name offsite/v1 --recovery-key {Pub}"));
        var keys = JsonDocument.Parse(File.ReadAllBytes(file + ".manifest.json")).RootElement.GetProperty("keys");
        Assert.Equal("offsite/v1", keys[1].GetProperty("name").GetString());
        Assert.Equal(3, keys.GetArrayLength());
        AssertOk(RunWithoutKeyring($"verify {file} --key-file {keyFile} --key-name offsite/v1 --verify-key {Kit.VerificationKey}"));
        RestoreAndCompare(file);   // the disaster-recovery drill: the private recovery key and nothing else
    }

    [Fact]
    public void Keyring_backups_name_their_version_and_stay_restorable_after_rotation()
    {
        var env = new Dictionary<string, string>(services.S3Env)
        {
            ["PHICRYPTO_KEYRING"] = Path.Combine(_dir, "keyring.json"),
            ["PHICRYPTO_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        };
        Phicrypt.Result R(string a) => Phicrypt.Run(a, env);
        AssertOk(R("keys init --purpose backups --purpose backup-signing"));
        var verifyKey = Path.Combine(_dir, "backup-signing.pub.pem");
        AssertOk(R($"keys signing-key -o {verifyKey}"));
        string v1 = Path.Combine(_dir, "v1.phi"), v2 = Path.Combine(_dir, "v2.phi");
        AssertOk(R($"backup --pg \"{services.ConnInfo("clinic")}\" -o {v1}"));
        AssertOk(R("keys rotate backups"));
        AssertOk(R($"backup --pg \"{services.ConnInfo("clinic")}\" -o {v2} --recovery-key {Pub}"));
        string KeyName(string f) => JsonDocument.Parse(File.ReadAllBytes(f + ".manifest.json")).RootElement.GetProperty("keys")[0].GetProperty("name").GetString()!;
        Assert.Equal("backups/v1", KeyName(v1));
        Assert.Equal("backups/v2", KeyName(v2));
        AssertOk(R($"verify {v1}"));      // the deactivated version still decrypts
        var db = services.NewDatabase();
        AssertOk(R($"restore {v2} --pg \"{services.ConnInfo(db)}\""));
        Assert.Equal(services.Fingerprint("clinic"), services.Fingerprint(db));
        AssertOk(RunWithoutKeyring($"verify {v2} --recovery-key {Priv} --verify-key {verifyKey}"));   // and without the keyring at all
        Assert.Equal(4, RunWithoutKeyring($"verify {v1} --recovery-key {Priv} --verify-key {verifyKey}").ExitCode);   // v1 was not wrapped to it
    }

    [Fact]
    public void The_drill_works_with_a_password_protected_recovery_key()
    {
        var file = Path.Combine(_dir, "pw.phi");
        AssertOk(Run($"backup --pg \"{services.ConnInfo("clinic")}\" -o {file} --recovery-key {Pub}"));
        // As the DR runbook makes it: `openssl genpkey ... -aes-256-cbc` (PKCS#8, encrypted).
        using var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(Priv));
        var encrypted = Path.Combine(_dir, "recovery-pw.pem");
        File.WriteAllText(encrypted, rsa.ExportEncryptedPkcs8PrivateKeyPem("s3cret words", new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000)));
        Phicrypt.Result WithPassword(string args, string password) =>
            Phicrypt.Run(args, new Dictionary<string, string>(services.S3Env) { ["PHICRYPTO_RECOVERY_KEY_PASSWORD"] = password });

        AssertOk(WithPassword($"verify {file} --recovery-key {encrypted} --verify-key {Kit.VerificationKey}", "s3cret words"));
        var db = services.NewDatabase();
        var wrong = WithPassword($"restore {file} --pg \"{services.ConnInfo(db)}\" --recovery-key {encrypted} --verify-key {Kit.VerificationKey}", "guess");
        Assert.Equal(3, wrong.ExitCode);
        Assert.Contains("wrong password", wrong.Stderr);
        AssertOk(WithPassword($"restore {file} --pg \"{services.ConnInfo(db)}\" --recovery-key {encrypted} --verify-key {Kit.VerificationKey}", "s3cret words"));
        Assert.Equal(services.Fingerprint("clinic"), services.Fingerprint(db));
    }

    [Fact]
    public void Split_plain_uncompressed_backup_restores_through_psql()
    {
        var dir = Path.Combine(_dir, "parts") + "/";
        AssertOk(Run($"backup --pg \"{services.ConnInfo("clinic")}\" -o {dir} --split 1M --compress none --pg-dump-args \"--format=plain --no-owner\" --recovery-key {Pub}"));
        var parts = Directory.GetFiles(dir, "part-*.phi").Order().ToArray();
        Assert.True(parts.Length >= 3, $"expected several parts, got {parts.Length}");
        Assert.All(parts[..^1], p => Assert.Equal(1 << 20, new FileInfo(p).Length));
        AssertOk(RunWithoutKeyring($"verify {dir} {Dr}"));
        RestoreAndCompare(dir);
    }

    [Fact]
    public void Jobs_on_a_one_stream_backup_is_refused_before_anything_runs()
    {
        var file = Path.Combine(_dir, "one.phi");
        AssertOk(Run($"backup --pg \"{services.ConnInfo("clinic")}\" -o {file} --recovery-key {Pub}"));
        var db = services.NewDatabase();
        foreach (var command in new[] { $"restore {file} --jobs 2 --pg \"{services.ConnInfo(db)}\" {Dr}", $"verify {file} --jobs 2 {Dr}" })
        {
            var r = RunWithoutKeyring(command);
            Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}: {r.Stderr}");
            Assert.Contains("this backup is one stream, restored with one job: drop --jobs", r.Stderr);
        }
        Assert.Equal("0", services.Psql(db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"));
    }

    [Fact]
    public void S3_backup_in_parts_restores()
    {
        var target = "s3://backups/nightly/" + Guid.NewGuid().ToString("N")[..8];
        AssertOk(Run($"backup --pg \"{services.ConnInfo("clinic")}\" -o {target} --split 2M --recovery-key {Pub}"));
        AssertOk(RunWithoutKeyring($"verify {target} {Dr}"));
        RestoreAndCompare(target);
    }

    [Fact]
    public void A_corrupted_part_fails_verify_and_restore_loudly()
    {
        var dir = Path.Combine(_dir, "bad") + "/";
        AssertOk(Run($"backup --pg \"{services.ConnInfo("clinic")}\" -o {dir} --split 1M --compress none --recovery-key {Pub}"));
        var part = Path.Combine(dir, "part-00002.phi");
        var bytes = File.ReadAllBytes(part);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(part, bytes);

        var verify = RunWithoutKeyring($"verify {dir} {Dr}");
        Assert.NotEqual(0, verify.ExitCode);
        // Whichever notices first names the part: its SHA-256 or the frame's tag (exit 3).
        Assert.Contains("part-00002.phi", verify.Stderr);
        Assert.Matches("corrupted|authentication failed", verify.Stderr);
        var db = services.NewDatabase();
        var restore = RunWithoutKeyring($"restore {dir} --pg \"{services.ConnInfo(db)}\" {Dr}");
        Assert.NotEqual(0, restore.ExitCode);
        Assert.NotEqual("", restore.Stderr.Trim());
    }

    [Fact]
    public void A_truncated_part_fails_before_any_data_flows()
    {
        var file = Path.Combine(_dir, "short.phi");
        AssertOk(Run($"backup --pg \"{services.ConnInfo("clinic")}\" -o {file} --recovery-key {Pub}"));
        using (var f = new FileStream(file, FileMode.Open)) f.SetLength(f.Length - 100);
        var verify = RunWithoutKeyring($"verify {file} {Dr}");
        Assert.NotEqual(0, verify.ExitCode);
        Assert.Contains("truncated", verify.Stderr);
        var db = services.NewDatabase();
        var restore = RunWithoutKeyring($"restore {file} --pg \"{services.ConnInfo(db)}\" {Dr}");
        Assert.NotEqual(0, restore.ExitCode);
        Assert.Equal("0", services.Psql(db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"));
    }

    [Fact]
    public void A_failed_pg_dump_leaves_no_backup_behind()
    {
        var dir = Path.Combine(_dir, "failed") + "/";
        var r = Run($"backup --pg \"{services.ConnInfo("no_such_database")}\" -o {dir} --recovery-key {Pub}");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("pg_dump exited with status", r.Stderr);
        Assert.Empty(Directory.GetFiles(dir));

        var r2 = Run($"backup --pg \"{services.ConnInfo("clinic")}\" --pg-dump-args \"--table=no_such_table\" -o {dir} --recovery-key {Pub}");
        Assert.NotEqual(0, r2.ExitCode);
        Assert.Empty(Directory.GetFiles(dir));
        Assert.NotEqual(0, RunWithoutKeyring($"verify {dir} {Dr}").ExitCode);

        // A file already at the target (an older backup whose manifest is elsewhere) survives a failed run.
        var file = Path.Combine(_dir, "older.phi");
        File.WriteAllText(file, "older backup");
        Assert.NotEqual(0, Run($"backup --pg \"{services.ConnInfo("no_such_database")}\" -o {file} --recovery-key {Pub}").ExitCode);
        Assert.Equal("older backup", File.ReadAllText(file));
        Assert.False(File.Exists(file + ".partial"));
        Assert.False(File.Exists(file + ".manifest.json"));
    }

    [Fact]
    public void Another_recovery_key_cannot_restore()
    {
        var file = Path.Combine(_dir, "k.phi");
        AssertOk(Run($"backup --pg \"{services.ConnInfo("clinic")}\" -o {file} --recovery-key {Pub}"));
        using var other = RSA.Create(3072);
        var otherKey = Path.Combine(_dir, "other.pem");
        File.WriteAllText(otherKey, other.ExportPkcs8PrivateKeyPem());
        var r = RunWithoutKeyring($"verify {file} --recovery-key {otherKey} --verify-key {Kit.VerificationKey}");
        Assert.Equal(4, r.ExitCode);   // key not found
        Assert.Contains("no encrypted data key", r.Stderr);
    }

    [Fact]
    public void A_manifest_from_another_backup_does_not_open_these_parts()
    {
        string a = Path.Combine(_dir, "a.phi"), b = Path.Combine(_dir, "b.phi");
        AssertOk(Run($"backup --pg \"{services.ConnInfo("clinic")}\" -o {a} --recovery-key {Pub}"));
        AssertOk(Run($"backup --pg \"{services.ConnInfo("clinic")}\" -o {b} --recovery-key {Pub}"));
        // b's manifest, with a's part hashes and sizes so only the backup id differs from a's own.
        var ma = JsonDocument.Parse(File.ReadAllBytes(a + ".manifest.json")).RootElement;
        var mb = File.ReadAllText(b + ".manifest.json");
        var bId = JsonDocument.Parse(mb).RootElement.GetProperty("backupId").GetString()!;
        File.WriteAllText(a + ".manifest.json", File.ReadAllText(a + ".manifest.json").Replace(ma.GetProperty("backupId").GetString()!, bId));
        var r = RunWithoutKeyring($"verify {a} {Dr}");
        Assert.Equal(3, r.ExitCode);   // the backup id is signed: the edited manifest no longer verifies
        Assert.Contains("signature does not verify", r.Stderr);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

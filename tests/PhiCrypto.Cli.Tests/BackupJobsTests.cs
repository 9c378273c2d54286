using System.Text.Json;
using System.Text.Json.Nodes;

namespace PhiCrypto.Cli.Tests;

/// <summary>
/// `phicrypt backup --jobs N` (pg_dump's directory format, one signed message per file) against the real
/// PostgreSQL 15: the round trip through `pg_restore --jobs`, and the storage attacker's moves on the
/// files (docs/threat-model.md): a file missing, added, renamed, swapped with another or replaced by the
/// same table's file from another backup is refused before pg_restore starts, and the plaintext staging
/// folders are gone afterwards, also when the restore fails.
/// </summary>
[Collection("backup")]
public sealed class BackupJobsTests : IDisposable
{
    private const string Db = "wards";
    private readonly BackupServices _services;
    private readonly string _dir = Directory.CreateTempSubdirectory("phicrypt-jobs-").FullName;
    /// <summary>TMPDIR of every run: the staging folders must be gone from it afterwards.</summary>
    private readonly string _tmp;
    private static BackupKit Kit => BackupKit.Shared;
    private static string Dr => $"--recovery-key {Kit.RecoveryPrivate} --verify-key {Kit.VerificationKey}";

    public BackupJobsTests(BackupServices services)
    {
        _services = services;
        _tmp = Directory.CreateDirectory(Path.Combine(_dir, "tmp")).FullName;
        if (services.Psql("postgres", $"SELECT count(*) FROM pg_database WHERE datname = '{Db}'") == "0") CreateWards();
    }

    // Several tables: two of identical shape and size (their dump files have the same length), one
    // larger with JSON and bytes, one empty, and a sequence.
    private void CreateWards()
    {
        _services.Psql("postgres", $"CREATE DATABASE {Db}");
        _services.Psql(Db, """
            CREATE TABLE ward_a (id int PRIMARY KEY, label text);
            CREATE TABLE ward_b (id int PRIMARY KEY, label text);
            INSERT INTO ward_a SELECT g, md5('a' || g) FROM generate_series(1, 20000) g;
            INSERT INTO ward_b SELECT g, md5('b' || g) FROM generate_series(1, 20000) g;
            CREATE TABLE admission (id bigint PRIMARY KEY, ward int, at timestamptz, doc jsonb, scan bytea);
            INSERT INTO admission SELECT g, g % 40, timestamptz '2026-01-01' + g * interval '1 minute',
                jsonb_build_object('dx', md5(g::text), 'bp', 90 + g % 70), sha256(g::text::bytea)
            FROM generate_series(1, 80000) g;
            CREATE TABLE discharge (id int, note text);
            CREATE SEQUENCE bed_no START 700;
            SELECT nextval('bed_no');
            """);
    }

    private string Fingerprint(string db) => _services.Psql(db, """
        SELECT (SELECT count(*) || md5(string_agg(id::text || label, ',' ORDER BY id)) FROM ward_a)
            || (SELECT count(*) || md5(string_agg(id::text || label, ',' ORDER BY id)) FROM ward_b)
            || (SELECT count(*) || md5(string_agg(id::text || ward || at::text || doc::text || encode(scan, 'hex'), ',' ORDER BY id)) FROM admission)
            || (SELECT count(*) FROM discharge) || ':' || (SELECT last_value FROM bed_no);
        """);

    private Phicrypt.Result Run(string args) => Phicrypt.Run(args, new Dictionary<string, string>(Kit.Env) { ["TMPDIR"] = _tmp });
    private Phicrypt.Result RunWithoutKeyring(string args) => Phicrypt.Run(args, new Dictionary<string, string> { ["TMPDIR"] = _tmp });
    private static void AssertOk(Phicrypt.Result r) => Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}");
    private void AssertNoStagingLeft() => Assert.Empty(Directory.EnumerateFileSystemEntries(_tmp));

    private string Backup(string name, string extra = "")
    {
        var dir = Path.Combine(_dir, name) + "/";
        AssertOk(Run($"backup --jobs 2 --pg \"{_services.ConnInfo(Db)}\" -o {dir} --recovery-key {Kit.RecoveryPublic} {extra}"));
        AssertNoStagingLeft();
        return dir;
    }

    private static List<JsonElement> Files(string dir) =>
        [.. JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "manifest.json"))).RootElement.GetProperty("files").EnumerateArray()];

    [Theory]
    [InlineData("zstd")]
    [InlineData("none")]
    public void A_jobs_backup_restores_through_pg_restore_jobs_with_the_same_data(string compress)
    {
        var dir = Backup("round-" + compress, $"--compress {compress}");
        var manifest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "manifest.json"))).RootElement;
        Assert.Equal("directory", manifest.GetProperty("dumpFormat").GetString());
        Assert.Equal(compress, manifest.GetProperty("compression").GetString());
        Assert.Contains("--format=directory", manifest.GetProperty("pgDumpArgs").EnumerateArray().Select(a => a.GetString()));
        var files = Files(dir);
        Assert.Contains(files, f => f.GetProperty("name").GetString() == "toc.dat");
        Assert.True(files.Count >= 5, $"one file per table and toc.dat, found {files.Count}");
        // Every stored file is one the manifest lists, under its name, with its length.
        var stored = Directory.GetFiles(dir).Select(Path.GetFileName).Where(n => n != "manifest.json").Order().ToList();
        Assert.Equal(files.Select(f => f.GetProperty("part").GetString()).Order().ToList(), stored);
        foreach (var f in files)
            Assert.Equal(new FileInfo(Path.Combine(dir, f.GetProperty("part").GetString()!)).Length, f.GetProperty("bytes").GetInt64());
        foreach (var path in Directory.GetFiles(dir, "*.phi"))
            Assert.False(File.ReadAllBytes(path).AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(Md5Hex("a1"))) >= 0, $"plaintext rows in {path}");

        var verify = RunWithoutKeyring($"verify {dir} --jobs 2 {Dr}");
        AssertOk(verify);
        Assert.Contains("signed by backup-signing/v1", verify.Stdout);
        var db = _services.NewDatabase();
        AssertOk(RunWithoutKeyring($"restore {dir} --jobs 2 --pg \"{_services.ConnInfo(db)}\" {Dr}"));
        Assert.Equal(Fingerprint(Db), Fingerprint(db));
        AssertNoStagingLeft();
    }

    private static string Md5Hex(string s) => Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(s)));

    private void AssertRefused(string dir, string expectInStderr)
    {
        var verify = RunWithoutKeyring($"verify {dir} --jobs 2 {Dr}");
        Assert.NotEqual(0, verify.ExitCode);
        Assert.Contains(expectInStderr, verify.Stderr);
        var db = _services.NewDatabase();
        var restore = RunWithoutKeyring($"restore {dir} --jobs 2 --pg \"{_services.ConnInfo(db)}\" {Dr}");
        Assert.NotEqual(0, restore.ExitCode);
        Assert.Contains(expectInStderr, restore.Stderr);
        Assert.Equal("0", _services.Psql(db, "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace"));
        AssertNoStagingLeft();
    }

    /// <summary>The stored name of the largest table's file (admission's).</summary>
    private static string Largest(string dir) =>
        Files(dir).Where(f => f.GetProperty("name").GetString() != "toc.dat").MaxBy(f => f.GetProperty("dumpBytes").GetInt64()).GetProperty("part").GetString()!;

    /// <summary>ward_a's and ward_b's files: the same number of dump bytes.</summary>
    private static (string, string) EqualPair(string dir)
    {
        var pair = Files(dir).GroupBy(f => f.GetProperty("dumpBytes").GetInt64()).Single(g => g.Count() == 2 && g.Key > 0).ToList();
        return (pair[0].GetProperty("part").GetString()!, pair[1].GetProperty("part").GetString()!);
    }

    [Fact]
    public void A_missing_file_is_refused()
    {
        var dir = Backup("missing");
        var victim = Files(dir).First(f => f.GetProperty("name").GetString() != "toc.dat").GetProperty("part").GetString()!;
        File.Delete(Path.Combine(dir, victim));
        AssertRefused(dir, $"{victim} is missing");
    }

    [Fact]
    public void An_extra_file_is_refused()
    {
        var dir = Backup("extra");
        var copy = Files(dir).First(f => f.GetProperty("name").GetString() != "toc.dat").GetProperty("part").GetString()!;
        File.Copy(Path.Combine(dir, copy), Path.Combine(dir, "9999.dat.phi"));
        AssertRefused(dir, "9999.dat.phi, which its signed manifest does not list");
    }

    [Fact]
    public void A_renamed_file_is_refused()
    {
        var dir = Backup("renamed");
        var victim = Files(dir).First(f => f.GetProperty("name").GetString() != "toc.dat").GetProperty("part").GetString()!;
        File.Move(Path.Combine(dir, victim), Path.Combine(dir, "9998.dat.phi"));
        AssertRefused(dir, $"{victim} is missing");
        // The manifest renamed to match (the attacker cannot re-sign it): the signature fails.
        File.Move(Path.Combine(dir, "9998.dat.phi"), Path.Combine(dir, victim));
        EditManifest(dir, m => m["files"]!.AsArray().First(f => f!["part"]!.GetValue<string>() == victim)!["name"] = "9998.dat");
        AssertRefused(dir, "");
    }

    [Fact]
    public void Two_files_of_equal_length_swapped_are_refused()
    {
        var dir = Backup("swapped", "--compress none");   // uncompressed: equal dump lengths make equal file lengths
        var (a, b) = EqualPair(dir);
        Assert.Equal(new FileInfo(Path.Combine(dir, a)).Length, new FileInfo(Path.Combine(dir, b)).Length);
        File.Move(Path.Combine(dir, a), Path.Combine(dir, "tmp"));
        File.Move(Path.Combine(dir, b), Path.Combine(dir, a));
        File.Move(Path.Combine(dir, "tmp"), Path.Combine(dir, b));
        // Each file's header is checked against its signed digest before anything is decrypted.
        AssertRefused(dir, "the message header is not the one the backup's signature covers");
    }

    [Fact]
    public void The_same_tables_file_from_another_backup_is_refused()
    {
        string older = Backup("older"), newer = Backup("newer");
        var part = Largest(newer);
        Assert.Equal(Largest(older), part);
        File.Copy(Path.Combine(older, part), Path.Combine(newer, part), overwrite: true);
        AssertRefused(newer, part);
    }

    [Fact]
    public void Dropping_a_file_from_the_manifest_breaks_its_signature()
    {
        var dir = Backup("dropped");
        var victim = Files(dir).First(f => f.GetProperty("name").GetString() != "toc.dat").GetProperty("part").GetString()!;
        EditManifest(dir, m => m["files"]!.AsArray().Remove(m["files"]!.AsArray().First(f => f!["part"]!.GetValue<string>() == victim)));
        File.Delete(Path.Combine(dir, victim));
        AssertRefused(dir, "signature does not verify");
    }

    [Fact]
    public void A_file_damaged_in_place_or_a_failing_pg_restore_leaves_no_plaintext_behind()
    {
        var dir = Backup("damaged");
        // Damage after the length check: the file is read and refused midway, the staging folder exists.
        var victim = Largest(dir);
        var bytes = File.ReadAllBytes(Path.Combine(dir, victim));
        bytes[^100] ^= 0x01;
        File.WriteAllBytes(Path.Combine(dir, victim), bytes);
        AssertRefused(dir, victim);

        // pg_restore itself fails (the tables exist already): its status and stderr, staging removed.
        var good = Backup("good");
        var db = _services.NewDatabase();
        AssertOk(RunWithoutKeyring($"restore {good} --pg \"{_services.ConnInfo(db)}\" {Dr}"));
        var again = RunWithoutKeyring($"restore {good} --pg \"{_services.ConnInfo(db)}\" --temp-dir {_tmp} {Dr}");
        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("pg_restore exited with status", again.Stderr);
        AssertNoStagingLeft();
    }

    [Theory]
    [InlineData("--jobs 2 -o {0}/one.phi", "give -o DIR/")]
    [InlineData("--jobs 2 -o {0}/x/ --pg-dump-args -Fc", "drop --format")]
    [InlineData("--jobs 2 -o {0}/x/ --split 1G", "drop --stdin and --split")]
    [InlineData("--jobs 0 -o {0}/x/", "--jobs takes a number")]
    [InlineData("-o {0}/x/ --pg-dump-args -Fd", "needs --jobs N")]
    [InlineData("--jobs 2 -o {0}/tmp/../", "is not empty: a --jobs backup needs a folder of its own")]
    public void Jobs_usage_errors_say_what_to_do(string args, string expected)
    {
        var r = Run($"backup --pg \"{_services.ConnInfo(Db)}\" {string.Format(args, _dir)} --recovery-key {Kit.RecoveryPublic}");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(expected, r.Stderr);
        AssertNoStagingLeft();
    }

    private static void EditManifest(string dir, Action<JsonNode> edit)
    {
        var path = Path.Combine(dir, "manifest.json");
        var m = JsonNode.Parse(File.ReadAllText(path))!;
        edit(m);
        File.WriteAllText(path, m.ToJsonString());
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

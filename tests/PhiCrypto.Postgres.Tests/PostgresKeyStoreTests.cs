using System.Security.Cryptography;
using PhiCrypto.Keys;
using PhiCrypto.Fields;
using Npgsql;
using PhiCrypto.Keys.Conformance;

namespace PhiCrypto.Postgres.Tests;

[Collection("postgres")]
public class PostgresKeyStoreTests(PostgresFixture pg)
{
    private readonly byte[] _kek = RandomNumberGenerator.GetBytes(32);
    private SoftwareKek Kek() => new("env:TEST", _kek);

    [Fact]
    public void Creates_its_tables_and_round_trips_a_keyring()
    {
        var url = pg.FreshSchemaUrl();
        byte[] envelope;
        using (var store = new PostgresKeyStore(url))
        using (var k = Keyring.Initialize(store, Kek(), null, "clinic.Patient.ssn", "files"))
        {
            k.Rotate("files");
            envelope = k.EncryptField("clinic.Patient.ssn", FieldMode.Deterministic, "123-45-6789"u8);
        }
        using var store2 = new PostgresKeyStore(url);
        using var again = Keyring.Open(store2, Kek());
        Assert.Equal("123-45-6789"u8.ToArray(), again.DecryptField("clinic.Patient.ssn", envelope));
        Assert.Equal(2u, again.ActiveVersion("files")!.Version);
        Assert.True(again.VerifyAudit().IsValid);
        Assert.StartsWith("postgresql://", store2.Location);
    }

    [Fact]
    public void Tables_are_queryable_by_a_dba_without_key_bytes_in_the_readable_columns()
    {
        var url = pg.FreshSchemaUrl();
        var schema = PostgresUrl.Parameter(url, "schema");
        using (var store = new PostgresKeyStore(url))
        using (var k = Keyring.Initialize(store, Kek(), null, "files")) k.Rotate("files");
        using var conn = new NpgsqlConnection(PostgresUrl.ToConnectionString(pg.Url));
        conn.Open();
        using var cmd = new NpgsqlCommand($"SELECT string_agg(purpose || '/v' || version || '=' || state, ',' ORDER BY version) FROM {schema}.phicrypto_key_records", conn);
        Assert.Equal("files/v1=deactivated,files/v2=active", cmd.ExecuteScalar());
        using var audit = new NpgsqlCommand($"SELECT count(*) FROM {schema}.phicrypto_key_audit WHERE kind = 'rotate'", conn);
        Assert.Equal(1L, audit.ExecuteScalar());
    }

    [Fact]
    public void Stale_head_and_duplicate_version_are_conflicts_and_change_nothing()
    {
        var url = pg.FreshSchemaUrl();
        using var store = new PostgresKeyStore(url);
        using (Keyring.Initialize(store, Kek(), null, "files")) { }
        var before = store.Load();
        var record = before.Records[0];
        var evt = new AuditEvent { Sequence = before.AuditHead + 1, Time = DateTimeOffset.UtcNow, Kind = AuditKind.Create, PreviousHash = before.Audit[^1].Hash }.Sealed(new byte[32]);
        Assert.Throws<KeyStoreConflictException>(() => store.Commit(new KeyStoreCommit { ExpectedAuditHead = before.AuditHead, Inserts = [record], Audit = [evt] }));
        var stale = evt with { Sequence = before.AuditHead };
        Assert.Throws<KeyStoreConflictException>(() => store.Commit(new KeyStoreCommit { ExpectedAuditHead = before.AuditHead - 1, Audit = [stale.Sealed(new byte[32])] }));
        var after = store.Load();
        Assert.Equal(before.AuditHead, after.AuditHead);
        Assert.Equal(before.Records.Count, after.Records.Count);
    }

    [Fact]
    public void Two_processes_rotating_at_once_make_one_new_version()
    {
        var url = pg.FreshSchemaUrl();
        using (var s = new PostgresKeyStore(url)) Keyring.Initialize(s, Kek(), null, "files").Dispose();
        for (int round = 0; round < 3; round++)
        {
            using var barrier = new Barrier(2);
            // Separate data sources: separate connections, as two processes would have.
            var sa = new RendezvousStore(new PostgresKeyStore(url), barrier);
            var sb = new RendezvousStore(new PostgresKeyStore(url), barrier);
            using var a = Keyring.Open(sa, Kek());
            using var b = Keyring.Open(sb, Kek());
            uint before = a.ActiveVersion("files")!.Version;
            sa.Arm(); sb.Arm();
            var ta = Task.Run(() => a.Rotate("files").Version);
            var tb = Task.Run(() => b.Rotate("files").Version);
            Assert.Equal(ta.Result, tb.Result);
            Assert.Equal(before + 1, ta.Result);
            sa.Dispose(); sb.Dispose();
        }
        using var store = new PostgresKeyStore(url);
        using var k = Keyring.Open(store, Kek());
        Assert.Equal(4, k.Versions("files").Count);
        Assert.Single(k.Versions("files"), v => v.State == KeyState.Active);
        Assert.True(k.VerifyAudit().IsValid);
    }

    [Fact]
    public void Many_writers_hammering_keep_one_active_version_and_an_intact_chain()
    {
        var url = pg.FreshSchemaUrl();
        using (var s = new PostgresKeyStore(url)) Keyring.Initialize(s, Kek(), null, "files", "backups").Dispose();
        var tasks = Enumerable.Range(0, 4).Select(i => Task.Run(() =>
        {
            using var s = new PostgresKeyStore(url);
            using var k = Keyring.Open(s, Kek());
            for (int j = 0; j < 5; j++) k.Rotate(i % 2 == 0 ? "files" : "backups");
        })).ToArray();
        Task.WaitAll(tasks);
        using var store = new PostgresKeyStore(url);
        using var keyring = Keyring.Open(store, Kek());
        foreach (var p in new[] { "files", "backups" })
        {
            var versions = keyring.Versions(p);
            Assert.Single(versions, v => v.State == KeyState.Active);
            Assert.Equal(Enumerable.Range(1, versions.Count).Select(v => (uint)v), versions.Select(v => v.Version));
        }
        Assert.True(keyring.VerifyAudit().IsValid);
    }

    [Fact]
    public void Wrong_kek_and_tampered_rows_are_told_apart()
    {
        var url = pg.FreshSchemaUrl();
        var schema = PostgresUrl.Parameter(url, "schema");
        using (var s = new PostgresKeyStore(url)) Keyring.Initialize(s, Kek(), null, "files").Dispose();
        using (var s = new PostgresKeyStore(url))
            Assert.Throws<WrongKekException>(() => Keyring.Open(s, new SoftwareKek("env:OTHER", RandomNumberGenerator.GetBytes(32))));
        using (var conn = new NpgsqlConnection(PostgresUrl.ToConnectionString(pg.Url)))
        {
            conn.Open();
            // flip one bit inside the wrapped key (offset counted from the end: mac 32 + its length byte + 1)
            using var cmd = new NpgsqlCommand($"UPDATE {schema}.phicrypto_key_records SET record = set_byte(record, length(record) - 40, get_byte(record, length(record) - 40) # 1)", conn);
            cmd.ExecuteNonQuery();
        }
        using var s2 = new PostgresKeyStore(url);
        var e = Assert.Throws<KeyringIntegrityException>(() => Keyring.Open(s2, Kek()));
        Assert.Contains("files/v1", e.Message);
    }

    [Fact]
    public void Unreachable_database_is_a_store_error_without_the_password()
    {
        using var store = new PostgresKeyStore("postgresql://someone:s3cretpw@127.0.0.1:1/db?connect_timeout=2");
        var e = Assert.Throws<KeyStoreException>(() => store.Load());
        Assert.DoesNotContain("s3cretpw", e.Message);
        Assert.DoesNotContain("s3cretpw", store.Location);
    }

    [Theory]
    [InlineData("postgresql://u:p%40ss@db.example:5433/phi?sslmode=require", "db.example", 5433, "phi", "u")]
    [InlineData("postgres://127.0.0.1/postgres", "127.0.0.1", 5432, "postgres", null)]
    public void Urls_become_connection_strings(string url, string host, int port, string db, string? user)
    {
        var b = new NpgsqlConnectionStringBuilder(PostgresUrl.ToConnectionString(url));
        Assert.Equal((host, port, db, user), (b.Host, b.Port, b.Database, b.Username));
    }
}

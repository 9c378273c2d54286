// The shared key-store suites (PhiCrypto.Core.Tests/Keys/Conformance) run on the PostgreSQL store.
using Npgsql;
using NpgsqlTypes;
using PhiCrypto.Keys;
using PhiCrypto.Keys.Conformance;

namespace PhiCrypto.Postgres.Tests;

[Collection("postgres")]
public sealed class PostgresStoreWriterAttacks(PostgresFixture pg) : StoreWriterAttacks
{
    private readonly string _url = pg.FreshSchemaUrl();

    protected override IKeyStore Store() => new PostgresKeyStore(_url);

    /// <summary>What a database writer without the KEK can do: rewrite the three tables with plain SQL.</summary>
    protected override void Overwrite(KeyStoreContents contents)
    {
        var schema = PostgresUrl.Parameter(_url, "schema");
        using var conn = new NpgsqlConnection(PostgresUrl.ToConnectionString(pg.Url));
        conn.Open();
        using var tx = conn.BeginTransaction();
        Exec(conn, $"DELETE FROM {schema}.phicrypto_key_records; DELETE FROM {schema}.phicrypto_key_audit; DELETE FROM {schema}.phicrypto_key_settings");
        foreach (var r in contents.Records)
            Exec(conn, $"INSERT INTO {schema}.phicrypto_key_records (purpose, version, state, record) VALUES ($1, $2, $3, $4)",
                 r.Purpose, (long)r.Version, KeyLifecycle.Name(r.State), r.ToBytes());
        foreach (var a in contents.Audit)
            Exec(conn, $"INSERT INTO {schema}.phicrypto_key_audit (seq, kind, event, hash) VALUES ($1, $2, $3, $4)",
                 a.Sequence, AuditEvent.KindName(a.Kind), a.ToBytes(), a.Hash);
        foreach (var (k, v) in contents.Settings)
            Exec(conn, $"INSERT INTO {schema}.phicrypto_key_settings (name, value) VALUES ($1, $2)", k, v);
        tx.Commit();
    }

    private static void Exec(NpgsqlConnection conn, string sql, params object[] args)
    {
        using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var a in args)
            cmd.Parameters.Add(a is byte[] b ? new NpgsqlParameter { Value = b, NpgsqlDbType = NpgsqlDbType.Bytea } : new NpgsqlParameter { Value = a });
        cmd.ExecuteNonQuery();
    }
}

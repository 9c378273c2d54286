// The keyring store in PostgreSQL (Npgsql, the slim data source: NativeAOT-safe). Creates its tables
// from schema.sql (embedded; the one definition, which Django's migrations copy):
//   <schema>.phicrypto_key_records  (purpose, version) primary key, record bytea (binary key record)
//   <schema>.phicrypto_key_audit    seq primary key, event bytea (binary audit event), hash bytea
//   <schema>.phicrypto_key_settings name primary key, value text
// A commit runs in one transaction under a transaction-scoped advisory lock, checks the audit head it
// was planned on, and relies on the primary keys as the last word: two processes rotating at once
// produce one new version; the other gets KeyStoreConflictException and re-plans.
using Npgsql;
using NpgsqlTypes;
using PhiCrypto.Keys;

namespace PhiCrypto.Postgres;

public sealed class PostgresKeyStore : IKeyStore
{
    private const long AdvisoryLockKey = 0x5048_4943_4B45_5953; // "PHICKEYS"
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _schema;
    private volatile bool _schemaReady;

    /// <summary>Opens the store at <paramref name="urlOrConnectionString"/> (postgresql:// URL or Npgsql
    /// connection string). Tables go in <paramref name="schema"/> (or the URL's ?schema=), default "public".</summary>
    public PostgresKeyStore(string urlOrConnectionString, string? schema = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(urlOrConnectionString);
        _schema = schema ?? PostgresUrl.Parameter(urlOrConnectionString, "schema") ?? "public";
        if (!IsIdentifier(_schema)) throw new ArgumentException("schema must be a plain lower-case identifier");
        Location = PostgresUrl.Display(urlOrConnectionString);
        ForkGuard.Check(Location);
        _dataSource = new NpgsqlSlimDataSourceBuilder(PostgresUrl.ToConnectionString(urlOrConnectionString)).Build();
    }

    public string Location { get; }

    private string Records => $"{_schema}.phicrypto_key_records";
    private string Audit => $"{_schema}.phicrypto_key_audit";
    private string Settings => $"{_schema}.phicrypto_key_settings";

    /// <summary>Creates the schema's tables if they are missing (idempotent, safe from several processes).</summary>
    public void EnsureSchema()
    {
        if (_schemaReady) return;
        Run(conn =>
        {
            using var tx = conn.BeginTransaction();
            Exec(conn, tx, $"SELECT pg_advisory_xact_lock({AdvisoryLockKey})");
            foreach (var statement in SchemaStatements(_schema)) Exec(conn, tx, statement);
            tx.Commit();
            return 0;
        });
        _schemaReady = true;
    }

    /// <summary>The statements of schema.sql with <c>{schema}</c> replaced by <paramref name="schema"/>.</summary>
    public static IReadOnlyList<string> SchemaStatements(string schema)
    {
        using var stream = typeof(PostgresKeyStore).Assembly.GetManifestResourceStream("PhiCrypto.Postgres.schema.sql")
                           ?? throw new InvalidOperationException("schema.sql is not embedded in PhiCrypto.Postgres");
        var text = new StreamReader(stream).ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal);
        var body = string.Join('\n', text.Split('\n').Where(line => !line.StartsWith("--", StringComparison.Ordinal)));
        return [.. body.Split("\n;\n").Select(s => s.Trim()).Where(s => s.Length > 0).Select(s => s.Replace("{schema}", schema, StringComparison.Ordinal))];
    }

    public KeyStoreContents Load()
    {
        EnsureSchema();
        return Run(conn =>
        {
            using var tx = conn.BeginTransaction(System.Data.IsolationLevel.RepeatableRead);
            var settings = new Dictionary<string, string>();
            using (var cmd = new NpgsqlCommand($"SELECT name, value FROM {Settings}", conn, tx))
            using (var r = cmd.ExecuteReader())
                while (r.Read()) settings[r.GetString(0)] = r.GetString(1);
            var records = new List<KeyRecord>();
            using (var cmd = new NpgsqlCommand($"SELECT record FROM {Records} ORDER BY purpose COLLATE \"C\", version", conn, tx))
            using (var r = cmd.ExecuteReader())
                while (r.Read()) records.Add(KeyRecord.Parse(r.GetFieldValue<byte[]>(0)));
            var audit = new List<AuditEvent>();
            using (var cmd = new NpgsqlCommand($"SELECT event, hash FROM {Audit} ORDER BY seq", conn, tx))
            using (var r = cmd.ExecuteReader())
                while (r.Read()) audit.Add(AuditEvent.Parse(r.GetFieldValue<byte[]>(0), r.GetFieldValue<byte[]>(1)));
            tx.Commit();
            return new KeyStoreContents(settings, records, audit);
        });
    }

    public void Commit(KeyStoreCommit commit)
    {
        commit.Validate();
        EnsureSchema();
        Run(conn =>
        {
            using var tx = conn.BeginTransaction();
            try
            {
                Exec(conn, tx, $"SELECT pg_advisory_xact_lock({AdvisoryLockKey})");
                using (var head = new NpgsqlCommand($"SELECT coalesce(max(seq), 0) FROM {Audit}", conn, tx))
                {
                    long current = Convert.ToInt64(head.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
                    if (current != commit.ExpectedAuditHead)
                        throw new KeyStoreConflictException($"the keyring changed since it was read (audit head {current}, expected {commit.ExpectedAuditHead})");
                }
                foreach (var r in commit.Inserts)
                    Exec(conn, tx, $"INSERT INTO {Records} (purpose, version, state, record) VALUES ($1, $2, $3, $4)", r.Purpose, (long)r.Version, KeyLifecycle.Name(r.State), r.ToBytes());
                foreach (var r in commit.Updates)
                    if (Exec(conn, tx, $"UPDATE {Records} SET state = $3, record = $4, updated_at = now() WHERE purpose = $1 AND version = $2",
                             r.Purpose, (long)r.Version, KeyLifecycle.Name(r.State), r.ToBytes()) != 1)
                        throw new KeyStoreConflictException($"key {r.KeyName} does not exist");
                foreach (var a in commit.Audit)
                    Exec(conn, tx, $"INSERT INTO {Audit} (seq, kind, purpose, version, event, hash) VALUES ($1, $2, $3, $4, $5, $6)",
                         a.Sequence, AuditEvent.KindName(a.Kind), (object?)a.Purpose ?? DBNull.Value, a.Version == 0 ? DBNull.Value : (long)a.Version, a.ToBytes(), a.Hash);
                foreach (var (k, v) in commit.Settings)
                    Exec(conn, tx, $"INSERT INTO {Settings} (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value", k, v);
                tx.Commit();
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.SerializationFailure)
            {
                throw new KeyStoreConflictException($"another writer changed the keyring first ({e.ConstraintName ?? e.SqlState})");
            }
            return 0;
        });
    }

    private T Run<T>(Func<NpgsqlConnection, T> body)
    {
        try
        {
            using var conn = _dataSource.OpenConnection();
            return body(conn);
        }
        catch (NpgsqlException e) when (e is not PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            throw new KeyStoreException($"keyring database {Location}: {e.Message}", e);
        }
    }

    private static int Exec(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, params object[] args)
    {
        using var cmd = new NpgsqlCommand(sql, conn, tx);
        foreach (var a in args)
            cmd.Parameters.Add(a is byte[] b ? new NpgsqlParameter { Value = b, NpgsqlDbType = NpgsqlDbType.Bytea } : new NpgsqlParameter { Value = a });
        return cmd.ExecuteNonQuery();
    }

    private static bool IsIdentifier(string s) =>
        s.Length is > 0 and <= 63 && (char.IsAsciiLetterLower(s[0]) || s[0] == '_') && s.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_');

    public void Dispose() => _dataSource.Dispose();
}

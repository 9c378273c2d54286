// The keyring store in PostgreSQL, through libpq's synchronous API (LibPq.cs): every call blocks on its
// own thread, so the store works in a process forked after it was used (gunicorn --preload, Celery
// prefork, multiprocessing 'fork'). One connection per Load or Commit, never kept: nothing is shared
// across fork. Creates its tables from schema.sql (embedded; the one definition, which Django's
// migrations copy):
//   <schema>.phicrypto_key_records  (purpose, version) primary key, record bytea (binary key record)
//   <schema>.phicrypto_key_audit    seq primary key, event bytea (binary audit event), hash bytea
//   <schema>.phicrypto_key_settings name primary key, value text
// A commit runs in one transaction under a transaction-scoped advisory lock, checks the audit head it
// was planned on, and relies on the primary keys as the last word: two processes rotating at once
// produce one new version; the other gets KeyStoreConflictException and re-plans.
using PhiCrypto.Keys;

namespace PhiCrypto.Postgres;

public sealed class PostgresKeyStore : IKeyStore
{
    private const long AdvisoryLockKey = 0x5048_4943_4B45_5953; // "PHICKEYS"
    private readonly string _conninfo;
    private readonly string _schema;
    private volatile bool _schemaReady;

    /// <summary>Opens the store at <paramref name="urlOrConnectionString"/> (postgresql:// URL or Npgsql-style
    /// connection string). Tables go in <paramref name="schema"/> (or the URL's ?schema=), default "public".</summary>
    public PostgresKeyStore(string urlOrConnectionString, string? schema = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(urlOrConnectionString);
        _schema = schema ?? PostgresUrl.Parameter(urlOrConnectionString, "schema") ?? "public";
        if (!IsIdentifier(_schema)) throw new ArgumentException("schema must be a plain lower-case identifier");
        Location = PostgresUrl.Display(urlOrConnectionString);
        _conninfo = PostgresUrl.ToConninfo(urlOrConnectionString);
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
            Exec(conn, "BEGIN");
            Exec(conn, "SET LOCAL client_min_messages = warning"); // no "already exists, skipping" notices on stderr
            Exec(conn, $"SELECT pg_advisory_xact_lock({AdvisoryLockKey})");
            foreach (var statement in SchemaStatements(_schema)) Exec(conn, statement);
            Exec(conn, "COMMIT");
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
            Exec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ");
            var settings = new Dictionary<string, string>();
            using (var r = conn.Exec($"SELECT name, value FROM {Settings}"))
                for (int i = 0; i < r.Rows; i++) settings[r.Text(i, 0)] = r.Text(i, 1);
            var records = new List<KeyRecord>();
            using (var r = conn.Exec($"SELECT record FROM {Records} ORDER BY purpose COLLATE \"C\", version"))
                for (int i = 0; i < r.Rows; i++) records.Add(KeyRecord.Parse(r.Bytes(i, 0).ToArray()));
            var audit = new List<AuditEvent>();
            using (var r = conn.Exec($"SELECT event, hash FROM {Audit} ORDER BY seq"))
                for (int i = 0; i < r.Rows; i++) audit.Add(AuditEvent.Parse(r.Bytes(i, 0).ToArray(), r.Bytes(i, 1).ToArray()));
            Exec(conn, "COMMIT");
            return new KeyStoreContents(settings, records, audit);
        });
    }

    public void Commit(KeyStoreCommit commit)
    {
        commit.Validate();
        EnsureSchema();
        Run(conn =>
        {
            try
            {
                Exec(conn, "BEGIN");
                Exec(conn, $"SELECT pg_advisory_xact_lock({AdvisoryLockKey})");
                using (var head = conn.Exec($"SELECT coalesce(max(seq), 0)::int8 FROM {Audit}"))
                {
                    long current = head.Int64(0, 0);
                    if (current != commit.ExpectedAuditHead)
                        throw new KeyStoreConflictException($"the keyring changed since it was read (audit head {current}, expected {commit.ExpectedAuditHead})");
                }
                foreach (var r in commit.Inserts)
                    Exec(conn, $"INSERT INTO {Records} (purpose, version, state, record) VALUES ($1, $2, $3, $4)", r.Purpose, (long)r.Version, KeyLifecycle.Name(r.State), r.ToBytes());
                foreach (var r in commit.Updates)
                    if (Exec(conn, $"UPDATE {Records} SET state = $3, record = $4, updated_at = now() WHERE purpose = $1 AND version = $2",
                             r.Purpose, (long)r.Version, KeyLifecycle.Name(r.State), r.ToBytes()) != 1)
                        throw new KeyStoreConflictException($"key {r.KeyName} does not exist");
                foreach (var a in commit.Audit)
                    Exec(conn, $"INSERT INTO {Audit} (seq, kind, purpose, version, event, hash) VALUES ($1, $2, $3, $4, $5, $6)",
                         a.Sequence, AuditEvent.KindName(a.Kind), a.Purpose, a.Version == 0 ? null : (long)a.Version, a.ToBytes(), a.Hash);
                foreach (var (k, v) in commit.Settings)
                    Exec(conn, $"INSERT INTO {Settings} (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value", k, v);
                Exec(conn, "COMMIT");
            }
            catch (PgException e) when (e.SqlState is PgException.UniqueViolation or PgException.SerializationFailure)
            {
                throw new KeyStoreConflictException($"another writer changed the keyring first ({e.ConstraintName ?? e.SqlState})");
            }
            return 0;
        });
    }

    /// <summary>Runs <paramref name="body"/> on a fresh connection; closing it rolls back whatever was not committed.</summary>
    private T Run<T>(Func<PgConnection, T> body)
    {
        try
        {
            using var conn = PgConnection.Open(_conninfo);
            return body(conn);
        }
        catch (PgException e)
        {
            throw new KeyStoreException($"keyring database {Location}: {e.Message}", e);
        }
    }

    private static int Exec(PgConnection conn, string sql, params object?[] args)
    {
        using var result = conn.Exec(sql, args);
        return result.Affected;
    }

    private static bool IsIdentifier(string s) =>
        s.Length is > 0 and <= 63 && (char.IsAsciiLetterLower(s[0]) || s[0] == '_') && s.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_');

    /// <summary>Nothing to release: connections live only for one call.</summary>
    public void Dispose() { }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace PhiCrypto.Cli.Tests;

/// <summary>
/// A throwaway PostgreSQL 15 cluster on 127.0.0.1 (initdb + pg_ctl, as the postgres user when run as root)
/// and a throwaway Swift with s3api (tests/services/swift-s3.sh), shared by the backup tests.
/// </summary>
public sealed class BackupServices : IDisposable
{
    private const string PgBin = "/usr/lib/postgresql/15/bin";
    private readonly string _root = Directory.CreateTempSubdirectory("phicrypt-backup-").FullName;
    private readonly string _pgData;
    private readonly string _swiftDir;
    public int Port { get; }
    public Dictionary<string, string> S3Env { get; } = new();

    public BackupServices()
    {
        _pgData = Path.Combine(_root, "pg");
        _swiftDir = Path.Combine(_root, "swift");
        Port = FreePort();
        if (IsRoot) Sh("chown", $"postgres {_root}");
        AsPostgres($"{PgBin}/initdb", $"-D {_pgData} -A trust -U postgres --no-sync");
        AsPostgres($"{PgBin}/pg_ctl", $"-D {_pgData} -l {_pgData}/log -w -o \"-p {Port} -k {_root} -c listen_addresses=127.0.0.1 -c fsync=off\" start");
        Psql("postgres", "CREATE DATABASE clinic");
        Psql("clinic", """
            CREATE TABLE patient (id int PRIMARY KEY, name text NOT NULL, dob date, notes jsonb, scan bytea);
            INSERT INTO patient SELECT g, 'patient ' || g, date '1950-01-01' + g % 20000,
                jsonb_build_object('visit', g % 97, 'dx', md5(g::text)), sha256(g::text::bytea) || decode(md5(g::text), 'hex')
            FROM generate_series(1, 60000) g;
            CREATE SEQUENCE mrn START 5000;
            SELECT nextval('mrn');
            """);
        var exports = Sh(ServicesScript("swift-s3.sh"), $"start {_swiftDir}");
        foreach (var line in exports.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = line.Replace("export ", "").Split('=', 2);
            if (kv.Length == 2) S3Env[kv[0]] = kv[1];
        }
        S3Env["AWS_ENDPOINT_URL"] = S3Env["S3_ENDPOINT_URL"];
        CreateBucket("backups");
    }

    public string ConnInfo(string db) => $"host=127.0.0.1 port={Port} user=postgres dbname={db}";

    public string Psql(string db, string sql) =>
        Sh("psql", $"-X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p {Port} -U postgres -d {db}", stdin: sql).Trim();

    /// <summary>A fingerprint of the clinic data: row count and a digest of every row and the sequence.</summary>
    public string Fingerprint(string db) => Psql(db, """
        SELECT count(*) || ':' || md5(string_agg(id || name || coalesce(dob::text, '') || notes::text || encode(scan, 'hex'), ',' ORDER BY id))
               || ':' || (SELECT last_value FROM mrn) FROM patient;
        """);

    public string NewDatabase()
    {
        var name = "restore_" + Guid.NewGuid().ToString("N")[..8];
        Psql("postgres", $"CREATE DATABASE {name}");
        return name;
    }

    private void CreateBucket(string bucket) =>
        Sh("/usr/bin/python3", "-c \"import boto3,os; boto3.client('s3', endpoint_url=os.environ['S3_ENDPOINT_URL'], region_name='us-east-1')"
            + $".create_bucket(Bucket='{bucket}')\"", env: S3Env);

    public void Dispose()
    {
        try { Sh(ServicesScript("swift-s3.sh"), $"stop {_swiftDir}"); } catch (Exception) { }
        try { AsPostgres($"{PgBin}/pg_ctl", $"-D {_pgData} -m immediate -w stop"); } catch (Exception) { }
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private static bool IsRoot => Environment.UserName == "root";

    private static string AsPostgres(string exe, string args) => IsRoot ? Sh("runuser", $"-u postgres -- {exe} {args}") : Sh(exe, args);

    public static string ServicesScript(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "services", name);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"tests/services/{name} not found above {AppContext.BaseDirectory}");
    }

    public static string Sh(string exe, string args, string? stdin = null, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(exe, args) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null };
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        if (stdin is not null) { p.StandardInput.Write(stdin); p.StandardInput.Close(); }
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{exe} {args} exited {p.ExitCode}: {err.Result}");
        return output;
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}

[CollectionDefinition("backup")]
public sealed class BackupCollection : ICollectionFixture<BackupServices>;

using System.Diagnostics;
using PhiCrypto.Tests.Shared;

namespace PhiCrypto.Cli.Tests;

/// <summary>
/// A throwaway PostgreSQL 15 (tests/services/postgres.sh) holding a clinic database, and a throwaway
/// Swift with s3api (tests/services/swift-s3.sh), shared by the backup tests.
/// </summary>
public sealed class BackupServices : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("phicrypt-backup-").FullName;
    private readonly PostgresService _pg = new();
    private readonly string _swiftDir;
    public int Port => _pg.Port;
    public Dictionary<string, string> S3Env { get; } = new();

    public BackupServices()
    {
        _swiftDir = Path.Combine(_root, "swift");
        Psql("postgres", "CREATE DATABASE clinic");
        Psql("clinic", """
            CREATE TABLE patient (id int PRIMARY KEY, name text NOT NULL, dob date, notes jsonb, scan bytea);
            INSERT INTO patient SELECT g, 'patient ' || g, date '1950-01-01' + g % 20000,
                jsonb_build_object('visit', g % 97, 'dx', md5(g::text)), sha256(g::text::bytea) || decode(md5(g::text), 'hex')
            FROM generate_series(1, 60000) g;
            CREATE SEQUENCE mrn START 5000;
            SELECT nextval('mrn');
            """);
        var exports = Sh(Repo.ServiceScript("swift-s3.sh"), $"start {_swiftDir}");
        foreach (var line in exports.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = line.Replace("export ", "").Split('=', 2);
            if (kv.Length == 2) S3Env[kv[0]] = kv[1];
        }
        S3Env["AWS_ENDPOINT_URL"] = S3Env["S3_ENDPOINT_URL"];
        CreateBucket("backups");
    }

    public string ConnInfo(string db) => $"host=127.0.0.1 port={Port} user={_pg.User} dbname={db}";

    public string Psql(string db, string sql) =>
        Sh("psql", $"-X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p {Port} -U {_pg.User} -d {db}", stdin: sql).Trim();

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

    /// <summary>What the bucket holds under a prefix, as boto3 lists it: object keys and unfinished multipart uploads.</summary>
    public (string[] Objects, string[] Uploads) S3Leftovers(string bucket, string prefix)
    {
        var output = Sh("/usr/bin/python3", "-c \"import boto3,os; c=boto3.client('s3', endpoint_url=os.environ['S3_ENDPOINT_URL'], region_name='us-east-1'); "
            + $"print(' '.join(o['Key'] for o in c.list_objects_v2(Bucket='{bucket}', Prefix='{prefix}').get('Contents', []))); "
            + $"print(' '.join(u['Key'] for u in c.list_multipart_uploads(Bucket='{bucket}', Prefix='{prefix}').get('Uploads', [])))\"", env: S3Env);
        var lines = output.Split('\n');
        return (lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries), lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>Stores one small object (what anyone with write access to the bucket can do).</summary>
    public void S3Put(string bucket, string key, string text) =>
        Sh("/usr/bin/python3", "-c \"import boto3,os; boto3.client('s3', endpoint_url=os.environ['S3_ENDPOINT_URL'], region_name='us-east-1')"
            + $".put_object(Bucket='{bucket}', Key='{key}', Body=b'{text}')\"", env: S3Env);

    private void CreateBucket(string bucket) =>
        Sh("/usr/bin/python3", "-c \"import boto3,os; boto3.client('s3', endpoint_url=os.environ['S3_ENDPOINT_URL'], region_name='us-east-1')"
            + $".create_bucket(Bucket='{bucket}')\"", env: S3Env);

    public void Dispose()
    {
        try { Sh(Repo.ServiceScript("swift-s3.sh"), $"stop {_swiftDir}"); } catch (Exception) { }
        _pg.Dispose();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
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
}

[CollectionDefinition("backup")]
public sealed class BackupCollection : ICollectionFixture<BackupServices>;

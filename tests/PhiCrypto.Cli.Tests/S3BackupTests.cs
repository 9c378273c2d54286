namespace PhiCrypto.Cli.Tests;

/// <summary>
/// `phicrypt backup` to S3 as production meets it, against the real Swift s3api server: server errors
/// and dropped connections mid-upload (through S3FaultProxy), temporary credentials, a store that
/// refuses server-side encryption and one that ignores Object Lock, an endpoint that is not there.
/// </summary>
[Collection("backup")]
public sealed class S3BackupTests(BackupServices services)
{
    private static BackupKit Kit => BackupKit.Shared;
    private string Dump => $"backup --pg \"{services.ConnInfo("clinic")}\" --recovery-key {Kit.RecoveryPublic}";

    private Phicrypt.Result Run(string args, Dictionary<string, string>? extra = null)
    {
        var env = new Dictionary<string, string>(services.S3Env.Concat(Kit.Env));
        foreach (var (k, v) in extra ?? []) env[k] = v;
        return Phicrypt.Run(args, env);
    }

    private static string NewPrefix() => "s3t/" + Guid.NewGuid().ToString("N")[..8];

    private void AssertNothingLeft(string prefix)
    {
        var (objects, uploads) = services.S3Leftovers("backups", prefix);
        Assert.Empty(objects);
        Assert.Empty(uploads);
    }

    private static void AssertReadableFailure(Phicrypt.Result r, int exitCode, string expected)
    {
        Assert.True(r.ExitCode == exitCode, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Contains(expected, r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);   // one line, no stack trace
        Assert.DoesNotContain("Unhandled", r.Stderr);
    }

    [Fact]
    public void Transient_server_errors_and_resets_mid_upload_are_retried_and_the_backup_restores()
    {
        var error = S3FaultProxy.FailPart(1, times: 2, S3FaultProxy.Fault.ServerError);   // the first upload part, twice: the third attempt passes
        int drops = 0;
        using var proxy = new S3FaultProxy(services.S3Env["S3_ENDPOINT_URL"], line =>
            error(line) is var f && f != S3FaultProxy.Fault.None ? f
            : line.StartsWith("PUT ") && line.Contains("partNumber=") && Interlocked.Increment(ref drops) == 2 ? S3FaultProxy.Fault.Drop
            : S3FaultProxy.Fault.None);
        var prefix = NewPrefix();
        var r = Run($"{Dump} -o s3://backups/{prefix} --split 2M", new() { ["AWS_ENDPOINT_URL"] = proxy.Endpoint });
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Equal(2, proxy.Seen.Count(s => s.Fault == S3FaultProxy.Fault.ServerError));
        Assert.Equal(1, proxy.Seen.Count(s => s.Fault == S3FaultProxy.Fault.Drop));

        var db = services.NewDatabase();
        var restore = Phicrypt.Run($"restore s3://backups/{prefix} --pg \"{services.ConnInfo(db)}\" --recovery-key {Kit.RecoveryPrivate} --verify-key {Kit.VerificationKey}", services.S3Env);
        Assert.True(restore.ExitCode == 0, $"exit {restore.ExitCode}: {restore.Stderr}");
        Assert.Equal(services.Fingerprint("clinic"), services.Fingerprint(db));
        Assert.Empty(services.S3Leftovers("backups", prefix).Uploads);
    }

    [Fact]
    public void A_persistent_server_error_mid_upload_aborts_and_leaves_nothing()
    {
        // Part 1 of the second backup part fails on every attempt: the first backup part is complete by then.
        int puts = 0;
        using var proxy = new S3FaultProxy(services.S3Env["S3_ENDPOINT_URL"], line =>
            line.StartsWith("PUT ") && line.Contains("partNumber=") && Interlocked.Increment(ref puts) >= 2 ? S3FaultProxy.Fault.ServerError : S3FaultProxy.Fault.None);
        var prefix = NewPrefix();
        var r = Run($"{Dump} -o s3://backups/{prefix} --split 2M", new() { ["AWS_ENDPOINT_URL"] = proxy.Endpoint, ["AWS_MAX_ATTEMPTS"] = "3" });
        AssertReadableFailure(r, 7, "500 InternalError (after 3 attempts)");
        Assert.Contains("try again later", r.Stderr);
        Assert.Equal(3, proxy.Seen.Count(s => s.Fault == S3FaultProxy.Fault.ServerError));
        Assert.Contains(proxy.Seen, s => s.Line.StartsWith("DELETE ") && s.Line.Contains("uploadId="));   // the upload was aborted
        AssertNothingLeft(prefix);
    }

    [Fact]
    public void An_unreachable_endpoint_exits_7_naming_it()
    {
        using var free = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        free.Start();
        var port = ((System.Net.IPEndPoint)free.LocalEndpoint).Port;
        free.Stop();   // nothing listens there now: connection refused
        var extra = new Dictionary<string, string> { ["AWS_ENDPOINT_URL"] = $"http://127.0.0.1:{port}", ["AWS_MAX_ATTEMPTS"] = "2" };
        var r = Run($"{Dump} -o s3://backups/{NewPrefix()}", extra);
        AssertReadableFailure(r, 7, $"cannot reach S3 at http://127.0.0.1:{port}/ (connection failed");
        Assert.Contains("(after 2 attempts)", r.Stderr);

        var dns = Phicrypt.Run($"verify s3://backups/x --recovery-key {Kit.RecoveryPrivate} --verify-key {Kit.VerificationKey}",
            new Dictionary<string, string>(services.S3Env) { ["AWS_ENDPOINT_URL"] = "http://no-such-host.invalid", ["AWS_MAX_ATTEMPTS"] = "2" });
        AssertReadableFailure(dns, 7, "cannot reach S3 at http://no-such-host.invalid/");
    }

    [Fact]
    public void Temporary_credentials_send_a_signed_session_token()
    {
        // Swift's s3api verifies the signature over every signed header, the token among them; it does not check the token itself.
        var prefix = NewPrefix();
        using var proxy = new S3FaultProxy(services.S3Env["S3_ENDPOINT_URL"], _ => S3FaultProxy.Fault.None);
        var r = Run($"{Dump} -o s3://backups/{prefix}", new() { ["AWS_ENDPOINT_URL"] = proxy.Endpoint, ["AWS_SESSION_TOKEN"] = "FwoGZXIvYXdzEXAMPLE/token+value==" });
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Contains($"{prefix}/manifest.json", string.Join(' ', services.S3Leftovers("backups", prefix).Objects));
    }

    [Fact]
    public void Server_side_encryption_the_store_refuses_fails_cleanly_and_leaves_nothing()
    {
        var prefix = NewPrefix();
        var r = Run($"{Dump} -o s3://backups/{prefix} --s3-sse AES256");
        // Swift's s3api answers NotImplemented: "Server-side encryption is not supported".
        AssertReadableFailure(r, 7, "501 NotImplemented");
        Assert.Contains("--s3-sse", r.Stderr);
        AssertNothingLeft(prefix);
    }

    [Fact]
    public void Object_lock_the_store_ignores_is_caught_and_nothing_is_kept()
    {
        var prefix = NewPrefix();
        var r = Run($"{Dump} -o s3://backups/{prefix} --retain-until {DateTime.UtcNow.AddYears(7):yyyy-MM-dd} --retain-mode compliance");
        // Swift's s3api accepts the (signed) Object Lock headers and stores the object unlocked.
        AssertReadableFailure(r, 7, "accepted --retain-until but did not lock");
        AssertNothingLeft(prefix);
    }

    [Fact]
    public void A_jobs_backup_needs_a_prefix_of_its_own_and_restore_refuses_an_object_added_beside_its_files()
    {
        var prefix = NewPrefix();
        services.S3Put("backups", prefix + "/notes.txt", "x");
        AssertReadableFailure(Run($"{Dump} --jobs 2 -o s3://backups/{prefix}"), 2, "is not empty: a --jobs backup needs a folder of its own");
        Assert.Equal([prefix + "/notes.txt"], services.S3Leftovers("backups", prefix).Objects);

        var target = $"s3://backups/{prefix}/nightly";
        var backup = Run($"{Dump} --jobs 2 -o {target}");
        Assert.True(backup.ExitCode == 0, $"exit {backup.ExitCode}: {backup.Stderr}");
        AssertReadableFailure(Run($"{Dump} --jobs 2 -o {target}"), 2, "manifest.json exists: refusing to overwrite a backup");

        // The storage attacker adds an object under the backup's prefix: refused before pg_restore starts, as in a folder.
        services.S3Put("backups", prefix + "/nightly/9999.dat.phi", "x");
        var db = services.NewDatabase();
        var restore = Phicrypt.Run($"restore {target} --jobs 2 --pg \"{services.ConnInfo(db)}\" --recovery-key {Kit.RecoveryPrivate} --verify-key {Kit.VerificationKey}", services.S3Env);
        AssertReadableFailure(restore, restore.ExitCode, "9999.dat.phi, which its signed manifest does not list");
        Assert.NotEqual(0, restore.ExitCode);
        Assert.Equal("0", services.Psql(db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"));
    }

    [Theory]
    [InlineData("--s3-sse aws:kms:other", "--s3-sse is 'aws:kms:other'")]
    [InlineData("--s3-sse AES256 --s3-sse-kms-key-id k", "--s3-sse-kms-key-id needs --s3-sse aws:kms")]
    [InlineData("--retain-mode compliance", "--retain-mode needs --retain-until")]
    [InlineData("--retain-until 2020-01-01", "is not in the future")]
    [InlineData("--retain-until 7y", "give a date such as")]
    [InlineData("--retain-until 2099-01-01 --retain-mode forever", "give governance or compliance")]
    public void Bad_s3_options_are_usage_errors(string options, string expected)
    {
        var r = Run($"{Dump} -o s3://backups/{NewPrefix()} {options}");
        AssertReadableFailure(r, 2, expected);
    }

    [Fact]
    public void S3_options_on_a_file_target_are_usage_errors()
    {
        var r = Run($"{Dump} -o {Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"))}.phi --retain-until 2099-01-01");
        AssertReadableFailure(r, 2, "apply to s3:// targets only");
    }
}

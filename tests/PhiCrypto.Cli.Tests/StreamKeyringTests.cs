using System.Security.Cryptography;

namespace PhiCrypto.Cli.Tests;

/// <summary>`phicrypt encrypt/decrypt` with keyring keys (no --key-file): the purpose's active version
/// wraps the data key; after a rotation old files still decrypt, new ones name the new version.</summary>
public sealed class StreamKeyringTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("phicrypt-streamkeys-").FullName;
    private readonly Dictionary<string, string> _env;

    public StreamKeyringTests()
    {
        _env = new()
        {
            ["PHICRYPTO_KEYRING"] = Path.Combine(_dir, "keyring.json"),
            ["PHICRYPTO_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["PHICRYPTO_KEK"] = "",
            ["HOME"] = _dir,
        };
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private Phicrypt.Result Run(string args)
    {
        var r = Phicrypt.Run(args, _env);
        Assert.True(r.ExitCode == 0, $"phicrypt {args}: exit {r.ExitCode}: {r.Stderr}");
        return r;
    }

    private string P(string name) => Path.Combine(_dir, name);

    [Fact]
    public void Files_purpose_versions_survive_rotation()
    {
        File.WriteAllBytes(P("scan.dcm"), RandomNumberGenerator.GetBytes(300_000));
        Run("keys init --purpose files");
        Run($"encrypt {P("scan.dcm")} -o {P("v1.phi")} --context patient=MRN-1");
        Assert.Contains("files/v1", Run($"inspect {P("v1.phi")}").Stdout);

        Run("keys rotate files");
        Run($"encrypt {P("scan.dcm")} -o {P("v2.phi")}");
        Assert.Contains("files/v2", Run($"inspect {P("v2.phi")}").Stdout);

        Run($"decrypt {P("v1.phi")} -o {P("v1.out")} --expect-context patient=MRN-1");
        Run($"decrypt {P("v2.phi")} -o {P("v2.out")}");
        Assert.Equal(File.ReadAllBytes(P("scan.dcm")), File.ReadAllBytes(P("v1.out")));
        Assert.Equal(File.ReadAllBytes(P("scan.dcm")), File.ReadAllBytes(P("v2.out")));
    }

    [Fact]
    public void Without_a_keyring_the_error_says_how_to_make_one_and_leaves_no_output()
    {
        File.WriteAllBytes(P("x"), [1, 2, 3]);
        var r = Phicrypt.Run($"encrypt {P("x")} -o {P("x.phi")}", _env);
        Assert.Equal(4, r.ExitCode);
        Assert.Contains("keys init", r.Stderr);
        Assert.False(File.Exists(P("x.phi")));
    }

    [Fact]
    public void A_database_password_in_the_keyring_url_never_reaches_the_error()
    {
        File.WriteAllBytes(P("x"), [1, 2, 3]);
        _env["PHICRYPTO_KEYRING"] = "postgresql://phi:s3cret-pw@127.0.0.1:1/keys";
        var r = Phicrypt.Run($"encrypt {P("x")} -o {P("x.phi")}", _env);
        Assert.NotEqual(0, r.ExitCode);
        Assert.DoesNotContain("s3cret-pw", r.Stderr + r.Stdout);
        Assert.False(File.Exists(P("x.phi")));
    }

    // Issue 12, section 3: `phicrypt decrypt` uses the keys of one purpose (--purpose, default "files"),
    // so a backup's part handed to a document decryption is refused, not decrypted.
    [Fact]
    public void A_backups_message_is_refused_by_the_default_files_purpose()
    {
        File.WriteAllBytes(P("dump.sql"), RandomNumberGenerator.GetBytes(100_000));
        Run("keys init --purpose files --purpose backups");
        Run($"encrypt {P("dump.sql")} -o {P("dump.phi")} --purpose backups");
        Assert.Contains("backups/v1", Run($"inspect {P("dump.phi")}").Stdout);

        var refused = Phicrypt.Run($"decrypt {P("dump.phi")} -o {P("dump.out")}", _env);
        Assert.Equal(4, refused.ExitCode); // key not found: no "files" key wrapped this message
        Assert.False(File.Exists(P("dump.out")));
        Assert.Equal(4, Phicrypt.Run($"decrypt {P("dump.phi")} -o {P("dump.out")} --purpose files", _env).ExitCode);

        Run($"decrypt {P("dump.phi")} -o {P("dump.out")} --purpose backups");
        Assert.Equal(File.ReadAllBytes(P("dump.sql")), File.ReadAllBytes(P("dump.out")));
    }

    [Fact]
    public void Verify_first_releases_nothing_of_a_signed_message_whose_signature_fails()
    {
        // 3 MB: more than one of the pipeline's 1 MiB blocks, so the default streams some before the footer.
        File.WriteAllBytes(P("report.txt"), Enumerable.Range(0, 3_000_000).Select(i => (byte)('a' + i % 26)).ToArray());
        Run("keys init --purpose files");
        Run($"encrypt {P("report.txt")} -o {P("report.phi")} --signed --frame-size 4096");
        var forged = File.ReadAllBytes(P("report.phi"));
        forged[^1] ^= 1; // the signature's last byte: every frame's tag still verifies
        File.WriteAllBytes(P("forged.phi"), forged);

        var streamed = Phicrypt.Run($"decrypt {P("forged.phi")} -o -", _env);
        Assert.Equal(3, streamed.ExitCode);
        // The default streams frames as they authenticate: how many reach stdout before the signature
        // fails depends on how far the writer got (none when the reader is ahead); never the final one.
        var text = File.ReadAllText(P("report.txt"));
        Assert.StartsWith(streamed.Stdout, text);
        Assert.True(streamed.Stdout.Length < text.Length);
        var verified = Phicrypt.Run($"decrypt {P("forged.phi")} -o - --verify-first", _env);
        Assert.Equal(3, verified.ExitCode);
        Assert.Empty(verified.Stdout);

        Run($"decrypt {P("report.phi")} -o {P("report.out")} --verify-first --allow-legacy");
        Assert.Equal(File.ReadAllBytes(P("report.txt")), File.ReadAllBytes(P("report.out")));
    }
}

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
}

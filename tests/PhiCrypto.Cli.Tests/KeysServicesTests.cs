using System.Security.Cryptography;
using System.Text.Json.Nodes;
using PhiCrypto.Tests.Shared;

namespace PhiCrypto.Cli.Tests;

public class KeysPostgresTests(PostgresService pg) : IClassFixture<PostgresService>
{
    [Fact]
    public void Keyring_in_postgresql_by_url()
    {
        var url = $"{pg.Url}?schema=cli_{Guid.NewGuid():N}";
        var env = new Dictionary<string, string> { ["PHICRYPTO_KEYRING"] = url, ["PHICRYPTO_KEK"] = "", ["PHICRYPTO_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) };
        Assert.Equal(0, Phicrypt.Run("keys init --purpose files", env).ExitCode);
        var runs = Enumerable.Range(0, 3).Select(_ => Task.Run(() => Phicrypt.Run("keys rotate files", env))).ToArray();
        Task.WaitAll(runs);
        Assert.All(runs, r => Assert.True(r.Result.ExitCode == 0, r.Result.Stderr));
        var list = Phicrypt.Run("keys list --json", env);
        Assert.Equal(0, list.ExitCode);
        var keys = JsonNode.Parse(list.Stdout)!["keys"]!.AsArray();
        Assert.Single(keys, k => (string?)k!["state"] == "active");
        Assert.Equal(Enumerable.Range(1, keys.Count).Select(i => (uint)i), keys.Select(k => (uint)k!["version"]!));
        Assert.StartsWith("postgresql://", (string?)JsonNode.Parse(list.Stdout)!["keyring"]);
        Assert.Equal(0, Phicrypt.Run("keys audit --verify", env).ExitCode);
        var wrong = Phicrypt.Run("keys list", new Dictionary<string, string>(env) { ["PHICRYPTO_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) });
        Assert.Equal(8, wrong.ExitCode);
    }
}

public class KeysPkcs11Tests(SoftHsmService hsm) : IClassFixture<SoftHsmService>
{
    [Fact]
    public void Keyring_under_a_token_kek_and_rewrap_to_env()
    {
        var dir = Directory.CreateTempSubdirectory("phicrypt-p11-").FullName;
        try
        {
            var env = new Dictionary<string, string> { ["PHICRYPTO_KEYRING"] = Path.Combine(dir, "k.json"), ["SOFTHSM2_CONF"] = hsm.Conf, ["PHICRYPTO_KEK"] = hsm.Uri };
            var init = Phicrypt.Run("keys init --purpose files", env);
            Assert.True(init.ExitCode == 0, init.Stderr);
            Assert.Contains("pkcs11:token=phicrypto-test;object=phicrypto-kek", init.Stdout);
            Assert.Equal(0, Phicrypt.Run("keys rotate files", env).ExitCode);
            var master = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            var rewrap = Phicrypt.Run("keys rewrap --new-kek env", new Dictionary<string, string>(env) { ["PHICRYPTO_MASTER_KEY"] = master });
            Assert.True(rewrap.ExitCode == 0, rewrap.Stderr);
            Assert.Equal(8, Phicrypt.Run("keys list", env).ExitCode);
            var list = Phicrypt.Run("keys list --kek env", new Dictionary<string, string>(env) { ["PHICRYPTO_MASTER_KEY"] = master });
            Assert.Equal(0, list.ExitCode);
            var noPin = Phicrypt.Run("keys list", new Dictionary<string, string>(env) { ["PHICRYPTO_KEK"] = hsm.Uri[..hsm.Uri.IndexOf("&pin-source", StringComparison.Ordinal)], ["PHICRYPTO_PKCS11_PIN"] = "" });
            Assert.Equal(4, noPin.ExitCode);
            Assert.Contains("PHICRYPTO_PKCS11_PIN", noPin.Stderr);
        }
        finally { Directory.Delete(dir, true); }
    }
}

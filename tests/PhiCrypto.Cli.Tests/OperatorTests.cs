using System.Security.Cryptography;

namespace PhiCrypto.Cli.Tests;

/// <summary>Issue 15 sections 2-3: the operator's first commands work, errors name the fix, the DR kit's encrypted key is readable.</summary>
public sealed class OperatorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("phicrypt-op-").FullName;
    private readonly Dictionary<string, string> _env;

    public OperatorTests() => _env = new()
    {
        ["PHICRYPTO_KEYRING"] = Path.Combine(_dir, "keyring.json"),
        ["PHICRYPTO_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
    };

    private Phicrypt.Result Run(string args, Dictionary<string, string>? extra = null) =>
        Phicrypt.Run(args, extra is null ? _env : new Dictionary<string, string>(_env.Concat(extra)), workDir: _dir);

    private static void Ok(Phicrypt.Result r) => Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}");

    [Fact]
    public void Version_prints_one_line()
    {
        var r = Phicrypt.Run("--version");
        Ok(r);
        Assert.Matches(@"^phicrypt \d+\.\d+", r.Stdout);
    }

    [Fact]
    public void Keys_init_creates_the_purposes_encrypt_and_backup_use()
    {
        Ok(Run("keys init"));
        var list = Run("keys list");
        Ok(list);
        foreach (var purpose in new[] { "files", "backups", "backup-signing" }) Assert.Contains(purpose, list.Stdout);
        File.WriteAllText(Path.Combine(_dir, "note.txt"), "hello");
        Ok(Run("encrypt note.txt -o note.phi"));
        var key = Run("keys signing-key");
        Ok(key);
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", key.Stdout);
        Assert.Matches("backup verification key backup-signing/v1, fingerprint SHA256:[0-9a-f]{64}", key.Stderr);
    }

    [Fact]
    public void A_missing_purpose_names_the_command_that_creates_it_and_rotate_does_not_invent_one()
    {
        Ok(Run("keys init --purpose clinic"));
        File.WriteAllText(Path.Combine(_dir, "note.txt"), "hello");
        var encrypt = Run("encrypt note.txt -o note.phi");
        Assert.Equal(4, encrypt.ExitCode);
        Assert.Contains("`phicrypt keys add files`", encrypt.Stderr);
        Assert.False(File.Exists(Path.Combine(_dir, "note.phi")));

        var rotate = Run("keys rotate clinik");
        Assert.Equal(4, rotate.ExitCode);
        Assert.Contains("it has: clinic", rotate.Stderr);
        Assert.DoesNotContain("clinik", Run("keys list").Stdout);

        Ok(Run("keys add files"));
        Ok(Run("encrypt note.txt -o note.phi"));
        Assert.Equal(2, Run("keys add files").ExitCode);
    }

    [Fact]
    public void A_password_protected_recovery_key_decrypts_and_a_wrong_password_says_so()
    {
        using var rsa = RSA.Create(3072);
        File.WriteAllText(Path.Combine(_dir, "rec.pub"), rsa.ExportSubjectPublicKeyInfoPem());
        var pbe = new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000);
        File.WriteAllText(Path.Combine(_dir, "recovery.pem"), rsa.ExportEncryptedPkcs8PrivateKeyPem("correct horse", pbe));
        File.WriteAllBytes(Path.Combine(_dir, "key.bin"), RandomNumberGenerator.GetBytes(32));
        File.WriteAllText(Path.Combine(_dir, "note.txt"), "hello");
        Ok(Run("encrypt note.txt -o note.phi --key-file key.bin --recovery-key rec.pub"));

        Ok(Run("decrypt note.phi -o out.txt --recovery-private-key recovery.pem", new() { ["PHICRYPTO_RECOVERY_KEY_PASSWORD"] = "correct horse" }));
        Assert.Equal("hello", File.ReadAllText(Path.Combine(_dir, "out.txt")));

        var wrong = Run("decrypt note.phi -o wrong.txt --recovery-private-key recovery.pem", new() { ["PHICRYPTO_RECOVERY_KEY_PASSWORD"] = "battery staple" });
        Assert.Equal(3, wrong.ExitCode);
        Assert.Contains("wrong password", wrong.Stderr);
        Assert.False(File.Exists(Path.Combine(_dir, "wrong.txt")));
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

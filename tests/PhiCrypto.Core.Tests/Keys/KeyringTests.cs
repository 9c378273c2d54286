using PhiCrypto.Keys.Conformance;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using PhiCrypto.Keys;
using PhiCrypto.Primitives;

namespace PhiCrypto.Core.Tests.Keys;

public class KeyringTests
{
    private static byte[] Bytes(SecretKey k) { var b = new byte[k.Size]; k.Export(b); k.Dispose(); return b; }

    [Fact]
    public void Init_creates_one_active_version_per_purpose()
    {
        using var t = new TempKeyring();
        using var k = t.Init("files", "clinic.Patient.ssn");
        Assert.Equal(["clinic.Patient.ssn", "files"], k.Purposes);
        var v = Assert.Single(k.Versions("files"));
        Assert.Equal((1u, KeyState.Active), (v.Version, v.State));
        Assert.NotNull(v.Activated);
        Assert.Equal(40, v.Wrapped.Length); // KWP of 32 bytes
        Assert.Equal(WrapAlgorithm.AesKwp, v.WrapAlgorithm);
    }

    [Fact]
    public void Opening_an_empty_or_missing_store_is_an_error_that_says_how_to_create_one()
    {
        using var t = new TempKeyring();
        var e = Assert.Throws<KeyringNotFoundException>(() => t.Open());
        Assert.Contains("phicrypt keys init", e.Message);
        Assert.Contains(t.Path, e.Message);
        Assert.False(File.Exists(t.Path)); // nothing was created
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(t.Path)!);
        File.WriteAllBytes(t.Path, JsonFileKeyStore.Serialize(KeyStoreContents.Empty));
        Assert.Throws<KeyringNotFoundException>(() => t.Open());
    }

    [Fact]
    public void Rotating_an_unknown_purpose_is_an_error_naming_the_known_ones_and_adding_is_its_own_call()
    {
        using var t = new TempKeyring();
        using var k = t.Init("files", "backups");
        var e = Assert.Throws<KeyNotAvailableException>(() => k.Rotate("flies"));
        Assert.Contains("backups, files", e.Message);
        Assert.Contains("keys add", e.Message);
        Assert.Equal(["backups", "files"], k.Purposes);
        Assert.Equal(1u, k.AddPurpose("flies").Version);
        Assert.Equal(2u, k.Rotate("flies").Version);
        Assert.Throws<ArgumentException>(() => k.AddPurpose("files"));
    }

    [Fact]
    public void Keyring_directory_is_created_private()
    {
        using var t = new TempKeyring();
        t.Init("files").Dispose();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(System.IO.Path.GetDirectoryName(t.Path)!));
    }

    [Fact]
    public void Passphrase_parameters_read_from_the_store_must_be_within_floors_and_ceilings()
    {
        var fresh = new Dictionary<string, string>();
        using var kek = PassphraseKek.Create("pw", fresh);
        var stored = new Dictionary<string, string>(kek.StoreSettings);
        foreach (var (name, value) in new[] { (PassphraseKek.IterationsSetting, "1000"), (PassphraseKek.IterationsSetting, "2000000000") })
        {
            var tampered = new Dictionary<string, string>(stored) { [name] = value };
            Assert.Throws<PolicyViolationException>(() => PassphraseKek.Create("pw", tampered));
        }
        var argon = new Dictionary<string, string>
        {
            [PassphraseKek.KdfSetting] = PassphraseKek.Argon2idName, [PassphraseKek.SaltSetting] = stored[PassphraseKek.SaltSetting],
            [PassphraseKek.IterationsSetting] = "3", [PassphraseKek.MemorySetting] = "8192",
        };
        Assert.Throws<PolicyViolationException>(() => PassphraseKek.Create("pw", argon)); // 8 MiB: below the 19 MiB floor
        Assert.Throws<ArgumentException>(() => PassphraseKek.Create("pw", fresh, newCost: 1000));
    }

    [Fact]
    public void Init_twice_is_refused()
    {
        using var t = new TempKeyring();
        t.Init("files").Dispose();
        Assert.Throws<PolicyViolationException>(() => Keyring.Initialize(t.Store(), t.Kek()));
    }

    [Fact]
    public void Rotation_adds_an_active_version_and_deactivates_the_previous()
    {
        using var t = new TempKeyring();
        using var k = t.Init("files");
        var v1 = Bytes(k.GetEncryptionKey("files").Key);
        var r2 = k.Rotate("files");
        Assert.Equal(2u, r2.Version);
        var versions = k.Versions("files");
        Assert.Equal([KeyState.Deactivated, KeyState.Active], versions.Select(v => v.State));
        Assert.NotNull(versions[0].Deactivated);
        var (name, version, key) = k.GetEncryptionKey("files");
        Assert.Equal(("files/v2", 2u), (name, version));
        Assert.NotEqual(v1, Bytes(key));
        Assert.Equal(v1, Bytes(k.GetDecryptionKey("files/v1"))); // old data stays readable
    }

    [Fact]
    public void Keys_survive_reopening_from_the_store()
    {
        using var t = new TempKeyring();
        byte[] v1;
        using (var k = t.Init("files")) { v1 = Bytes(k.GetEncryptionKey("files").Key); k.Rotate("files"); }
        using var again = t.Open();
        Assert.Equal(v1, Bytes(again.GetDecryptionKey("files", 1)));
        Assert.Equal(2u, again.ActiveVersion("files")!.Version);
    }

    [Fact]
    public void Store_file_is_private_to_its_owner()
    {
        using var t = new TempKeyring();
        t.Init("files").Dispose();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(t.Path));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(t.Path)!, "*.tmp-*"));
    }

    [Fact]
    public void Pre_active_version_is_activated_later_and_then_replaces_the_active_one()
    {
        using var t = new TempKeyring();
        using var k = t.Init("files");
        var r2 = k.Rotate("files", activate: false);
        Assert.Equal(KeyState.PreActive, r2.State);
        Assert.Equal(1u, k.ActiveVersion("files")!.Version);
        k.SetState("files", 2, KeyState.Active);
        Assert.Equal([KeyState.Deactivated, KeyState.Active], k.Versions("files").Select(v => v.State));
    }

    public static TheoryData<KeyState> InvalidFromDeactivated => new() { KeyState.Active, KeyState.PreActive };

    [Theory, MemberData(nameof(InvalidFromDeactivated))]
    public void Invalid_transitions_are_refused(KeyState to)
    {
        using var t = new TempKeyring();
        using var k = t.Init("files");
        k.Rotate("files");
        var e = Assert.Throws<PolicyViolationException>(() => k.SetState("files", 1, to));
        Assert.Contains("files/v1", e.Message);
        Assert.Equal(KeyState.Deactivated, k.Versions("files")[0].State);
    }

    [Fact]
    public void Active_cannot_be_destroyed_directly()
    {
        using var t = new TempKeyring();
        using var k = t.Init("files");
        Assert.Throws<PolicyViolationException>(() => k.SetState("files", 1, KeyState.Destroyed, force: true));
    }

    [Fact]
    public void Destroying_a_version_that_may_protect_data_needs_force()
    {
        using var t = new TempKeyring();
        using var k = t.Init("files");
        k.Rotate("files");
        var e = Assert.Throws<PolicyViolationException>(() => k.SetState("files", 1, KeyState.Destroyed));
        Assert.Contains("--force", e.Message);
        k.SetState("files", 1, KeyState.Destroyed, force: true);
        var destroyed = k.Versions("files")[0];
        Assert.Equal(KeyState.Destroyed, destroyed.State);
        Assert.Empty(destroyed.Wrapped);
        Assert.Throws<KeyNotAvailableException>(() => k.GetDecryptionKey("files", 1));
        Assert.Contains("forced", k.AuditTrail[^1].Detail);
        Assert.Equal("", (string?)JsonNode.Parse(File.ReadAllText(t.Path))!["records"]![0]!["wrapped"]);
    }

    [Fact]
    public void Destroying_is_allowed_when_the_host_counts_no_protected_items()
    {
        using var t = new TempKeyring();
        t.Init("files").Dispose();
        var counts = new Dictionary<uint, long> { [1] = 3 };
        using var k = t.Open(new KeyringOptions { ProtectedItemCount = (_, v) => counts[v] });
        k.Rotate("files");
        var e = Assert.Throws<PolicyViolationException>(() => k.SetState("files", 1, KeyState.Destroyed));
        Assert.Contains("3 item", e.Message);
        counts[1] = 0;
        k.SetState("files", 1, KeyState.Destroyed);
        Assert.Equal(KeyState.Destroyed, k.Versions("files")[0].State);
    }

    [Fact]
    public void Compromised_version_does_not_decrypt_unless_allowed()
    {
        using var t = new TempKeyring();
        using (var k = t.Init("files"))
        {
            k.SetState("files", 1, KeyState.Compromised, reason: "incident 42");
            Assert.Throws<KeyNotAvailableException>(() => k.GetDecryptionKey("files", 1));
            Assert.Throws<KeyNotAvailableException>(() => k.GetEncryptionKey("files")); // no active version left
        }
        using var recovery = t.Open(new KeyringOptions { DecryptWithCompromisedKeys = true });
        recovery.GetDecryptionKey("files", 1).Dispose();
    }

    [Fact]
    public void Unknown_version_and_purpose_are_key_not_available()
    {
        using var t = new TempKeyring();
        using var k = t.Init("files");
        Assert.Throws<KeyNotAvailableException>(() => k.GetDecryptionKey("files", 9));
        Assert.Throws<KeyNotAvailableException>(() => k.GetDecryptionKey("backups", 1));
        Assert.Throws<KeyNotAvailableException>(() => k.GetDecryptionKey("files-v1"));
    }

    [Fact]
    public void Unknown_version_reloads_once_and_finds_a_version_another_writer_added()
    {
        using var t = new TempKeyring();
        using var reader = t.Init("files");
        using (var writer = t.Open()) writer.Rotate("files");
        reader.GetDecryptionKey("files", 2).Dispose();
        Assert.Equal(2u, reader.ActiveVersion("files")!.Version);
    }

    [Fact]
    public void Host_hook_decides_on_unknown_versions()
    {
        using var t = new TempKeyring();
        t.Init("files").Dispose();
        var asked = new List<(string, uint)>();
        using var k = t.Open(new KeyringOptions { OnUnknownVersion = (p, v) => { asked.Add((p, v)); return false; } });
        Assert.Throws<KeyNotAvailableException>(() => k.GetDecryptionKey("files", 5));
        Assert.Equal([("files", 5u)], asked);
    }

    [Fact]
    public void Wrong_kek_is_reported_as_wrong_kek_not_corruption()
    {
        using var t = new TempKeyring();
        t.Init("files").Dispose();
        var e = Assert.Throws<WrongKekException>(() => Keyring.Open(t.Store(), TempKeyring.OtherKek()));
        Assert.Contains("env:TEST", e.Message);
    }

    [Fact]
    public void Wrong_kek_is_detected_even_with_no_records_yet()
    {
        using var t = new TempKeyring();
        t.Init().Dispose();
        Assert.Throws<WrongKekException>(() => Keyring.Open(t.Store(), TempKeyring.OtherKek()));
    }

    [Theory]
    [InlineData("wrapped")]
    [InlineData("version")]
    [InlineData("state")]
    [InlineData("mac")]
    public void Tampered_record_fails_the_integrity_check(string field)
    {
        using var t = new TempKeyring();
        using (var k = t.Init("files")) k.Rotate("files");
        var root = JsonNode.Parse(File.ReadAllText(t.Path))!;
        var rec = root["records"]![0]!;
        switch (field)
        {
            case "wrapped": var w = Convert.FromBase64String((string)rec["wrapped"]!); w[5] ^= 1; rec["wrapped"] = Convert.ToBase64String(w); break;
            case "mac": var m = Convert.FromBase64String((string)rec["mac"]!); m[0] ^= 1; rec["mac"] = Convert.ToBase64String(m); break;
            case "version": rec["version"] = 3; break;
            case "state": rec["state"] = "active"; root["records"]![1]!["state"] = "deactivated"; break;
        }
        File.WriteAllText(t.Path, root.ToJsonString());
        var e = Assert.Throws<KeyringIntegrityException>(() => t.Open());
        Assert.Contains("files/v", e.Message);
    }

    [Fact]
    public void Garbage_file_is_malformed_data()
    {
        using var t = new TempKeyring();
        Directory.CreateDirectory(Path.GetDirectoryName(t.Path)!);
        File.WriteAllText(t.Path, "{\"format\":\"something else\"}");
        Assert.Throws<MalformedDataException>(() => t.Open());
    }

    [Fact]
    public void Kek_rotation_rewraps_every_record_and_keeps_the_deks()
    {
        using var t = new TempKeyring();
        using var k = t.Init("files", "backups");
        k.Rotate("files");
        var before = k.Records.Where(r => r.State != KeyState.Destroyed).Select(r => Bytes(k.GetDecryptionKey(r.Purpose, r.Version))).ToList();
        var newKekBytes = RandomNumberGenerator.GetBytes(32);
        Assert.Equal(3, k.Rewrap(new SoftwareKek("env:NEW", newKekBytes)));
        Assert.All(k.Records, r => Assert.Equal("env:NEW", r.KekId));
        Assert.Equal(AuditKind.Rewrap, k.AuditTrail[^1].Kind);
        Assert.Throws<WrongKekException>(() => t.Open());
        using var reopened = Keyring.Open(t.Store(), new SoftwareKek("env:NEW", newKekBytes));
        var after = reopened.Records.Select(r => Bytes(reopened.GetDecryptionKey(r.Purpose, r.Version))).ToList();
        Assert.Equal(before, after);
    }

    [Fact]
    public void Two_writers_rotating_at_once_make_one_new_version()
    {
        using var t = new TempKeyring();
        t.Init("files").Dispose();
        for (int round = 0; round < 3; round++)
        {
            using var barrier = new Barrier(2);
            var sa = new RendezvousStore(t.Store(), barrier);
            var sb = new RendezvousStore(t.Store(), barrier);
            using var wa = Keyring.Open(sa, t.Kek());
            using var wb = Keyring.Open(sb, t.Kek());
            uint before = wa.ActiveVersion("files")!.Version;
            sa.Arm(); sb.Arm();
            var ta = Task.Run(() => wa.Rotate("files").Version);
            var tb = Task.Run(() => wb.Rotate("files").Version);
            Assert.Equal(ta.Result, tb.Result);
            Assert.Equal(before + 1, ta.Result);
        }
        using var k = t.Open();
        Assert.Equal(4, k.Versions("files").Count);
        Assert.Single(k.Versions("files"), v => v.State == KeyState.Active);
        Assert.True(k.VerifyAudit().IsValid);
    }

    [Fact]
    public void Two_writers_changing_different_things_both_succeed()
    {
        using var t = new TempKeyring();
        t.Init("files", "backups").Dispose();
        using var a = t.Open();
        using var b = t.Open();
        using var barrier = new Barrier(2);
        var ta = Task.Run(() => { barrier.SignalAndWait(); a.Rotate("files"); });
        var tb = Task.Run(() => { barrier.SignalAndWait(); b.Rotate("backups"); });
        Task.WaitAll(ta, tb);
        using var k = t.Open();
        Assert.Equal(2u, k.ActiveVersion("files")!.Version);
        Assert.Equal(2u, k.ActiveVersion("backups")!.Version);
        Assert.True(k.VerifyAudit().IsValid);
    }

    [Fact]
    public void Keys_stay_usable_while_rotating_and_rewrapping()
    {
        using var t = new TempKeyring();
        using var k = t.Init("files");
        using var stop = new CancellationTokenSource();
        long ops = 0;
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            long n = 0;
            while (!stop.IsCancellationRequested)
            {
                var (_, version, key) = k.GetEncryptionKey("files");
                key.Dispose();
                k.GetDecryptionKey("files", version).Dispose();
                n++;
                Interlocked.Increment(ref ops);
            }
            return n;
        })).ToArray();
        for (int i = 0; i < 5; i++) { Progress.WaitFor(ref ops, 50); k.Rotate("files"); }
        Progress.WaitFor(ref ops, 50);
        k.Rewrap(new SoftwareKek("env:NEW", RandomNumberGenerator.GetBytes(32)));
        Progress.WaitFor(ref ops, 50);
        stop.Cancel();
        Assert.True(readers.Sum(r => r.Result) >= 350);
        Assert.Equal(6u, k.ActiveVersion("files")!.Version);
    }

    [Fact]
    public void Env_kek_errors_name_the_variable_and_never_echo_the_value()
    {
        var missing = Assert.Throws<KeyNotAvailableException>(() => EnvironmentKek.FromBase64(null));
        Assert.Contains("PHICRYPTO_MASTER_KEY", missing.Message);
        var secretish = Convert.ToBase64String(RandomNumberGenerator.GetBytes(31));
        var bad = Assert.Throws<KeyNotAvailableException>(() => EnvironmentKek.FromBase64(secretish, "MY_KEK"));
        Assert.Contains("MY_KEK", bad.Message);
        Assert.DoesNotContain(secretish, bad.Message);
        Assert.Throws<KeyNotAvailableException>(() => EnvironmentKek.FromBase64("not base64 at all!"));
        using var ok = EnvironmentKek.FromBase64(EnvironmentKek.GenerateBase64());
        Assert.Equal("env:PHICRYPTO_MASTER_KEY", ok.Id);
    }

    [Fact]
    public void Passphrase_kek_is_rebuilt_from_stored_parameters()
    {
        using var t = new TempKeyring();
        var settings = new Dictionary<string, string>();
        using (var kek = PassphraseKek.Create("correct horse battery staple", settings, newCost: PassphraseKek.MinPbkdf2Iterations))
        {
            Assert.Equal("pbkdf2-sha256", kek.StoreSettings[PassphraseKek.KdfSetting]);
            Keyring.Initialize(t.Store(), kek, null, "files").Dispose();
        }
        using (var k = Keyring.Open(t.Store(), s => PassphraseKek.Create("correct horse battery staple", s)))
            Assert.Equal(1u, k.ActiveVersion("files")!.Version);
        Assert.Throws<WrongKekException>(() => Keyring.Open(t.Store(), s => PassphraseKek.Create("wrong horse", s)));
        Assert.DoesNotContain("horse", File.ReadAllText(t.Path));
    }

    [Fact]
    public void Argon2id_passphrase_kek_works_outside_fips_mode()
    {
        using var a = PassphraseKek.Create("pw", new Dictionary<string, string>(), PassphraseKek.Argon2idName, 1);
        using var b = PassphraseKek.Create("pw", a.StoreSettings);
        Assert.Equal(a.CheckValue.ToArray(), b.CheckValue.ToArray());
        Assert.Equal("argon2id", a.StoreSettings[PassphraseKek.KdfSetting]);
    }

    [Fact]
    public void Purpose_names_are_validated()
    {
        using var t = new TempKeyring();
        using var k = t.Init();
        Assert.Throws<ArgumentException>(() => k.AddPurpose("has space"));
        Assert.Throws<ArgumentException>(() => k.Rotate("files/v1"));
        k.AddPurpose("clinic.Patient.ssn");
        Assert.Throws<ArgumentException>(() => k.AddPurpose("clinic.Patient.ssn"));
    }
}

using System.Security.Cryptography;
using PhiCrypto.Keys;
using PhiCrypto.Primitives;

namespace PhiCrypto.Core.Tests.Keys;

public sealed class RecoveryKeyFixture : IDisposable
{
    public RSA Key { get; } = RSA.Create(4096);
    public RSA PublicOnly { get; }

    public RecoveryKeyFixture()
    {
        PublicOnly = RSA.Create();
        PublicOnly.ImportFromPem(Key.ExportSubjectPublicKeyInfoPem());
    }

    public void Dispose() { Key.Dispose(); PublicOnly.Dispose(); }
}

public class RecoveryBundleTests(RecoveryKeyFixture rsa) : IClassFixture<RecoveryKeyFixture>
{
    private const int Iterations = 100_000;

    private static byte[] Bytes(SecretKey k) { var b = new byte[k.Size]; k.Export(b); k.Dispose(); return b; }

    private static (TempKeyring Dir, List<(string, uint, byte[])> Keys) Source()
    {
        var t = new TempKeyring();
        using var k = t.Init("files", "clinic.Patient.ssn");
        k.Rotate("files");
        k.Rotate("files");
        k.SetState("files", 1, KeyState.Destroyed, force: true);
        var keys = k.Records.Where(r => r.State != KeyState.Destroyed).Select(r => (r.Purpose, r.Version, Bytes(k.GetDecryptionKey(r.Purpose, r.Version)))).ToList();
        return (t, keys);
    }

    [Fact]
    public void Drill_export_to_rsa_then_import_on_a_new_machine_with_another_kek()
    {
        var (src, keys) = Source();
        using var _ = src;
        byte[] bundle;
        using (var k = src.Open()) bundle = k.ExportRecoveryBundle([rsa.PublicOnly]);
        using (var k = src.Open()) Assert.Equal(AuditKind.Export, k.AuditTrail[^1].Kind);

        using var target = new TempKeyring(); // new machine: a keyring created empty, under a different KEK
        using var restored = Keyring.Create(target.Store(), TempKeyring.OtherKek());
        Assert.Equal(4, restored.ImportRecoveryBundle(bundle, rsa.Key, null, src.Kek()));
        foreach (var (purpose, version, dek) in keys)
            Assert.Equal(dek, Bytes(restored.GetDecryptionKey(purpose, version)));
        Assert.Equal(3u, restored.ActiveVersion("files")!.Version);
        Assert.Equal(KeyState.Destroyed, restored.Versions("files")[0].State);
        Assert.Equal(AuditKind.Import, restored.AuditTrail[^1].Kind);
        Assert.All(restored.Records.Where(r => r.State != KeyState.Destroyed), r => Assert.Equal(restored.KekCheckValue, KeyCheckValue.ToHex(r.KekCheckValue)));
    }

    [Fact]
    public void Passphrase_recipient_opens_the_bundle_and_a_wrong_one_does_not()
    {
        var (src, keys) = Source();
        using var _ = src;
        byte[] bundle;
        using (var k = src.Open()) bundle = k.ExportRecoveryBundle([], "recovery words here", Iterations);
        Assert.Throws<AuthenticationFailedException>(() => RecoveryBundle.Open(bundle, null, "wrong words"));
        using var opened = RecoveryBundle.Open(bundle, null, "recovery words here");
        Assert.Equal(keys.Count + 1, opened.Keys.Count);
    }

    [Fact]
    public void Either_recipient_opens_a_bundle_sealed_to_both()
    {
        var (src, _) = Source();
        using var __ = src;
        byte[] bundle;
        using (var k = src.Open()) bundle = k.ExportRecoveryBundle([rsa.PublicOnly], "pw pw pw", Iterations);
        RecoveryBundle.Open(bundle, rsa.Key, null, src.Kek()).Dispose(); // the RSA key, with the source KEK to prove origin
        RecoveryBundle.Open(bundle, null, "pw pw pw").Dispose();
        using var other = RSA.Create(2048);
        Assert.Throws<AuthenticationFailedException>(() => RecoveryBundle.Open(bundle, other, null));
    }

    [Fact]
    public void Tampered_bundle_fails_authentication()
    {
        var (src, _) = Source();
        using var __ = src;
        byte[] bundle;
        using (var k = src.Open()) bundle = k.ExportRecoveryBundle([], "pw pw pw", Iterations);
        foreach (int pos in new[] { 10, bundle.Length - 40, bundle.Length / 2 }) // header, GCM tag, ciphertext
        {
            var copy = (byte[])bundle.Clone();
            copy[pos] ^= 0x40;
            Assert.ThrowsAny<PhiCryptoException>(() => RecoveryBundle.Open(copy, null, "pw pw pw"));
        }
        var headerFlip = (byte[])bundle.Clone();
        headerFlip[12] ^= 1; // creation time: authenticated as associated data
        Assert.Throws<AuthenticationFailedException>(() => RecoveryBundle.Open(headerFlip, null, "pw pw pw"));
        Assert.Throws<MalformedDataException>(() => RecoveryBundle.Open(bundle[..20], null, "pw pw pw"));
    }

    [Fact]
    public void Small_rsa_keys_and_no_recipient_are_refused()
    {
        using var t = new TempKeyring();
        using var k = t.Init("files");
        using var small = RSA.Create(2048);
        Assert.Throws<ArgumentException>(() => k.ExportRecoveryBundle([small]));
        Assert.Throws<ArgumentException>(() => k.ExportRecoveryBundle([]));
    }

    [Fact]
    public void Importing_twice_adds_nothing_and_a_clashing_key_is_a_conflict()
    {
        var (src, _) = Source();
        using var __ = src;
        byte[] bundle;
        using (var k = src.Open()) bundle = k.ExportRecoveryBundle([], "pw pw pw", Iterations);
        using var target = new TempKeyring();
        using (var k = Keyring.Create(target.Store(), target.Kek()))
        {
            Assert.Equal(4, k.ImportRecoveryBundle(bundle, null, "pw pw pw"));
            Assert.Equal(0, k.ImportRecoveryBundle(bundle, null, "pw pw pw"));
        }
        using var clash = new TempKeyring();
        using var c = clash.Init("clinic.Patient.ssn");
        Assert.Throws<KeyStoreConflictException>(() => c.ImportRecoveryBundle(bundle, null, "pw pw pw"));
    }

    [Fact]
    public void Bundle_starts_with_its_format_version_and_carries_no_plain_key()
    {
        var (src, keys) = Source();
        using var _ = src;
        byte[] bundle;
        using (var k = src.Open()) bundle = k.ExportRecoveryBundle([], "pw pw pw", Iterations);
        Assert.Equal(RecoveryBundle.FormatVersion, bundle[0]);
        Assert.Equal("PHRB"u8.ToArray(), bundle[1..5]);
        foreach (var (_, _, dek) in keys) Assert.Equal(-1, bundle.AsSpan().IndexOf(dek.AsSpan(0, 16)));
    }
}

/// <summary>Issue 11 section 3: whoever holds the recovery public key (by design, the backup host) forges
/// a bundle whose DEKs they chose. Importing it must fail and install nothing.</summary>
public class RecoveryBundleForgeryTests(RecoveryKeyFixture rsa) : IClassFixture<RecoveryKeyFixture>
{
    private static byte[] Forge(RSA recoveryPublicKey, byte[] attackerDek)
    {
        using var attackerKek = TempKeyring.OtherKek();
        var (alg, wrapped) = attackerKek.Wrap(attackerDek);
        var now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var record = new KeyRecord
        {
            Purpose = "files", Version = 1, State = KeyState.Active, Created = now, Activated = now, Generation = 3,
            KekId = attackerKek.Id, KekCheckValue = attackerKek.CheckValue.ToArray(), WrapAlgorithm = alg, Wrapped = wrapped,
            StoreMac = RandomNumberGenerator.GetBytes(32),
        }.Seal(attackerDek);
        using var attackerIntegrity = KeyringIntegrity.Generate();
        return RecoveryBundle.Seal([(record, attackerDek)], 9, RandomNumberGenerator.GetBytes(32), [recoveryPublicKey], null, 100_000, now, attackerIntegrity, attackerKek);
    }

    [Fact]
    public void Bundle_forged_from_the_recovery_public_key_alone_is_refused_and_installs_nothing()
    {
        var attackerDek = RandomNumberGenerator.GetBytes(32);
        var forged = Forge(rsa.PublicOnly, attackerDek);
        using var target = new TempKeyring();
        using var k = Keyring.Create(target.Store(), target.Kek());
        var e = Assert.Throws<KeyringIntegrityException>(() => k.ImportRecoveryBundle(forged, rsa.Key, null));
        Assert.Contains("origin", e.Message);
        k.Reload();
        Assert.Empty(k.Purposes);
    }

    [Fact]
    public void Origin_mac_is_checked_under_the_source_kek_and_a_flipped_bit_fails_it()
    {
        using var src = new TempKeyring();
        byte[] bundle;
        using (var k = src.Init("files")) { k.Rotate("files"); bundle = k.ExportRecoveryBundle([rsa.PublicOnly]); }
        using var target = new TempKeyring();
        using var t = Keyring.Create(target.Store(), TempKeyring.OtherKek());
        Assert.Throws<KeyringIntegrityException>(() => t.ImportRecoveryBundle(bundle, rsa.Key, null)); // another KEK, no source KEK given
        var flipped = (byte[])bundle.Clone();
        flipped[^1] ^= 1;
        Assert.Throws<KeyringIntegrityException>(() => t.ImportRecoveryBundle(flipped, rsa.Key, null, src.Kek()));
        Assert.Equal(2, t.ImportRecoveryBundle(bundle, rsa.Key, null, src.Kek(), out var head));
        using (var k = src.Open()) Assert.Equal(k.AuditTrail[^2].Sequence, head.Sequence); // the head before the export event
    }

    [Fact]
    public void A_bundle_never_overwrites_the_targets_own_versions()
    {
        using var src = new TempKeyring();
        byte[] bundle;
        using (var k = src.Init("files")) bundle = k.ExportRecoveryBundle([], "pw pw pw", 100_000);
        using var target = new TempKeyring();
        using var t = Keyring.Create(target.Store(), target.Kek());
        t.AddPurpose("files");
        t.Rotate("files");
        Assert.Throws<KeyStoreConflictException>(() => t.ImportRecoveryBundle(bundle, null, "pw pw pw")); // v1 differs
        t.Reload();
        Assert.Equal([KeyState.Deactivated, KeyState.Active], t.Versions("files").Select(v => v.State));
    }
}

using System.Security.Cryptography;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using PhiCrypto.Keys;
using PhiCrypto.Primitives;

namespace PhiCrypto.Pkcs11.Tests;

[Collection("softhsm")]
public class Pkcs11KekTests(SoftHsmFixture hsm)
{
    [Fact]
    public void Opens_the_token_kek_and_names_it_without_module_or_pin()
    {
        using var kek = Pkcs11Kek.Open(hsm.Uri);
        Assert.Equal("pkcs11:token=phicrypto-test;object=phicrypto-kek", kek.Id);
        Assert.Equal(3, kek.CheckValue.Length);
        Assert.True(kek.UsesKwp); // SoftHSM2 has CKM_AES_KEY_WRAP_PAD
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Wraps_and_unwraps_on_the_token_with_kwp_or_the_kw_fallback(bool allowKwp)
    {
        using var kek = Pkcs11Kek.Open(hsm.Uri, allowKwp);
        var dek = RandomNumberGenerator.GetBytes(32);
        var (alg, wrapped) = kek.Wrap(dek);
        Assert.Equal(allowKwp ? WrapAlgorithm.AesKwp : WrapAlgorithm.AesKw, alg);
        Assert.Equal(40, wrapped.Length);
        var back = new byte[32];
        kek.Unwrap(alg, wrapped, back);
        Assert.Equal(dek, back);
        wrapped[3] ^= 1;
        Assert.Throws<AuthenticationFailedException>(() => kek.Unwrap(alg, wrapped, back));
    }

    [Fact]
    public void Keyring_under_a_token_kek_survives_reopening_and_rotation()
    {
        var dir = Directory.CreateTempSubdirectory("phicrypto-p11-").FullName;
        try
        {
            var path = Path.Combine(dir, "keyring.json");
            byte[] envelope;
            using (var k = Keyring.Initialize(new JsonFileKeyStore(path), Pkcs11Kek.Open(hsm.Uri), null, "files"))
            {
                k.Rotate("files");
                envelope = k.EncryptField("files", Fields.FieldMode.Randomized, "scan.dcm"u8);
                Assert.All(k.Records, r => Assert.StartsWith("pkcs11:", r.KekId));
            }
            using var again = Keyring.Open(new JsonFileKeyStore(path), Pkcs11Kek.Open(hsm.Uri));
            Assert.Equal("scan.dcm"u8.ToArray(), again.DecryptField("files", envelope));
            Assert.Throws<WrongKekException>(() => Keyring.Open(new JsonFileKeyStore(path), new SoftwareKek("env:X", RandomNumberGenerator.GetBytes(32))));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Token_wrapping_is_rfc5649_and_check_value_matches_software()
    {
        // A KEK of known value on the token (imported, non-extractable): the token's KWP output must equal
        // our software RFC 5649 and its CKA_CHECK_VALUE our computed one, so records move between the two.
        var known = RandomNumberGenerator.GetBytes(32);
        string label = $"known-{Guid.NewGuid():N}"[..20];
        ImportTokenKey(label, known);
        using var kek = Pkcs11Kek.Open($"pkcs11:token={SoftHsmFixture.Token};object={label}?module-path={SoftHsmFixture.Module}&pin-source=file:{hsm.Dir}/pin");
        using var soft = new SoftwareKek("env:SAME", known);
        Assert.Equal(soft.CheckValue.ToArray(), kek.CheckValue.ToArray());
        var dek = RandomNumberGenerator.GetBytes(32);
        Assert.Equal(AesKeyWrap.WrapPadded(known, dek), kek.Wrap(dek).Wrapped);
        var back = new byte[32];
        soft.Unwrap(WrapAlgorithm.AesKwp, kek.Wrap(dek).Wrapped, back);
        Assert.Equal(dek, back);
        using var kw = Pkcs11Kek.Open($"pkcs11:token={SoftHsmFixture.Token};object={label}?module-path={SoftHsmFixture.Module}&pin-source=file:{hsm.Dir}/pin", allowKwp: false);
        soft.Unwrap(WrapAlgorithm.AesKw, kw.Wrap(dek).Wrapped, back);
        Assert.Equal(dek, back);
    }

    [Fact]
    public void Pin_comes_from_the_environment_when_the_uri_has_no_pin_source()
    {
        var uri = hsm.Uri[..hsm.Uri.IndexOf("&pin-source", StringComparison.Ordinal)];
        Environment.SetEnvironmentVariable(Pkcs11Kek.PinVariable, null);
        var none = Assert.Throws<KeyNotAvailableException>(() => Pkcs11Kek.Open(uri));
        Assert.Contains(Pkcs11Kek.PinVariable, none.Message);
        try
        {
            Environment.SetEnvironmentVariable(Pkcs11Kek.PinVariable, hsm.Pin);
            Pkcs11Kek.Open(uri).Dispose();
            Environment.SetEnvironmentVariable(Pkcs11Kek.PinVariable, "000000");
            var wrong = Assert.Throws<KeyNotAvailableException>(() => Pkcs11Kek.Open(uri));
            Assert.Contains("wrong PIN", wrong.Message);
            Assert.DoesNotContain("000000", wrong.Message);
        }
        finally { Environment.SetEnvironmentVariable(Pkcs11Kek.PinVariable, null); }
    }

    [Fact]
    public void Unknown_token_or_object_is_key_not_available()
    {
        Assert.Throws<KeyNotAvailableException>(() => Pkcs11Kek.Open(hsm.Uri.Replace("object=phicrypto-kek", "object=nope")));
        Assert.Throws<KeyNotAvailableException>(() => Pkcs11Kek.Open(hsm.Uri.Replace("token=phicrypto-test", "token=nope")));
    }

    private void ImportTokenKey(string label, byte[] value)
    {
        var f = new Pkcs11InteropFactories();
        using var lib = f.Pkcs11LibraryFactory.LoadPkcs11Library(f, SoftHsmFixture.Module, AppType.MultiThreaded);
        var slot = lib.GetSlotList(SlotsType.WithTokenPresent).First(s => s.GetTokenInfo().Label.Trim() == SoftHsmFixture.Token);
        using var session = slot.OpenSession(SessionType.ReadWrite);
        try { session.Login(CKU.CKU_USER, hsm.Pin); } catch (Pkcs11Exception e) when (e.RV == CKR.CKR_USER_ALREADY_LOGGED_IN) { }
        var a = f.ObjectAttributeFactory;
        session.CreateObject([
            a.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY), a.Create(CKA.CKA_KEY_TYPE, CKK.CKK_AES), a.Create(CKA.CKA_TOKEN, true),
            a.Create(CKA.CKA_LABEL, label), a.Create(CKA.CKA_VALUE, value), a.Create(CKA.CKA_WRAP, true), a.Create(CKA.CKA_UNWRAP, true),
            a.Create(CKA.CKA_ENCRYPT, true), a.Create(CKA.CKA_SENSITIVE, true), a.Create(CKA.CKA_EXTRACTABLE, false),
        ]);
    }
}

public class Pkcs11UriTests
{
    [Fact]
    public void Parses_rfc7512_path_and_query_attributes()
    {
        var u = Pkcs11Uri.Parse("pkcs11:token=My%20HSM;object=kek;id=%01%02;type=secret-key?module-path=/usr/lib/x.so&pin-source=file:/run/pin");
        Assert.Equal("My HSM", u.Token);
        Assert.Equal("kek", u.Object);
        Assert.Equal(new byte[] { 1, 2 }, u.Id);
        Assert.Equal("/usr/lib/x.so", u.Module);
        Assert.Equal("file:/run/pin", u.PinSource);
        Assert.Equal("pkcs11:token=My%20HSM;object=kek;id=%01%02", u.KeyId);
    }

    [Theory]
    [InlineData("pkcs11:token=t;object=k?pin-value=1234")]
    [InlineData("pkcs11:token=t")]
    [InlineData("pkcs11:token=t;object=k;type=private")]
    [InlineData("pkcs11:token=t;object=k;bogus=1")]
    [InlineData("pkcs11:token=t;object=%zz")]
    [InlineData("file:///x")]
    public void Rejects_what_it_must(string uri) => Assert.Throws<ArgumentException>(() => Pkcs11Uri.Parse(uri));

    [Fact]
    public void Pin_value_error_does_not_echo_the_pin()
    {
        var e = Assert.Throws<ArgumentException>(() => Pkcs11Uri.Parse("pkcs11:token=t;object=k?pin-value=98765"));
        Assert.DoesNotContain("98765", e.Message);
    }
}

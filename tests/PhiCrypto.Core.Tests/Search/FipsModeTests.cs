// An honest FIPS mode (issue 14 section 4): AES-SIV refused unless a named setting allows it; KWP through
// OpenSSL's own key wrap (KW through EVP); FullyValidated only when OpenSSL's default properties select the FIPS provider;
// EnableFips() refused once a key exists; FF1 and HMAC blind indexes stay available (both approved).
// These toggle the process-wide policy, so they run in the non-parallel FIPS collection.
using System.Security.Cryptography;
using PhiCrypto.Fields;
using PhiCrypto.Primitives;
using PhiCrypto.Search;
using PhiCrypto.Tests.Primitives;

namespace PhiCrypto.Tests.Search;

[Collection(nameof(FipsPolicyTests))]
public class FipsModeTests
{
    // Before: in FIPS mode a deterministic field encrypted through AES-SIV, a non-approved mode.
    [Fact]
    public void FipsModeRefusesDeterministicAesSiv()
    {
        using var _ = CryptoPolicy.OverrideForTests(fips: true);
        using var siv = Aes256Siv.Create(new byte[64]);
        var ex = Assert.Throws<PolicyViolationException>(() => siv.Encrypt("x"u8, "ad"u8));
        Assert.Contains(CryptoPolicy.AllowAesSivVariable, ex.Message);
        Assert.Throws<PolicyViolationException>(() => siv.TryDecrypt(new byte[17], "ad"u8, new byte[1]));
        using var key = FieldKey.Create(new byte[32], 1); // the key itself still loads: randomized fields work
        Assert.Throws<PolicyViolationException>(() => FieldEnvelope.Encrypt(key, FieldMode.Deterministic, "clinic.Patient.ssn", "123-45-6789"u8));
        var randomized = FieldEnvelope.Encrypt(key, FieldMode.Randomized, "clinic.Patient.ssn", "123-45-6789"u8);
        Assert.Equal("123-45-6789"u8.ToArray(), FieldEnvelope.Decrypt(key, "clinic.Patient.ssn", randomized));
    }

    [Fact]
    public void NamedSettingAllowsAesSivInFipsModeOnOpenSsl()
    {
        using var _ = CryptoPolicy.OverrideForTests(fips: true, allowSiv: true);
        using var siv = Aes256Siv.Create(new byte[64]);
        Assert.False(siv.IsHardwareAccelerated);
        var ct = siv.Encrypt("x"u8, "ad"u8);
        Assert.Equal("x"u8.ToArray(), siv.Decrypt(ct, "ad"u8));
    }

    [Fact]
    public void OutsideFipsModeAesSivNeedsNoSetting()
    {
        using var _ = CryptoPolicy.OverrideForTests(fips: false);
        using var siv = Aes256Siv.Create(new byte[64]);
        Assert.Equal(17, siv.Encrypt("x"u8, "ad"u8).Length);
    }

    // Before: EnableFips() after keys existed silently left those keys on AES-NI / libsodium.
    [Fact]
    public void EnableFipsAfterAKeyExistsIsRefused()
    {
        using var _ = CryptoPolicy.OverrideForTests(fips: false, keyCreated: false);
        using (Aes256Gcm.Create(new byte[32])) { }
        var ex = Assert.Throws<PolicyViolationException>(CryptoPolicy.EnableFips);
        Assert.Contains("before any key", ex.Message);
        Assert.False(CryptoPolicy.FipsMode);
    }

    [Fact]
    public void EnableFipsBeforeAnyKeyWorksAndIsIdempotent()
    {
        using var _ = CryptoPolicy.OverrideForTests(fips: false, keyCreated: false);
        CryptoPolicy.EnableFips();
        Assert.True(CryptoPolicy.FipsMode);
        using (Aes256Gcm.Create(new byte[32])) { }
        CryptoPolicy.EnableFips(); // already on: nothing to refuse
    }

    [Theory]
    [InlineData(true, true, true, true)]
    [InlineData(true, true, false, false)]  // provider loaded but not selected by default: not validated
    [InlineData(true, null, null, false)]
    [InlineData(false, true, true, false)]
    public void FullyValidatedNeedsTheFipsProviderSelectedByDefault(bool policy, bool? provider, bool? defaults, bool expected)
        => Assert.Equal(expected, new FipsStatus(policy, provider, defaults, "OpenSSL 3").FullyValidated);

    // In FIPS mode KWP goes through .NET's Aes.EncryptKeyWrapPadded (OpenSSL's own AES-WRAP-PAD): the bytes
    // agree with our SP 800-38F implementation, and tampering is an authentication failure either way.
    [Fact]
    public void KeyWrapPaddedUnderFipsIsOpenSslsAndAgrees()
    {
        var kek = SecureRandom.GetBytes(32);
        foreach (int length in new[] { 1, 7, 8, 9, 32, 33, 64 })
        {
            var key = SecureRandom.GetBytes(length);
            byte[] fips, ours;
            using (CryptoPolicy.OverrideForTests(fips: true)) fips = AesKeyWrap.WrapPadded(kek, key);
            using (CryptoPolicy.OverrideForTests(fips: false)) ours = AesKeyWrap.WrapPadded(kek, key);
            using var aes = Aes.Create();
            aes.SetKey(kek);
            Assert.Equal(aes.EncryptKeyWrapPadded(key), fips);
            Assert.Equal(ours, fips);
            using var _ = CryptoPolicy.OverrideForTests(fips: true);
            Assert.Equal(key, AesKeyWrap.UnwrapPadded(kek, fips));
            fips[^1] ^= 1;
            Assert.Throws<AuthenticationFailedException>(() => AesKeyWrap.UnwrapPadded(kek, fips));
            var output = new byte[fips.Length - 8];
            Assert.Throws<AuthenticationFailedException>(() => AesKeyWrap.UnwrapPadded(kek, fips, output));
            Assert.All(output, b => Assert.Equal(0, b));
        }
    }

    // KW (RFC 3394) has no .NET API: FIPS mode drives OpenSSL's AES-WRAP through EVP. RFC 3394 4.6
    // (256-bit key under a 256-bit KEK), then agreement with our W for every KEK size.
    [Fact]
    public void KeyWrapUnderFipsIsOpenSslsAndAgrees()
    {
        if (CryptoPolicy.GetFipsStatus().OpenSslVersion is null) return; // no libcrypto 3: the documented fallback
        Assert.True(OpenSslKeyWrap.IsAvailable);
        var kek = Convert.FromHexString("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F");
        var key = Convert.FromHexString("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F");
        var direct = new byte[40];
        Assert.True(OpenSslKeyWrap.Transform(kek, key, direct, wrap: true));
        Assert.Equal("28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21", Convert.ToHexString(direct));
        foreach (int kekSize in new[] { 16, 24, 32 })
        {
            var k = SecureRandom.GetBytes(kekSize);
            var dek = SecureRandom.GetBytes(32);
            var viaOpenSsl = new byte[40];
            var ours = new byte[40];
            using (CryptoPolicy.OverrideForTests(fips: true)) AesKeyWrap.Wrap(k, dek, viaOpenSsl);
            using (CryptoPolicy.OverrideForTests(fips: false)) AesKeyWrap.Wrap(k, dek, ours);
            Assert.Equal(ours, viaOpenSsl);
            using var _ = CryptoPolicy.OverrideForTests(fips: true);
            var back = new byte[32];
            AesKeyWrap.Unwrap(k, viaOpenSsl, back);
            Assert.Equal(dek, back);
            viaOpenSsl[5] ^= 0x80;
            Assert.Throws<AuthenticationFailedException>(() => AesKeyWrap.Unwrap(k, viaOpenSsl, back));
            Assert.All(back, b => Assert.Equal(0, b));
            Assert.Equal(false, OpenSslKeyWrap.Transform(k, viaOpenSsl, back, wrap: false));
        }
    }

    // Before: under InvariantGlobalization (the NativeAOT library's setting) NFKC and case mappings silently
    // did nothing, so a C ABI host would compute other case-insensitive indexes than a .NET host (probed
    // with a console app: "ﬁ Ｓｍｉｔｈ" came back unchanged). Now that is refused. Runs in this
    // collection because it flips a process-wide switch.
    [Fact]
    public void CaseInsensitiveIndexesAreRefusedWithoutUnicodeData()
    {
        Assert.True(TextNormalizer.CaseInsensitiveSupported); // the test host has ICU
        using var ci = BlindIndex.Create(BlindIndexDefinition.Exact("ci", 32, TextNormalization.CaseInsensitive), new byte[32], 1, "p");
        using var exact = BlindIndex.Create(BlindIndexDefinition.Exact("e", 32), new byte[32], 1, "p");
        using (TextNormalizer.OverrideUnicodeDataForTests(present: false))
        {
            var ex = Assert.Throws<PolicyViolationException>(() => ci.Compute("Smith"));
            Assert.Contains("InvariantGlobalization", ex.Message);
            Assert.Equal(4, exact.Compute("Smith").Length); // exact indexes need no Unicode data
        }
        Assert.Equal(4, ci.Compute("Smith").Length);
    }

    [Fact]
    public void Ff1AndBlindIndexesRunInFipsMode()
    {
        using var _ = CryptoPolicy.OverrideForTests(fips: true);
        using var ff1 = Ff1.Create(Convert.FromHexString("2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F7F036D6F04FC6A94"));
        Assert.False(ff1.IsHardwareAccelerated); // OpenSSL's AES
        Assert.Equal("1001623463", ff1.Encrypt("0123456789", "9876543210"u8));
        using var index = BlindIndex.Create(BlindIndexDefinition.Exact("last_name_exact", 32), Enumerable.Range(0, 32).Select(i => (byte)i).ToArray(), 1, "clinic.Patient.last_name");
        Assert.Equal("24413a15", Convert.ToHexStringLower(index.Compute("O'Brien")));
    }
}

// Every Wycheproof vector of the primitives, through the public API. Valid: exact output both ways.
// Invalid: rejected. Acceptable (only aes_wrap ShortKey): rejected, because KW here follows SP 800-38F
// (at least 16 bytes). Parameters the API cannot express (GCM keys other than 256 bits, nonces other
// than 96 bits; CMAC keys of other sizes) are asserted to be refused at argument validation.
using System.Security.Cryptography;
using PhiCrypto.Primitives;

namespace PhiCrypto.Tests.Primitives;

public class WycheproofTests
{
    public static IEnumerable<object[]> Gcm() => Wycheproof.Rows("aes_gcm_test.json", AeadBackend.Sodium, AeadBackend.OpenSsl);
    public static IEnumerable<object[]> Siv() => Wycheproof.Rows("aes_siv_cmac_test.json", "aesni", "openssl");
    public static IEnumerable<object[]> AeadSiv() => Wycheproof.Rows("aead_aes_siv_cmac_test.json", "aesni", "openssl");
    public static IEnumerable<object[]> Cmac() => Wycheproof.Rows("aes_cmac_test.json", "aesni", "openssl");
    public static IEnumerable<object[]> Kw() => Wycheproof.Rows("aes_wrap_test.json");
    public static IEnumerable<object[]> Kwp() => Wycheproof.Rows("aes_kwp_test.json");
    public static IEnumerable<object[]> Hkdf256() => Wycheproof.Rows("hkdf_sha256_test.json");
    public static IEnumerable<object[]> Hkdf512() => Wycheproof.Rows("hkdf_sha512_test.json");
    public static IEnumerable<object[]> Pbkdf2() => Wycheproof.Rows("pbkdf2_hmacsha256_test.json");
    public static IEnumerable<object[]> Hmac() => Wycheproof.Rows("hmac_sha256_test.json");

    [Theory]
    [InlineData("aes_gcm_test.json")]
    [InlineData("aes_siv_cmac_test.json")]
    [InlineData("aead_aes_siv_cmac_test.json")]
    [InlineData("aes_cmac_test.json")]
    [InlineData("aes_wrap_test.json")]
    [InlineData("aes_kwp_test.json")]
    [InlineData("hkdf_sha256_test.json")]
    [InlineData("hkdf_sha512_test.json")]
    [InlineData("pbkdf2_hmacsha256_test.json")]
    [InlineData("hmac_sha256_test.json")]
    public void LoaderYieldsEveryAnnouncedTest(string file)
    {
        var announced = Wycheproof.AnnouncedCount(file);
        if (announced is null) return; // vectors absent outside CI (TestVectors throws under CI)
        Assert.Equal(announced.Value, Wycheproof.Cases(file).Count());
        Assert.Equal(announced.Value, Wycheproof.Cases(file).Select(c => c.TcId).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Gcm))]
    public void AesGcm(string file, int tcId, AeadBackend backend)
    {
        if (Wycheproof.Row(file, tcId) is not { } t) return;
        byte[] key = t.Bytes("key"), iv = t.Bytes("iv"), aad = t.Bytes("aad"), msg = t.Bytes("msg");
        byte[] ctTag = [.. t.Bytes("ct"), .. t.Bytes("tag")];
        if (key.Length != Aes256Gcm.KeySize)
        {
            Assert.Throws<ArgumentException>(() => Aes256Gcm.Create(key, backend));
            return;
        }
        if (backend == AeadBackend.Sodium && CryptoPolicy.FipsMode)
        {
            Assert.Throws<PolicyViolationException>(() => Aes256Gcm.Create(key, backend));
            return;
        }
        using var gcm = Aes256Gcm.Create(key, backend);
        Assert.Equal(backend, gcm.Backend);
        if (iv.Length != Aes256Gcm.NonceSize || t.GroupInt("tagSize") != 128)
        {
            Assert.Throws<ArgumentException>(() => gcm.Encrypt(iv, msg, aad, new byte[msg.Length + 16]));
            Assert.Throws<ArgumentException>(() => gcm.TryDecrypt(iv, ctTag, aad, new byte[msg.Length]));
            return;
        }
        var output = new byte[msg.Length + 16];
        gcm.Encrypt(iv, msg, aad, output);
        var plaintext = new byte[ctTag.Length - 16];
        bool ok = gcm.TryDecrypt(iv, ctTag, aad, plaintext);
        if (t.Result == WycheproofResult.Valid)
        {
            Assert.Equal(ctTag, output);
            Assert.True(ok);
            Assert.Equal(msg, plaintext);
        }
        else
        {
            Assert.NotEqual(ctTag, output);
            Assert.False(ok);
            Assert.All(plaintext, b => Assert.Equal(0, b));
        }
    }

    [Theory]
    [MemberData(nameof(Siv))]
    public void AesSivCmac(string file, int tcId, string backend)
    {
        if (Wycheproof.Row(file, tcId) is not { } t) return;
        byte[] key = t.Bytes("key"), aad = t.Bytes("aad"), msg = t.Bytes("msg"), ct = t.Bytes("ct");
        using var siv = Aes256Siv.Create(key, forceOpenSsl: backend == "openssl");
        Assert.Equal(backend == "aesni" && !CryptoPolicy.FipsMode && AesBlockCipher.HardwareSupported, siv.IsHardwareAccelerated);
        CheckSiv(t, siv, msg, [aad], ct);
        // The single-AD overloads treat the AD as exactly one component, as the file does.
        var plaintext = new byte[Math.Max(0, ct.Length - 16)];
        bool ok = ct.Length >= 16 && siv.TryDecrypt(ct, aad, plaintext);
        Assert.Equal(t.Result == WycheproofResult.Valid, ok);
        if (ok) Assert.Equal(msg, plaintext);
    }

    [Theory]
    [MemberData(nameof(AeadSiv))]
    public void AeadAesSivCmac(string file, int tcId, string backend)
    {
        if (Wycheproof.Row(file, tcId) is not { } t) return;
        byte[] key = t.Bytes("key"), iv = t.Bytes("iv"), aad = t.Bytes("aad"), msg = t.Bytes("msg");
        byte[] sivAndCt = [.. t.Bytes("tag"), .. t.Bytes("ct")];
        using var siv = Aes256Siv.Create(key, forceOpenSsl: backend == "openssl");
        CheckSiv(t, siv, msg, [aad, iv], sivAndCt); // RFC 5297 section 3: the nonce is the last AD component
    }

    private static void CheckSiv(WycheproofCase t, Aes256Siv siv, byte[] msg, ReadOnlyMemory<byte>[] ad, byte[] expected)
    {
        var output = new byte[msg.Length + 16];
        siv.Encrypt(msg, ad, output);
        var plaintext = new byte[Math.Max(0, expected.Length - 16)];
        bool ok = siv.TryDecrypt(expected, ad, plaintext);
        if (t.Result == WycheproofResult.Valid)
        {
            Assert.Equal(expected, output);
            Assert.True(ok);
            Assert.Equal(msg, plaintext);
        }
        else
        {
            Assert.NotEqual(expected, output);
            Assert.False(ok);
            Assert.All(plaintext, b => Assert.Equal(0, b));
        }
    }

    [Theory]
    [MemberData(nameof(Cmac))]
    public void AesCmacTag(string file, int tcId, string backend)
    {
        if (Wycheproof.Row(file, tcId) is not { } t) return;
        byte[] key = t.Bytes("key"), msg = t.Bytes("msg"), tag = t.Bytes("tag");
        if (key.Length is not (16 or 24 or 32))
        {
            Assert.Equal(WycheproofResult.Invalid, t.Result);
            Assert.Throws<ArgumentException>(() => AesCmac.Create(key));
            return;
        }
        using var cmac = AesCmac.CreateCore(key, forceOpenSsl: backend == "openssl");
        bool valid = t.Result == WycheproofResult.Valid;
        Assert.Equal(valid, cmac.Compute(msg).AsSpan(0, tag.Length).SequenceEqual(tag));
        Assert.Equal(valid, cmac.Verify(msg, tag));
    }

    [Theory]
    [MemberData(nameof(Kw))]
    public void AesKw(string file, int tcId)
    {
        if (Wycheproof.Row(file, tcId) is { } t) CheckKw(t);
    }

    internal static void CheckKw(WycheproofCase t)
    {
        byte[] kek = t.Bytes("key"), msg = t.Bytes("msg"), ct = t.Bytes("ct");
        if (t.Result == WycheproofResult.Valid)
        {
            var wrapped = new byte[msg.Length + 8];
            AesKeyWrap.Wrap(kek, msg, wrapped);
            Assert.Equal(ct, wrapped);
            var unwrapped = new byte[ct.Length - 8];
            AesKeyWrap.Unwrap(kek, ct, unwrapped);
            Assert.Equal(msg, unwrapped);
            return;
        }
        // Invalid, and acceptable ShortKey (8-byte keys: RFC 3394 allows them, SP 800-38F does not): refused.
        Assert.True(t.Result == WycheproofResult.Invalid || t.Flags.Contains("ShortKey"), t.ToString());
        var output = new byte[Math.Max(0, ct.Length - 8)];
        Assert.ThrowsAny<PhiCryptoException>(() => AesKeyWrap.Unwrap(kek, ct, output));
        Assert.All(output, b => Assert.Equal(0, b));
        if (msg.Length < 16 || msg.Length % 8 != 0)
            Assert.Throws<ArgumentException>(() => AesKeyWrap.Wrap(kek, msg, new byte[msg.Length + 8]));
    }

    [Theory]
    [MemberData(nameof(Kwp))]
    public void AesKwp(string file, int tcId)
    {
        if (Wycheproof.Row(file, tcId) is { } t) CheckKwp(t);
    }

    internal static void CheckKwp(WycheproofCase t)
    {
        byte[] kek = t.Bytes("key"), msg = t.Bytes("msg"), ct = t.Bytes("ct");
        if (t.Result == WycheproofResult.Valid)
        {
            Assert.Equal(ct, AesKeyWrap.WrapPadded(kek, msg));
            var unwrapped = new byte[ct.Length - 8];
            int n = AesKeyWrap.UnwrapPadded(kek, ct, unwrapped);
            Assert.Equal(msg, unwrapped[..n]);
            return;
        }
        Assert.Equal(WycheproofResult.Invalid, t.Result);
        var output = new byte[Math.Max(0, ct.Length - 8)];
        Assert.ThrowsAny<PhiCryptoException>(() => AesKeyWrap.UnwrapPadded(kek, ct, output));
        Assert.All(output, b => Assert.Equal(0, b));
    }

    [Theory]
    [MemberData(nameof(Hkdf256))]
    [MemberData(nameof(Hkdf512))]
    public void Hkdf(string file, int tcId)
    {
        if (Wycheproof.Row(file, tcId) is not { } t) return;
        var hash = file.Contains("sha512") ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256;
        byte[] ikm = t.Bytes("ikm"), salt = t.Bytes("salt"), info = t.Bytes("info");
        var okm = new byte[t.Int("size")];
        if (t.Result == WycheproofResult.Valid)
        {
            PhiCrypto.Primitives.Hkdf.DeriveKey(hash, ikm, okm, salt, info);
            Assert.Equal(t.Bytes("okm"), okm);
        }
        else
        {
            Assert.Contains("SizeTooLarge", t.Flags);
            Assert.Throws<ArgumentException>(() => PhiCrypto.Primitives.Hkdf.DeriveKey(hash, ikm, okm, salt, info));
        }
    }

    [Theory]
    [MemberData(nameof(Pbkdf2))]
    public void Pbkdf2HmacSha256(string file, int tcId)
    {
        if (Wycheproof.Row(file, tcId) is not { } t) return;
        Assert.Equal(WycheproofResult.Valid, t.Result);
        var dk = new byte[t.Int("dkLen")];
        PhiCrypto.Primitives.Pbkdf2.DeriveBytes(t.Bytes("password"), t.Bytes("salt"), t.Int("iterationCount"), dk);
        Assert.Equal(t.Bytes("dk"), dk);
    }

    [Theory]
    [MemberData(nameof(Hmac))]
    public void HmacSha256Tag(string file, int tcId)
    {
        if (Wycheproof.Row(file, tcId) is not { } t) return;
        byte[] key = t.Bytes("key"), msg = t.Bytes("msg"), tag = t.Bytes("tag");
        Assert.Equal(t.GroupInt("tagSize") / 8, tag.Length);
        var full = new byte[32];
        HmacSha256.Compute(key, msg, full);
        bool valid = t.Result == WycheproofResult.Valid;
        Assert.Equal(valid, full.AsSpan(0, tag.Length).SequenceEqual(tag));
        Assert.Equal(valid, HmacSha256.Verify(key, msg, tag));
    }
}

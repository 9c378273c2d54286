// Examples and edge cases of the primitives beyond the external vectors.
using System.Security.Cryptography;
using PhiCrypto.Primitives;

namespace PhiCrypto.Tests.Primitives;

public class PrimitiveTests
{
    private static byte[] H(string hex) => Convert.FromHexString(hex);

    [Theory] // FIPS 197 appendix C.1-C.3, on both block implementations
    [InlineData("000102030405060708090a0b0c0d0e0f", "69c4e0d86a7b0430d8cdb78070b4c55a")]
    [InlineData("000102030405060708090a0b0c0d0e0f1011121314151617", "dda97ca4864cdfe06eaf70a0ec0d7191")]
    [InlineData("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "8ea2b7ca516745bfeafc49904b496089")]
    public void AesBlockFips197(string key, string expected)
    {
        foreach (bool openSsl in new[] { false, true })
        {
            using var aes = AesBlockCipher.Create(H(key), openSsl);
            var output = new byte[16];
            aes.EncryptBlock(H("00112233445566778899aabbccddeeff"), output);
            Assert.Equal(H(expected), output);
            aes.DecryptBlock(output, output);
            Assert.Equal(H("00112233445566778899aabbccddeeff"), output);
        }
    }

    [Fact] // RFC 4493 section 4, example 4 (64-byte message)
    public void CmacRfc4493()
    {
        using var cmac = AesCmac.Create(H("2b7e151628aed2a6abf7158809cf4f3c"));
        var msg = H("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
        Assert.Equal(H("51f0bebf7e3b9d92fc49741779363cfe"), cmac.Compute(msg));
        Assert.Equal(H("bb1d6929e95937287fa37d129b756746"), cmac.Compute(ReadOnlySpan<byte>.Empty));
        Assert.True(cmac.Verify(msg, H("51f0bebf7e3b9d92"))); // truncated to 64 bits
        Assert.Throws<ArgumentException>(() => cmac.Verify(msg, H("51f0bebf")));
    }

    [Fact]
    public void SivSingleAdIsOneComponent()
    {
        using var siv = Aes256Siv.Create(RandomNumberGenerator.GetBytes(64));
        var pt = "123-45-6789"u8.ToArray();
        var ad = "clinic.Patient.ssn"u8.ToArray();
        var viaList = new byte[pt.Length + 16];
        siv.Encrypt(pt, [ad], viaList);
        Assert.Equal(siv.Encrypt(pt, ad), viaList);
        var noComponents = new byte[pt.Length + 16];
        siv.Encrypt(pt, ReadOnlySpan<ReadOnlyMemory<byte>>.Empty, noComponents);
        Assert.NotEqual(siv.Encrypt(pt, ReadOnlySpan<byte>.Empty), noComponents); // empty AD != no AD
    }

    [Fact]
    public void SivRejectsBadArguments()
    {
        Assert.Throws<ArgumentException>(() => Aes256Siv.Create(new byte[16]));
        Assert.Throws<ArgumentException>(() => Aes256Siv.Create(new byte[63]));
        using var siv = Aes256Siv.Create(new byte[64]);
        Assert.Throws<ArgumentException>(() => siv.Encrypt(new byte[5], ReadOnlySpan<byte>.Empty, new byte[20]));
        Assert.Throws<ArgumentException>(() => siv.Encrypt(new byte[5], new ReadOnlyMemory<byte>[127], new byte[21]));
        Assert.False(siv.TryDecrypt(new byte[15], ReadOnlySpan<byte>.Empty, Span<byte>.Empty));
        Assert.Throws<AuthenticationFailedException>(() => siv.Decrypt(new byte[20], ReadOnlySpan<byte>.Empty));
    }

    [Fact] // lengths around the block, 4-block group and 256-byte OpenSSL chunk edges
    public void SivBackendsAgreeOnLongInputs()
    {
        var key = RandomNumberGenerator.GetBytes(64);
        using var fast = Aes256Siv.Create(key);
        using var openSsl = Aes256Siv.Create(key, forceOpenSsl: true);
        foreach (int n in new[] { 0, 1, 15, 16, 17, 63, 64, 65, 255, 256, 257, 1000, 4099, 65_537 })
        {
            var pt = RandomNumberGenerator.GetBytes(n);
            var ad = RandomNumberGenerator.GetBytes(n / 3);
            var a = fast.Encrypt(pt, ad);
            Assert.Equal(a, openSsl.Encrypt(pt, ad));
            Assert.Equal(pt, openSsl.Decrypt(a, ad));
        }
    }

    [Theory] // the OpenSSL paths share pooled, non-thread-safe OpenSSL objects between threads
    [InlineData(false)]
    [InlineData(true)]
    public void SivAndGcmAreThreadSafe(bool openSsl)
    {
        var key = RandomNumberGenerator.GetBytes(64);
        using var siv = Aes256Siv.Create(key, openSsl);
        using var gcm = Aes256Gcm.Create(key.AsSpan(0, 32), openSsl ? AeadBackend.OpenSsl : CryptoPolicy.DefaultAeadBackend);
        var nonce = new byte[12];
        var inputs = Enumerable.Range(0, 64).Select(i => RandomNumberGenerator.GetBytes(i * 7)).ToArray();
        var expected = inputs.Select(p => siv.Encrypt(p, "ad"u8)).ToArray();
        var expectedGcm = inputs.Select(p => { var c = new byte[p.Length + 16]; gcm.Encrypt(nonce, p, "ad"u8, c); return c; }).ToArray();
        Parallel.For(0, 4000, i =>
        {
            int k = i % inputs.Length;
            Assert.Equal(expected[k], siv.Encrypt(inputs[k], "ad"u8));
            Assert.Equal(inputs[k], siv.Decrypt(expected[k], "ad"u8));
            var c = new byte[inputs[k].Length + 16];
            gcm.Encrypt(nonce, inputs[k], "ad"u8, c);
            Assert.Equal(expectedGcm[k], c);
        });
    }

    [Fact]
    public void KeyWrapUnderWrongKekFailsAuthentication()
    {
        var kek = RandomNumberGenerator.GetBytes(32);
        var other = RandomNumberGenerator.GetBytes(32);
        var dek = RandomNumberGenerator.GetBytes(32);
        var kwp = AesKeyWrap.WrapPadded(kek, dek);
        Assert.Equal(40, kwp.Length);
        Assert.Throws<AuthenticationFailedException>(() => AesKeyWrap.UnwrapPadded(other, kwp));
        var kw = new byte[40];
        AesKeyWrap.Wrap(kek, dek, kw);
        var output = new byte[32];
        var ex = Assert.Throws<AuthenticationFailedException>(() => AesKeyWrap.Unwrap(other, kw, output));
        Assert.Equal("authentication failed", ex.Message);
        Assert.All(output, b => Assert.Equal(0, b));
    }

    [Fact]
    public void KeyWrapRejectsCallerMistakes()
    {
        var kek = new byte[32];
        Assert.Throws<ArgumentException>(() => AesKeyWrap.WrapPadded(new byte[20], new byte[32]));
        Assert.Throws<ArgumentException>(() => AesKeyWrap.WrapPadded(kek, ReadOnlySpan<byte>.Empty));
        Assert.Throws<ArgumentException>(() => AesKeyWrap.WrapPadded(kek, new byte[32], new byte[41]));
        Assert.Throws<ArgumentException>(() => AesKeyWrap.Wrap(kek, new byte[20], new byte[28]));
        Assert.Throws<ArgumentException>(() => AesKeyWrap.UnwrapPadded(kek, new byte[40], new byte[31]));
        Assert.Throws<MalformedDataException>(() => AesKeyWrap.UnwrapPadded(kek, new byte[41], new byte[40]));
    }

    [Fact]
    public void Pbkdf2ParametersReproduceTheKey()
    {
        var p = Pbkdf2.CreateParameters(iterations: 1000);
        Assert.Equal("PBKDF2-HMAC-SHA256", p.Algorithm);
        Assert.Equal(16, p.Salt.Length);
        using var a = p.DeriveKey("correct horse".AsSpan());
        using var b = new Pbkdf2Parameters(p.Iterations, p.Salt).DeriveKey("correct horse"u8);
        using var c = Pbkdf2.CreateParameters(iterations: 1000).DeriveKey("correct horse".AsSpan());
        Assert.Equal(Export(a), Export(b));
        Assert.NotEqual(Export(a), Export(c)); // fresh salt, different key
        Assert.DoesNotContain(Convert.ToHexString(p.Salt), p.ToString());
    }

    [Fact]
    public void Pbkdf2CalibrationIsCachedAndAboveTheFloor()
    {
        int first = Pbkdf2.Calibrate();
        Assert.True(first >= Pbkdf2.MinCalibratedIterations);
        Assert.Equal(first, Pbkdf2.Calibrate());
        Assert.Equal(first, Pbkdf2.CreateParameters().Iterations);
    }

    [Fact]
    public void Argon2idParametersReproduceTheKey()
    {
        if (CryptoPolicy.FipsMode) return; // covered by FipsPolicyTests
        var p = Argon2id.CreateParameters(memoryKib: 8 * 1024, passes: 1);
        using var a = p.DeriveKey("correct horse".AsSpan());
        using var b = new Argon2idParameters(p.MemoryKib, p.Passes, p.Salt).DeriveKey("correct horse"u8);
        using var c = new Argon2idParameters(p.MemoryKib, p.Passes + 1, p.Salt).DeriveKey("correct horse"u8);
        Assert.Equal(Export(a), Export(b));
        Assert.NotEqual(Export(a), Export(c));
        Assert.Equal("Argon2id", p.Algorithm);
    }

    // RFC 9106's vector uses 4 lanes, a secret and AD, which libsodium does not take; this one comes from
    // the reference implementation's CLI (Debian `argon2`): echo -n 'correct horse battery staple' |
    // argon2 0123456789abcdef -id -t 2 -k 8192 -p 1 -l 32 -r
    [Fact]
    public void Argon2idMatchesTheReferenceImplementation()
    {
        if (CryptoPolicy.FipsMode) return;
        var output = new byte[32];
        Argon2id.DeriveBytes("correct horse battery staple"u8, "0123456789abcdef"u8, memoryKib: 8192, passes: 2, output);
        Assert.Equal(H("b054554d1b007921df84181b7b0e54552da5e937e0153215cc5a3d86b8f4ba54"), output);
    }

    [Fact]
    public void Argon2idRejectsBadParameters()
    {
        if (CryptoPolicy.FipsMode) return;
        Assert.Throws<ArgumentException>(() => new Argon2idParameters(8192, 1, new byte[8]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Argon2idParameters(4, 1, new byte[16]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Argon2idParameters(8192, 0, new byte[16]));
    }

    [Fact]
    public void HmacVerifyRefusesTooShortTags()
    {
        Assert.Throws<ArgumentException>(() => HmacSha256.Verify(new byte[32], new byte[3], new byte[8]));
        Assert.Throws<ArgumentException>(() => HmacSha256.Compute(new byte[32], new byte[3], new byte[16]));
    }

    [Fact]
    public void SecureRandomFillsDistinctValues()
    {
        var a = new byte[32];
        var b = new byte[32];
        SecureRandom.Fill(a);
        SecureRandom.Fill(b);
        Assert.NotEqual(a, b);
        Assert.Equal(12, SecureRandom.GetBytes(12).Length);
    }

    [Fact]
    public void FipsStatusReportsOpenSsl()
    {
        var status = CryptoPolicy.GetFipsStatus();
        Assert.Equal(CryptoPolicy.FipsMode, status.PolicyEnabled);
        if (status.OpenSslVersion is null) return; // no libcrypto.so.3: "unknown" is the documented answer
        Assert.StartsWith("OpenSSL 3", status.OpenSslVersion);
        Assert.NotNull(status.ProviderAvailable);
        Assert.NotNull(status.DefaultPropertiesFips);
        Assert.Equal(status.PolicyEnabled && status.ProviderAvailable == true && status.DefaultPropertiesFips == true, status.FullyValidated);
    }

    private static byte[] Export(SecretKey key)
    {
        var bytes = new byte[key.Size];
        key.Export(bytes);
        return bytes;
    }
}

[CollectionDefinition(nameof(FipsPolicyTests), DisableParallelization = true)]
public class FipsPolicyCollection;

/// <summary>Toggles the process-wide policy, so runs alone.</summary>
[Collection(nameof(FipsPolicyTests))]
public class FipsPolicyTests
{
    [Fact]
    public void FipsModeRefusesArgon2idSodiumAndAesSiv()
    {
        using var _ = CryptoPolicy.OverrideForTests(fips: true);
        var ex = Assert.Throws<PolicyViolationException>(() => Argon2id.CreateParameters());
        Assert.Contains("Argon2id", ex.Message);
        Assert.Throws<PolicyViolationException>(() => new Argon2idParameters(8192, 1, new byte[16]).DeriveKey("x"u8));
        Assert.Throws<PolicyViolationException>(() => Aes256Gcm.Create(new byte[32], AeadBackend.Sodium));
        using var gcm = Aes256Gcm.Create(new byte[32]);
        Assert.Equal(AeadBackend.OpenSsl, gcm.Backend);
        using var siv = Aes256Siv.Create(new byte[64]);
        Assert.Throws<PolicyViolationException>(() => siv.Encrypt("x"u8, "ad"u8)); // not approved (Search/FipsModeTests)
        Assert.True(CryptoPolicy.GetFipsStatus().PolicyEnabled);
        using var key = Pbkdf2.CreateParameters(iterations: 1000).DeriveKey("x"u8); // PBKDF2 stays allowed
        Assert.Equal(32, key.Size);
    }

    [Fact] // the OpenSSL path of KW/KWP, which only FIPS mode selects on an AES-NI machine
    public void KeyWrapWycheproofUnderFips()
    {
        using var _ = CryptoPolicy.OverrideForTests(fips: true);
        int n = 0;
        foreach (var t in Wycheproof.Cases("aes_wrap_test.json")) { WycheproofTests.CheckKw(t); n++; }
        foreach (var t in Wycheproof.Cases("aes_kwp_test.json")) { WycheproofTests.CheckKwp(t); n++; }
        Assert.True(n == 0 || n == 165 + 254, $"{n} key wrap vectors");
    }
}

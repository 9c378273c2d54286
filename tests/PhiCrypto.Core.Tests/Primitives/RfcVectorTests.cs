// The RFCs' own examples, inline: RFC 3394 section 4 (all six), RFC 5649 section 6 (both),
// RFC 5297 appendix A.1 and A.2, RFC 5869 appendix A.1-A.3 (PRK and OKM).
using System.Security.Cryptography;
using PhiCrypto.Primitives;

namespace PhiCrypto.Tests.Primitives;

public class RfcVectorTests
{
    private static byte[] H(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    private const string Kek128 = "000102030405060708090A0B0C0D0E0F";
    private const string Kek192 = "000102030405060708090A0B0C0D0E0F1011121314151617";
    private const string Kek256 = "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F";

    [Theory] // RFC 3394 4.1-4.6
    [InlineData(Kek128, "00112233445566778899AABBCCDDEEFF", "1FA68B0A8112B447 AEF34BD8FB5A7B82 9D3E862371D2CFE5")]
    [InlineData(Kek192, "00112233445566778899AABBCCDDEEFF", "96778B25AE6CA435 F92B5B97C050AED2 468AB8A17AD84E5D")]
    [InlineData(Kek256, "00112233445566778899AABBCCDDEEFF", "64E8C3F9CE0F5BA2 63E9777905818A2A 93C8191E7D6E8AE7")]
    [InlineData(Kek192, "00112233445566778899AABBCCDDEEFF0001020304050607", "031D33264E15D332 68F24EC260743EDC E1C6C7DDEE725A93 6BA814915C6762D2")]
    [InlineData(Kek256, "00112233445566778899AABBCCDDEEFF0001020304050607", "A8F9BC1612C68B3F F6E6F4FBE30E71E4 769C8B80A32CB895 8CD5D17D6B254DA1")]
    [InlineData(Kek256, "00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F",
        "28C9F404C4B810F4 CBCCB35CFB87F826 3F5786E2D80ED326 CBC7F0E71A99F43B FB988B9B7A02DD21")]
    public void Rfc3394(string kek, string key, string wrapped)
    {
        var output = new byte[H(key).Length + 8];
        AesKeyWrap.Wrap(H(kek), H(key), output);
        Assert.Equal(H(wrapped), output);
        var unwrapped = new byte[output.Length - 8];
        AesKeyWrap.Unwrap(H(kek), output, unwrapped);
        Assert.Equal(H(key), unwrapped);
    }

    [Theory] // RFC 5649 section 6
    [InlineData("c37b7e6492584340 bed1220780894115 5068f738", "138bdeaa9b8fa7fc 61f97742e72248ee 5ae6ae5360d1ae6a 5f54f373fa543b6a")]
    [InlineData("466f7250617369", "afbeb0f07dfbf541 9200f2ccb50bb24f")]
    public void Rfc5649(string key, string wrapped)
    {
        var kek = H("5840df6e29b02af1 ab493b705bf16ea1 ae8338f4dcc176a8");
        var output = new byte[AesKeyWrap.WrappedLengthPadded(H(key).Length)];
        AesKeyWrap.WrapPadded(kek, H(key), output);
        Assert.Equal(H(wrapped), output);
        Assert.Equal(H(key), AesKeyWrap.UnwrapPadded(kek, output));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Rfc5297A1Deterministic(bool openSsl)
    {
        using var siv = Aes256Siv.Create(H("fffefdfc fbfaf9f8 f7f6f5f4 f3f2f1f0 f0f1f2f3 f4f5f6f7 f8f9fafb fcfdfeff"), openSsl);
        var ad = H("10111213 14151617 18191a1b 1c1d1e1f 20212223 24252627");
        var pt = H("11223344 55667788 99aabbcc ddee");
        var expected = H("85632d07 c6e8f37f 950acd32 0a2ecc93 40c02b96 90c4dc04 daef7f6a fe5c");
        Assert.Equal(expected, siv.Encrypt(pt, ad));
        Assert.Equal(pt, siv.Decrypt(expected, ad));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Rfc5297A2NonceBased(bool openSsl)
    {
        using var siv = Aes256Siv.Create(H("7f7e7d7c 7b7a7978 77767574 73727170 40414243 44454647 48494a4b 4c4d4e4f"), openSsl);
        ReadOnlyMemory<byte>[] ad =
        [
            H("00112233 44556677 8899aabb ccddeeff deaddada deaddada ffeeddcc bbaa9988 77665544 33221100"),
            H("10203040 50607080 90a0"),
            H("09f91102 9d74e35b d84156c5 635688c0"), // the nonce, last
        ];
        var pt = "this is some plaintext to encrypt using SIV-AES"u8.ToArray();
        var expected = H("7bdb6e3b 432667eb 06f4d14b ff2fbd0f cb900f2f ddbe4043 26601965 c889bf17"
                       + "dba77ceb 094fa663 b7a3f748 ba8af829 ea64ad54 4a272e9c 485b62a3 fd5c0d");
        var output = new byte[pt.Length + 16];
        siv.Encrypt(pt, ad, output);
        Assert.Equal(expected, output);
        var back = new byte[pt.Length];
        Assert.True(siv.TryDecrypt(output, ad, back));
        Assert.Equal(pt, back);
        Assert.False(siv.TryDecrypt(output, ad[..2], back)); // dropping the nonce changes S2V
    }

    public static TheoryData<string, string, string, int, string, string> Rfc5869Cases => new()
    {
        { "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "000102030405060708090a0b0c", "f0f1f2f3f4f5f6f7f8f9", 42,
          "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
          "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865" },
        { Range(0x00, 0x50), Range(0x60, 0x50), Range(0xb0, 0x50), 82,
          "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
          "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09"
          + "da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87" },
        { "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "", 42,
          "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
          "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8" },
    };

    private static string Range(int start, int count) => Convert.ToHexString(Enumerable.Range(start, count).Select(i => (byte)i).ToArray());

    [Theory] // RFC 5869 A.1-A.3
    [MemberData(nameof(Rfc5869Cases))]
    public void Rfc5869(string ikm, string salt, string info, int length, string prk, string okm)
    {
        var actualPrk = new byte[32];
        Assert.Equal(32, Hkdf.Extract(HashAlgorithmName.SHA256, H(ikm), H(salt), actualPrk));
        Assert.Equal(H(prk), actualPrk);
        var expanded = new byte[length];
        Hkdf.Expand(HashAlgorithmName.SHA256, actualPrk, expanded, H(info));
        Assert.Equal(H(okm), expanded);
        var derived = new byte[length];
        Hkdf.DeriveKey(HashAlgorithmName.SHA256, H(ikm), derived, H(salt), H(info));
        Assert.Equal(H(okm), derived);
    }
}

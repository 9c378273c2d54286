// FF1 (SP 800-38G Rev. 1): the nine NIST samples (FF1samples.pdf; the values were cross-checked in
// several independent public test suites: BouncyCastle's SP80038GTest, and Go, Rust, Python and C FF1
// test files, all agreeing), long-input vectors from an independent implementation, round-trip
// properties on both number paths, and the Rev. 1 domain and length limits.
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using PhiCrypto.Primitives;

namespace PhiCrypto.Tests.Search;

public class Ff1Tests
{
    private const string Key128 = "2B7E151628AED2A6ABF7158809CF4F3C";
    private const string Key192 = Key128 + "EF4359D8D580AA4F";
    private const string Key256 = Key192 + "7F036D6F04FC6A94";
    private const string Tweak10 = "39383736353433323130";
    private const string Tweak11 = "3737373770717273373737";
    private const string Digits = "0123456789";
    private const string Alnum = "0123456789abcdefghi";

    public static TheoryData<int, string, int, string, string, string> NistSamples => new()
    {
        { 1, Key128, 10, "", Digits, "2433477484" },
        { 2, Key128, 10, Tweak10, Digits, "6124200773" },
        { 3, Key128, 36, Tweak11, Alnum, "a9tv40mll9kdu509eum" },
        { 4, Key192, 10, "", Digits, "2830668132" },
        { 5, Key192, 10, Tweak10, Digits, "2496655549" },
        { 6, Key192, 36, Tweak11, Alnum, "xbj3kv35jrawxv32ysr" },
        { 7, Key256, 10, "", Digits, "6657667009" },
        { 8, Key256, 10, Tweak10, Digits, "1001623463" },
        { 9, Key256, 36, Tweak11, Alnum, "xs8a0azh2avyalyzuwd" },
    };

    [Theory]
    [MemberData(nameof(NistSamples))]
    public void NistSample(int sample, string key, int radix, string tweak, string plaintext, string ciphertext)
    {
        Assert.InRange(sample, 1, 9);
        foreach (var ff1 in Both(Convert.FromHexString(key), radix))
        {
            using var _ = ff1;
            Assert.Equal(ciphertext, ff1.Encrypt(plaintext, Convert.FromHexString(tweak)));
            Assert.Equal(plaintext, ff1.Decrypt(ciphertext, Convert.FromHexString(tweak)));
        }
    }

    // Computed by a literal transcription of Algorithm 7 in Python (integers and numeral lists, AES-ECB from
    // python3-cryptography 38; the script asserts NIST samples 1 and 9 first). These lengths take the
    // BigInteger path, and radix 36 / 256 numerals needs d > 16 (extra CIPH blocks in step 6.iii).
    [Theory]
    [InlineData(10, "", "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789",
        "5910275837991550902816430245386990288883845210440462042347374695756679991235313532399809271846137449")]
    [InlineData(16, "74", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "a71db370dcb63f0abb4c21405f751f2227e84daffb6b0ecf549d33460c9850650cd83de7abfc2782b0cd9874b4ccc0264aab8f9cbbcb2e72b73bc810a18b79e9")]
    [InlineData(2, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324252627",
        "01010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101",
        "00001000000101110110111000011010110010100111110110011010001001001001111001010000110000110001100110111111010110101101011111011101010010010101101111000101000101001000011111010000011111111100000010001110")]
    public void LongInputsMatchAnIndependentImplementation(int radix, string tweak, string plaintext, string ciphertext)
    {
        using var ff1 = Ff1.Create(Convert.FromHexString(Key256), radix);
        Assert.Equal(ciphertext, ff1.Encrypt(plaintext, Convert.FromHexString(tweak)));
        Assert.Equal(plaintext, ff1.Decrypt(ciphertext, Convert.FromHexString(tweak)));
    }

    [Fact]
    public void MaximumLengthRadix36MatchesAnIndependentImplementation()
    {
        const string alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
        var plaintext = string.Concat(Enumerable.Range(0, 256).Select(i => alphabet[7 * i % 36]));
        const string expected = "6fc73b4fbvgvodu5k7w5pomlqjjmpjcxjis0sa8uoitx8lw9wr7plrq1ozigtcwe4nii961ob6gm0qiaqb6a82q0t5ynkbewj3z1s9qazzfbriofnac2qjxfnvuriedqbki6m6kw52cxdf0oeqpv1bihw0cmj5b9jv9hakbjz0j72povk3i7jpzkbgvyt0wm6muf6avpixpad5y18nfgk4odr0rggp5x6pyrin47pwd62jzix5jy8yy4ej8loi2g";
        using var ff1 = Ff1.Create(Convert.FromHexString(Key256), 36);
        Assert.Equal(expected, ff1.Encrypt(plaintext, "phicrypto"u8));
        Assert.Equal(plaintext, ff1.Decrypt(expected, "phicrypto"u8));
    }

    [Theory]
    [InlineData(10, 6)]
    [InlineData(2, 20)]
    [InlineData(16, 5)]
    [InlineData(36, 4)]
    [InlineData(26, 5)]
    public void MinimumLengthFollowsTheDomainRule(int radix, int expected)
    {
        Assert.Equal(expected, Ff1.MinimumLength(radix));
        Assert.True(Math.Pow(radix, expected) >= 1_000_000 && Math.Pow(radix, expected - 1) < 1_000_000);
    }

    [Fact]
    public void TooSmallDomainIsRefusedWithTheRule()
    {
        using var ff1 = Ff1.Create(new byte[32]);
        var ex = Assert.Throws<ArgumentException>(() => ff1.Encrypt("12345"));
        Assert.Contains("1,000,000", ex.Message);
        Assert.Equal(6, ff1.Encrypt("123456").Length);
        using var binary = Ff1.Create(new byte[32], 2);
        Assert.Throws<ArgumentException>(() => binary.Encrypt(new string('1', 19)));
    }

    [Fact]
    public void BadInputsGetClearErrorsWithoutTheValue()
    {
        using var ff1 = Ff1.Create(new byte[32]);
        var ex = Assert.Throws<ArgumentException>(() => ff1.Encrypt("12345678a"));
        Assert.Contains("character 8", ex.Message);
        Assert.DoesNotContain("12345678", ex.Message);
        Assert.Throws<ArgumentException>(() => ff1.Encrypt("1234567890", new byte[Ff1.MaxTweakLength + 1]));
        Assert.Throws<ArgumentException>(() => ff1.Encrypt(new string('1', Ff1.MaxLength + 1)));
        Assert.Throws<ArgumentException>(() => ff1.Encrypt(new byte[] { 1, 2, 3, 4, 5, 10 }, default, new byte[6]));
        Assert.Throws<ArgumentException>(() => ff1.Encrypt(new byte[6], default, new byte[7]));
        Assert.Throws<ArgumentException>(() => Ff1.Create(new byte[31]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Ff1.Create(new byte[32], 37));
        Assert.Throws<ArgumentOutOfRangeException>(() => Ff1.Create(new byte[32], 1));
    }

    [Fact]
    public void NumeralAndTextFormsAgree()
    {
        using var ff1 = Ff1.Create(Convert.FromHexString(Key256));
        var output = new byte[10];
        ff1.Encrypt([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], Convert.FromHexString(Tweak10), output);
        Assert.Equal("1001623463", string.Concat(output.Select(d => (char)('0' + d))));
        var chars = new char[10];
        ff1.Decrypt("1001623463", Convert.FromHexString(Tweak10), chars);
        Assert.Equal(Digits, new string(chars));
    }

    [Property(MaxTest = 300)]
    public Property RoundTripsAndBothNumberPathsAgree()
    {
        var gen =
            from radix in Gen.Choose(2, 36)
            from extra in Gen.Choose(0, 70)
            let length = Math.Min(Ff1.MaxLength, Ff1.MinimumLength(radix) + extra)
            from digits in Gen.Choose(0, radix - 1).ArrayOf(length)
            from tweak in ArbMap.Default.GeneratorFor<byte[]>()
            select (radix, digits: digits.Select(d => (byte)d).ToArray(), tweak);
        return Prop.ForAll(gen.ToArbitrary(), c =>
        {
            var key = SecureRandom.GetBytes(32);
            using var fast = Ff1.Create(key, c.radix);
            using var big = Ff1.CreateBigIntegerOnly(key, c.radix);
            var tweak = c.tweak.Length > Ff1.MaxTweakLength ? c.tweak[..Ff1.MaxTweakLength] : c.tweak;
            var a = new byte[c.digits.Length];
            var b = new byte[c.digits.Length];
            var back = new byte[c.digits.Length];
            fast.Encrypt(c.digits, tweak, a);
            big.Encrypt(c.digits, tweak, b);
            fast.Decrypt(a, tweak, back);
            return a.SequenceEqual(b) && back.SequenceEqual(c.digits) && a.All(d => d < c.radix);
        });
    }

    [Property(MaxTest = 100)]
    public bool TweakAndKeyChangeTheOutput(int seed)
    {
        var rng = new Random(seed);
        var ssn = string.Concat(Enumerable.Range(0, 9).Select(_ => (char)('0' + rng.Next(10))));
        var key = SecureRandom.GetBytes(32);
        using var a = Ff1.Create(key);
        using var b = Ff1.Create(SecureRandom.GetBytes(32));
        var c = a.Encrypt(ssn, "purpose-a"u8);
        // A collision has probability 1e-9 per pair; the domain is 10^9 SSNs.
        return c != a.Encrypt(ssn, "purpose-b"u8) && c != b.Encrypt(ssn, "purpose-a"u8) && c == a.Encrypt(ssn, "purpose-a"u8);
    }

    private static IEnumerable<Ff1> Both(byte[] key, int radix)
    {
        yield return Ff1.Create(key, radix);
        yield return Ff1.CreateBigIntegerOnly(key, radix);
    }
}

using System.Security.Cryptography;
using System.Text;
using PhiCrypto.Fields;
using PhiCrypto.Primitives;

namespace PhiCrypto.Tests.Fields;

public class FieldEnvelopeTests : IDisposable
{
    private static readonly byte[] Purpose = "clinic.Patient.ssn"u8.ToArray();
    private readonly SecretKey _dek = SecretKey.Generate();
    private readonly FieldKey _key;

    public FieldEnvelopeTests() => _key = FieldKey.Create(_dek, 1);

    public void Dispose()
    {
        _key.Dispose();
        _dek.Dispose();
    }

    [Theory]
    [InlineData(FieldMode.Randomized, 29)]
    [InlineData(FieldMode.Deterministic, 17)]
    public void Overhead_is_exact(FieldMode mode, int overhead)
    {
        foreach (int n in new[] { 0, 1, 11, 50, 1000 })
        {
            var env = FieldEnvelope.Encrypt(_key, mode, "p", new byte[n]);
            Assert.Equal(n + overhead, env.Length);
            Assert.Equal(n + overhead, FieldEnvelope.GetEnvelopeLength(mode, 1, n));
        }
    }

    [Theory]
    [InlineData(FieldMode.Randomized)]
    [InlineData(FieldMode.Deterministic)]
    public void Round_trip_and_empty_value_is_a_real_envelope(FieldMode mode)
    {
        var pt = "Sensitive PII data: SSN 123-45-6789"u8.ToArray();
        var env = FieldEnvelope.Encrypt(_key, mode, "clinic.Patient.ssn", pt, "row-7"u8);
        Assert.NotEqual(pt, env);
        Assert.Equal(pt, FieldEnvelope.Decrypt(_key, "clinic.Patient.ssn", env, "row-7"u8));

        var empty = FieldEnvelope.Encrypt(_key, mode, "clinic.Patient.ssn", []);
        Assert.Equal(new FieldHeader(mode, 1, 0).BodyOverhead + 1, empty.Length);
        Assert.Empty(FieldEnvelope.Decrypt(_key, "clinic.Patient.ssn", empty));
    }

    [Fact]
    public void Requirements_snippet_1_expansion_within_half_for_deterministic()
    {
        var pt = "Sensitive PII data: SSN 123-45-6789"u8.ToArray();
        var ct = FieldEnvelope.Encrypt(_key, FieldMode.Deterministic, "p", pt);
        Assert.True(ct.Length <= pt.Length * 1.5);
    }

    [Fact]
    public void Requirements_snippet_2_flipped_byte_fails_authentication()
    {
        foreach (var mode in new[] { FieldMode.Randomized, FieldMode.Deterministic })
        {
            var tampered = FieldEnvelope.Encrypt(_key, mode, "p", "Original data"u8);
            tampered[10] ^= 0xFF;
            Assert.Throws<AuthenticationFailedException>(() => FieldEnvelope.Decrypt(_key, "p", tampered));
        }
    }

    [Fact]
    public void Requirements_snippet_6_deterministic_is_consistent_and_distinct()
    {
        var ct1 = FieldEnvelope.Encrypt(_key, FieldMode.Deterministic, "p", "123-45-6789"u8);
        var ct2 = FieldEnvelope.Encrypt(_key, FieldMode.Deterministic, "p", "123-45-6789"u8);
        var ct3 = FieldEnvelope.Encrypt(_key, FieldMode.Deterministic, "p", "987-65-4321"u8);
        Assert.Equal(ct1, ct2);
        Assert.NotEqual(ct1, ct3);
    }

    [Fact]
    public void Randomized_envelopes_of_one_value_differ()
    {
        var a = FieldEnvelope.Encrypt(_key, FieldMode.Randomized, "p", "same"u8);
        var b = FieldEnvelope.Encrypt(_key, FieldMode.Randomized, "p", "same"u8);
        Assert.NotEqual(a, b);
    }

    [Theory]
    [InlineData(FieldMode.Randomized)]
    [InlineData(FieldMode.Deterministic)]
    public void Purpose_and_ad_are_bound(FieldMode mode)
    {
        var env = FieldEnvelope.Encrypt(_key, mode, "clinic.Patient.ssn", "x"u8, "row-1"u8);
        Assert.Throws<AuthenticationFailedException>(() => FieldEnvelope.Decrypt(_key, "clinic.Patient.mrn", env, "row-1"u8));
        Assert.Throws<AuthenticationFailedException>(() => FieldEnvelope.Decrypt(_key, "clinic.Patient.ssn", env, "row-2"u8));
        // Purpose and AD are length-delimited: moving a byte across the boundary changes the AD.
        var env2 = FieldEnvelope.Encrypt(_key, mode, "ab", "x"u8, "c"u8);
        Assert.Throws<AuthenticationFailedException>(() => FieldEnvelope.Decrypt(_key, "a", env2, "bc"u8));
    }

    [Fact]
    public void Header_names_mode_and_version_and_is_authenticated()
    {
        using var v2 = FieldKey.Create(_dek, 2);
        var env = FieldEnvelope.Encrypt(v2, FieldMode.Randomized, "p", "x"u8);
        Assert.Equal(0b0100_0010, env[0]);
        Assert.Equal(new FieldHeader(FieldMode.Randomized, 2, 1), FieldEnvelope.ReadHeader(env));
        // Relabel the version: the key lookup then finds nothing or the tag fails, never plaintext.
        env[0] = 0b0100_0001;
        Assert.Throws<AuthenticationFailedException>(() => FieldEnvelope.Decrypt(_key, "p", env));
        env[0] = 0b0100_0011;
        Assert.Throws<KeyNotAvailableException>(() => FieldEnvelope.Decrypt(_key, "p", env));
    }

    [Theory]
    [InlineData(31u, 1)]
    [InlineData(32u, 2)]
    [InlineData(127u, 2)]
    [InlineData(128u, 3)]
    [InlineData(uint.MaxValue, 6)]
    public void Large_versions_take_a_varint(uint version, int headerLength)
    {
        using var key = FieldKey.Create(_dek, version);
        foreach (var mode in new[] { FieldMode.Randomized, FieldMode.Deterministic })
        {
            var env = FieldEnvelope.Encrypt(key, mode, "p", "abc"u8);
            var header = FieldEnvelope.ReadHeader(env);
            Assert.Equal((mode, version, headerLength), (header.Mode, header.KeyVersion, header.HeaderLength));
            Assert.Equal("abc"u8.ToArray(), FieldEnvelope.Decrypt(key, "p", env));
        }
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 0x00, 1, 2 })]            // format 0
    [InlineData(new byte[] { 0x81, 1, 2 })]            // format 2
    [InlineData(new byte[] { 0x40 })]                  // varint missing
    [InlineData(new byte[] { 0x40, 0x05 })]            // varint for a version that fits the first byte
    [InlineData(new byte[] { 0x40, 0xA0, 0x00 })]      // padded varint
    [InlineData(new byte[] { 0x40, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F })] // over 2^32
    [InlineData(new byte[] { 0x41, 1, 2, 3 })]         // shorter than the overhead
    public void Malformed_envelopes_get_a_format_error(byte[] envelope)
    {
        Assert.Throws<MalformedDataException>(() => FieldEnvelope.Decrypt(_key, "p", envelope));
    }

    [Fact]
    public void Versions_of_a_batch_are_read_from_headers_alone()
    {
        uint[] versions = [1, 31, 32, 128, uint.MaxValue];
        var headers = new List<byte>();
        var lengths = new List<int>();
        foreach (uint version in versions)
        {
            using var key = FieldKey.Create(_dek, version);
            var env = FieldEnvelope.Encrypt(key, FieldMode.Randomized, "p", "abc"u8);
            int n = FieldEnvelope.ReadHeader(env).HeaderLength;
            headers.AddRange(env[..n]); // only the header: what an SQL scan of headers fetches
            lengths.Add(n);
        }
        byte[][] malformed = [[], [0x00], [0x40], [0x40, 0x05], [0x40, 0xA0, 0x00]];
        foreach (var bad in malformed)
        {
            headers.AddRange(bad);
            lengths.Add(bad.Length);
        }
        var read = new uint[lengths.Count];
        FieldBatch.ReadVersions(headers.ToArray(), lengths.ToArray(), read);
        Assert.Equal([.. versions, 0, 0, 0, 0, 0], read);
        Assert.Throws<ArgumentException>(() => FieldBatch.ReadVersions(headers.ToArray(), lengths.ToArray(), new uint[1]));

        // Lengths that overrun, fall short of or go negative in the packed buffer: refused before any version is written.
        int[] ls = lengths.ToArray();
        int[][] badCases = [[.. ls[..^2], ls[^2] + 1, ls[^1]], [.. ls[..^1], ls[^1] + 1], [.. ls[..^1], ls[^1] - 1], [-1, .. ls[1..]]];
        foreach (var badLengths in badCases)
        {
            var untouched = Enumerable.Repeat(7u, ls.Length).ToArray();
            Assert.ThrowsAny<ArgumentException>(() => FieldBatch.ReadVersions(headers.ToArray(), badLengths, untouched));
            Assert.All(untouched, v => Assert.Equal(7u, v));
        }
    }

    [Fact]
    public void Values_over_one_mebibyte_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FieldEnvelope.Encrypt(_key, FieldMode.Randomized, "p", new byte[(1 << 20) + 1]));
        var max = new byte[1 << 20];
        Assert.Equal(max.Length + 29, FieldEnvelope.Encrypt(_key, FieldMode.Randomized, "p", max).Length);
    }

    [Fact]
    public void Caller_mistakes_are_argument_errors()
    {
        var env = new byte[FieldEnvelope.GetEnvelopeLength(FieldMode.Randomized, 1, 3)];
        Assert.Throws<ArgumentException>(() => FieldEnvelope.Encrypt(_key, FieldMode.Randomized, Purpose, "abc"u8, default, env.AsSpan(1)));
        Assert.Throws<ArgumentException>(() => FieldEnvelope.Encrypt(_key, FieldMode.Randomized, ReadOnlySpan<byte>.Empty, "abc"u8, default, env));
        Assert.Throws<ArgumentOutOfRangeException>(() => FieldEnvelope.Encrypt(_key, (FieldMode)7, Purpose, "abc"u8, default, env));
        Assert.Throws<ArgumentOutOfRangeException>(() => FieldKey.Create(_dek, 0));
    }

    [Fact]
    public void Usage_limit_refuses_randomized_but_not_deterministic()
    {
        using var key = FieldKey.Create(_dek, 3);
        key.UsageLimit = 2;
        FieldEnvelope.Encrypt(key, FieldMode.Randomized, "p", "a"u8);
        FieldEnvelope.Encrypt(key, FieldMode.Randomized, "p", "a"u8);
        Assert.Throws<PolicyViolationException>(() => FieldEnvelope.Encrypt(key, FieldMode.Randomized, "p", "a"u8));
        FieldEnvelope.Encrypt(key, FieldMode.Deterministic, "p", "a"u8);
    }

    [Fact]
    public void Gcm_part_opens_with_an_independent_gcm_given_the_documented_subkey()
    {
        // docs/field-format.md: GCM subkey = HKDF-SHA-256(DEK, salt empty, info "phicrypto/field/v1/aes-256-gcm", 32).
        var dek = new byte[32];
        _dek.Export(dek);
        var subkey = HKDF.DeriveKey(HashAlgorithmName.SHA256, dek, 32, [], Encoding.ASCII.GetBytes("phicrypto/field/v1/aes-256-gcm"));
        var env = FieldEnvelope.Encrypt(_key, FieldMode.Randomized, "clinic.Patient.dx", "J45.909"u8, "42"u8);
        var ad = new List<byte> { env[0], 0, 17 };
        ad.AddRange("clinic.Patient.dx"u8.ToArray());
        ad.AddRange("42"u8.ToArray());
        using var gcm = new AesGcm(subkey, 16);
        var pt = new byte[env.Length - 29];
        gcm.Decrypt(env.AsSpan(1, 12), env.AsSpan(13, pt.Length), env.AsSpan(13 + pt.Length), pt, ad.ToArray());
        Assert.Equal("J45.909"u8.ToArray(), pt);
    }

    [Fact]
    public void Both_gcm_backends_read_each_others_envelopes()
    {
        var dek = new byte[32];
        _dek.Export(dek);
        using var sodium = FieldKey.Create(dek, 1, AeadBackend.Sodium);
        using var openssl = FieldKey.Create(dek, 1, AeadBackend.OpenSsl);
        var a = FieldEnvelope.Encrypt(sodium, FieldMode.Randomized, "p", "x"u8);
        var b = FieldEnvelope.Encrypt(openssl, FieldMode.Randomized, "p", "y"u8);
        Assert.Equal("x"u8.ToArray(), FieldEnvelope.Decrypt(openssl, "p", a));
        Assert.Equal("y"u8.ToArray(), FieldEnvelope.Decrypt(sodium, "p", b));
    }

    [Fact]
    public void Text_form_round_trips_and_rejects_garbage()
    {
        var env = FieldEnvelope.Encrypt(_key, FieldMode.Deterministic, "p", "123-45-6789"u8);
        var text = FieldText.Encode(env);
        Assert.StartsWith("phi:", text);
        Assert.True(text.All(c => c < 128));
        Assert.Equal(env, FieldText.Decode(text));
        Assert.Throws<MalformedDataException>(() => FieldText.Decode("123-45-6789"));
        Assert.Throws<MalformedDataException>(() => FieldText.Decode("phi:***"));
    }

    [Fact]
    public void ToString_never_shows_key_material()
    {
        Assert.Equal("FieldKey(version 1)", _key.ToString());
        Assert.Equal("SecretKey(32 bytes)", _dek.ToString());
    }
}

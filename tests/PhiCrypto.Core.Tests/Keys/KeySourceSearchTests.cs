// Blind indexes and FF1 through a key source (docs/search.md): the keys come from the source's DEK per
// purpose and version, writing uses the active version, a query covers every version that can still
// decrypt, and a source never computes under another purpose's keys.
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using PhiCrypto.Keys;
using PhiCrypto.Primitives;
using PhiCrypto.Search;

namespace PhiCrypto.Core.Tests.Keys;

public sealed class KeySourceSearchTests : IDisposable
{
    private static readonly byte[] Dek = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
    private static readonly BlindIndexDefinition LastName = BlindIndexDefinition.Exact("last_name_exact", 32);
    private static readonly BlindIndexDefinition Ssn = BlindIndexDefinition.Exact("ssn", 19);
    private readonly TempKeyring _temp = new();
    private readonly Keyring _keyring;

    public KeySourceSearchTests() => _keyring = _temp.Init("clinic.Patient.ssn", "clinic.Patient.mrn");

    public void Dispose()
    {
        _keyring.Dispose();
        _temp.Dispose();
    }

    private static KeySource Raw(uint version = 1, string purpose = "clinic.Patient.last_name")
    {
        using var key = SecretKey.Import(Dek);
        return KeySource.FromKey(key, version, purpose);
    }

    // The known-answer vectors of docs/search.md (an independent Python computation) through a source.
    [Theory]
    [InlineData(1u, "24413a15")]
    [InlineData(2u, "2b7adb65")]
    public void Raw_source_index_matches_the_published_vectors(uint version, string expected)
    {
        using var source = Raw(version);
        Assert.Equal(expected, Convert.ToHexStringLower(source.BlindIndex(LastName, "O'Brien")));
        Assert.Equal(expected, Convert.ToHexStringLower(Assert.Single(source.BlindIndexQuery(LastName, "O'Brien")).Value));
    }

    [Fact]
    public void Prefix_and_compound_indexes_match_the_published_vectors()
    {
        using var source = Raw();
        var prefix = BlindIndexDefinition.Prefix("last_name_prefix", 16, 3, 5);
        Assert.Equal(["f921", "7181", "1cdc"], source.BlindIndexPrefixes(prefix, "Smithson").Select(p => Convert.ToHexStringLower(p.Value)));
        Assert.Equal("7181", Convert.ToHexStringLower(source.BlindIndexQuery(prefix, "smit")[0].Value));
        using var patient = Raw(1, "clinic.Patient");
        var compound = BlindIndexDefinition.Compound("name_dob", 24, TextNormalization.CaseInsensitive, TextNormalization.Exact);
        Assert.Equal("c4e5d6", Convert.ToHexStringLower(patient.BlindIndexCompound(compound, "Smith", "1980-02-29")));
        Assert.Equal("1dc010", Convert.ToHexStringLower(patient.BlindIndexQuery(compound, null, ["Smith", null])[0].Value));
    }

    [Fact]
    public void Rotation_writes_under_the_new_version_and_queries_under_both_until_the_old_one_is_retired()
    {
        using var source = KeySource.FromKeyring(_keyring, "clinic.Patient.ssn");
        byte[] old = source.BlindIndex(Ssn, "123-45-6789");
        _keyring.Rotate("clinic.Patient.ssn");
        byte[] current = source.BlindIndex(Ssn, "123-45-6789");
        Assert.NotEqual(old, current);
        var query = source.BlindIndexQuery(Ssn, "123-45-6789");
        Assert.Equal([2u, 1u], query.Select(q => q.Version));
        Assert.Equal(current, query[0].Value);
        Assert.Equal(old, query[1].Value);

        _keyring.SetState("clinic.Patient.ssn", 1, KeyState.Destroyed, force: true);
        Assert.Equal([2u], source.BlindIndexQuery(Ssn, "123-45-6789").Select(q => q.Version));
        Assert.Throws<KeyNotAvailableException>(() => source.Ff1Decrypt(1, "804621937", 10));
    }

    [Fact]
    public void A_purpose_never_indexes_like_another_with_the_same_keyring()
    {
        using var ssn = KeySource.FromKeyring(_keyring, "clinic.Patient.ssn");
        using var mrn = KeySource.FromKeyring(_keyring, "clinic.Patient.mrn");
        Assert.NotEqual(ssn.BlindIndex(Ssn, "123456789"), mrn.BlindIndex(Ssn, "123456789"));
        Assert.NotEqual(ssn.Ff1Encrypt("123456789", 10, default, out _), mrn.Ff1Encrypt("123456789", 10, default, out _));
    }

    // K_ff1 and the tweak as docs/search.md defines them, recomputed here from HKDF and FF1 directly.
    [Fact]
    public void Ff1_uses_the_documented_key_derivation_and_tweak()
    {
        const string purpose = "clinic.Patient.ssn";
        using var source = Raw(3, purpose);
        string encrypted = source.Ff1Encrypt("123456789", 10, "col"u8, out uint version);
        Assert.Equal(3u, version);

        var info = new List<byte>("phicrypto/ff1/v1"u8.ToArray()) { 0 };
        var be = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(be, 3);
        info.AddRange(be);
        info.AddRange([0, (byte)purpose.Length]);
        info.AddRange(Encoding.UTF8.GetBytes(purpose));
        byte[] key = HKDF.DeriveKey(HashAlgorithmName.SHA256, Dek, 32, [], info.ToArray());
        using var ff1 = Ff1.Create(key, 10);
        byte[] tweak = [.. Encoding.UTF8.GetBytes(purpose), 0, .. "col"u8];
        Assert.Equal(ff1.Encrypt("123456789", tweak), encrypted);
        Assert.Equal("123456789", source.Ff1Decrypt(3, encrypted, 10, "col"u8));
        Assert.NotEqual("123456789", source.Ff1Decrypt(3, encrypted, 10, "other"u8));
    }

    [Fact]
    public void Ff1_through_a_keyring_follows_the_active_version_and_decrypts_each_by_its_version()
    {
        using var source = KeySource.FromKeyring(_keyring, "clinic.Patient.ssn");
        string v1 = source.Ff1Encrypt("123456789", 10, default, out uint first);
        _keyring.Rotate("clinic.Patient.ssn");
        string v2 = source.Ff1Encrypt("123456789", 10, default, out uint second);
        Assert.Equal((1u, 2u), (first, second));
        Assert.NotEqual(v1, v2);
        Assert.Equal("123456789", source.Ff1Decrypt(1, v1, 10));
        Assert.Equal("123456789", source.Ff1Decrypt(2, v2, 10));
        Assert.Throws<ArgumentException>(() => source.Ff1Decrypt(0, v2, 10));
    }

    [Fact]
    public void Bad_input_is_refused_with_a_typed_error()
    {
        using var source = Raw();
        Assert.Throws<ArgumentException>(() => source.Ff1Encrypt("12345", 10, default, out _));           // domain rule
        Assert.Throws<ArgumentException>(() => source.Ff1Encrypt("12345678a", 10, default, out _));       // not radix 10
        Assert.Throws<ArgumentException>(() => source.Ff1Encrypt("123456789", 10, new byte[240], out _)); // tweak + purpose > 256
        Assert.Throws<ArgumentOutOfRangeException>(() => source.Ff1Encrypt("123456789", 37, default, out _));
        Assert.Throws<KeyNotAvailableException>(() => source.Ff1Decrypt(2, "123456789", 10));
        using var shortKey = SecretKey.Import(new byte[16]);
        using var aes128 = KeySource.FromKey(shortKey, 1, "p");
        Assert.Throws<ArgumentException>(() => aes128.BlindIndex(Ssn, "x"));
    }

    [Fact]
    public void A_disposed_source_computes_nothing()
    {
        var source = Raw();
        source.BlindIndex(Ssn, "123456789");
        source.Dispose();
        Assert.Throws<ObjectDisposedException>(() => source.BlindIndex(Ssn, "123456789"));
        Assert.Throws<ObjectDisposedException>(() => source.Ff1Encrypt("123456789", 10, default, out _));
    }

    [Fact]
    public void Many_definitions_do_not_grow_the_cache_without_bound()
    {
        using var source = Raw();
        var values = Enumerable.Range(0, SearchKeys.MaxCachedIndexes + 10)
            .Select(i => source.BlindIndex(BlindIndexDefinition.Exact($"index{i}", 32), "v")).ToList();
        Assert.Equal(values.Count, values.Select(Convert.ToHexString).Distinct().Count());
        Assert.Equal(values[^1], source.BlindIndex(BlindIndexDefinition.Exact($"index{values.Count - 1}", 32), "v"));
    }
}

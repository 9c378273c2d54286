using System.Security.Cryptography;
using System.Text.Json;
using PhiCrypto.Keys;

namespace PhiCrypto.Core.Tests.Keys;

public class KeyRecordTests
{
    private static readonly byte[] RecordKey = RandomNumberGenerator.GetBytes(32);

    private static (KeyRecord Record, byte[] Dek) Sample()
    {
        var dek = RandomNumberGenerator.GetBytes(32);
        using var kek = new SoftwareKek("env:TEST", RandomNumberGenerator.GetBytes(32));
        var (alg, wrapped) = kek.Wrap(dek);
        var now = DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_123);
        var r = new KeyRecord
        {
            Purpose = "clinic.Patient.ssn", Version = 7, State = KeyState.Deactivated, Created = now, Activated = now.AddDays(1),
            Deactivated = now.AddDays(90), UsageReserved = 65536, KekId = kek.Id, KekCheckValue = kek.CheckValue.ToArray(),
            WrapAlgorithm = alg, Wrapped = wrapped, Generation = 12,
        }.Seal(dek).Authenticated(RecordKey);
        return (r, dek);
    }

    [Fact]
    public void Binary_form_starts_with_format_version_and_round_trips()
    {
        var (r, dek) = Sample();
        var bytes = r.ToBytes();
        Assert.Equal(KeyRecord.FormatVersion, bytes[0]);
        var back = KeyRecord.Parse(bytes);
        Assert.Equal(bytes, back.ToBytes());
        Assert.True(back.VerifyMac(dek));
        Assert.Equal(r.Deactivated, back.Deactivated);
        Assert.Null(back.Compromised);
    }

    [Fact]
    public void Json_form_round_trips_and_the_mac_still_verifies()
    {
        var (r, dek) = Sample();
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms)) KeyringJson.WriteRecord(w, r);
        using var doc = JsonDocument.Parse(ms.ToArray());
        var back = KeyringJson.ReadRecord(doc.RootElement);
        Assert.Equal(r.ToBytes(), back.ToBytes());
        Assert.True(back.VerifyMac(dek));
        Assert.Equal("deactivated", doc.RootElement.GetProperty("state").GetString());
    }

    [Fact]
    public void Unknown_format_version_is_malformed()
    {
        var bytes = Sample().Record.ToBytes();
        bytes[0] = 1; // format 1, before the store MAC: refused, not misread
        var e = Assert.Throws<MalformedDataException>(() => KeyRecord.Parse(bytes));
        Assert.Contains("format 1", e.Message);
    }

    [Fact]
    public void Truncated_or_extended_records_are_malformed()
    {
        var bytes = Sample().Record.ToBytes();
        Assert.Throws<MalformedDataException>(() => KeyRecord.Parse(bytes[..^1]));
        Assert.Throws<MalformedDataException>(() => KeyRecord.Parse([.. bytes, 0]));
    }

    [Fact]
    public void Mac_binds_purpose_version_and_state()
    {
        var (r, dek) = Sample();
        Assert.False((r with { Version = 8 }).VerifyMac(dek));
        Assert.False((r with { Purpose = "files" }).VerifyMac(dek));
        Assert.False((r with { State = KeyState.Active }).VerifyMac(dek));
        Assert.False(r.VerifyMac(RandomNumberGenerator.GetBytes(32)));
    }

    [Fact]
    public void Store_mac_binds_state_usage_and_generation_and_needs_the_record_key()
    {
        var (r, _) = Sample();
        Assert.True(r.VerifyStoreMac(RecordKey));
        Assert.False((r with { State = KeyState.Active }).VerifyStoreMac(RecordKey));
        Assert.False((r with { UsageReserved = 0 }).VerifyStoreMac(RecordKey));
        Assert.False((r with { Generation = 11 }).VerifyStoreMac(RecordKey));
        Assert.False(r.VerifyStoreMac(RandomNumberGenerator.GetBytes(32)));
    }

    [Fact]
    public void Destroyed_record_keeps_no_key_bytes_but_is_authenticated()
    {
        var (r, _) = Sample();
        var d = r.WithState(KeyState.Destroyed, DateTimeOffset.UtcNow).Seal(default).Authenticated(RecordKey);
        Assert.Empty(d.Wrapped);
        Assert.Empty(d.Mac);
        Assert.Equal(WrapAlgorithm.None, d.WrapAlgorithm);
        Assert.Equal(d.ToBytes(), KeyRecord.Parse(d.ToBytes()).ToBytes());
        Assert.True(KeyRecord.Parse(d.ToBytes()).VerifyStoreMac(RecordKey));
        Assert.False((d with { State = KeyState.Compromised }).VerifyStoreMac(RecordKey));
    }

    [Fact]
    public void Tostring_names_the_key_but_not_its_bytes()
    {
        var (r, _) = Sample();
        var s = r.ToString();
        Assert.Contains("clinic.Patient.ssn/v7", s);
        Assert.DoesNotContain(Convert.ToBase64String(r.Wrapped), s);
    }

    [Fact]
    public void Key_check_value_is_the_pkcs11_one()
    {
        // CKA_CHECK_VALUE: first 3 bytes of AES-ECB(key, 0^16). FIPS-197 C.3 key 000102...1f encrypts
        // 00112233...ff to 8ea2b7ca...; for the zero block we check against the BCL directly.
        var key = Convert.FromHexString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
        using var aes = Aes.Create();
        aes.Key = key;
        var expected = aes.EncryptEcb(new byte[16], PaddingMode.None)[..3];
        Assert.Equal(expected, KeyCheckValue.Compute(key));
        Assert.Equal(3, KeyCheckValue.Compute(RandomNumberGenerator.GetBytes(32)).Length);
    }
}

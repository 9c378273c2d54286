using PhiCrypto.Fields;
using PhiCrypto.Primitives;

namespace PhiCrypto.Tests.Fields;

public class FieldBatchTests
{
    private static readonly byte[] Purpose = "clinic.Patient.ssn"u8.ToArray();

    [Theory]
    [InlineData(FieldMode.Randomized, 10)]
    [InlineData(FieldMode.Randomized, 10_000)]
    [InlineData(FieldMode.Deterministic, 10_000)]
    public void Batch_matches_single_calls(FieldMode mode, int count)
    {
        using var dek = SecretKey.Generate();
        using var key = FieldKey.Create(dek, 1);
        var values = Enumerable.Range(0, count).Select(i => System.Text.Encoding.ASCII.GetBytes($"SSN-{i:D9}" + new string('x', i % 7))).ToArray();
        var lengths = values.Select(v => v.Length).ToArray();
        var packed = values.SelectMany(v => v).ToArray();
        var envelopes = new byte[FieldBatch.GetEnvelopesLength(mode, 1, lengths)];
        var envLengths = new int[count];
        FieldBatch.Encrypt(key, mode, Purpose, packed, lengths, default, envelopes, envLengths);

        var plain = new byte[packed.Length];
        var plainLengths = new int[count];
        var statuses = new PhiStatus[count];
        FieldBatch.Decrypt(key, Purpose, envelopes, envLengths, default, plain, plainLengths, statuses);
        Assert.All(statuses, s => Assert.Equal(PhiStatus.Ok, s));
        Assert.Equal(packed, plain);
        Assert.Equal(lengths, plainLengths);

        // Each packed envelope decrypts alone, and deterministic ones equal the single-call result.
        int offset = 0;
        for (int i = 0; i < count; i += Math.Max(1, count / 50))
        {
            offset = envLengths.Take(i).Sum();
            var env = envelopes.AsSpan(offset, envLengths[i]);
            Assert.Equal(values[i], FieldEnvelope.Decrypt(key, "clinic.Patient.ssn", env));
            if (mode == FieldMode.Deterministic)
                Assert.Equal(FieldEnvelope.Encrypt(key, mode, "clinic.Patient.ssn", values[i]), env.ToArray());
        }
    }

    [Fact]
    public void One_bad_item_does_not_hide_the_others()
    {
        using var dek = SecretKey.Generate();
        using var key = FieldKey.Create(dek, 1);
        var a = FieldEnvelope.Encrypt(key, FieldMode.Randomized, "clinic.Patient.ssn", "aaa"u8);
        var b = FieldEnvelope.Encrypt(key, FieldMode.Randomized, "clinic.Patient.ssn", "bbb"u8);
        b[^1] ^= 1;
        using var v9 = FieldKey.Create(dek, 9);
        var c = FieldEnvelope.Encrypt(v9, FieldMode.Randomized, "clinic.Patient.ssn", "ccc"u8);
        var d = new byte[] { 0x00, 1, 2 };
        byte[] packed = [.. a, .. b, .. c, .. d];
        int[] lengths = [a.Length, b.Length, c.Length, d.Length];
        var plainLengths = new int[4];
        var statuses = new PhiStatus[4];
        var plain = new byte[FieldBatch.GetPlaintextsLength(packed, lengths, plainLengths, statuses)];
        FieldBatch.Decrypt(key, Purpose, packed, lengths, default, plain, plainLengths, statuses);
        Assert.Equal([PhiStatus.Ok, PhiStatus.AuthenticationFailed, PhiStatus.KeyNotFound, PhiStatus.MalformedData], statuses);
        Assert.Equal("aaa"u8.ToArray(), plain.AsSpan(0, 3).ToArray());
        Assert.All(plain.AsSpan(3).ToArray(), x => Assert.Equal(0, x));
    }

    [Fact]
    public void Lengths_that_do_not_add_up_are_refused()
    {
        using var dek = SecretKey.Generate();
        using var key = FieldKey.Create(dek, 1);
        Assert.Throws<ArgumentException>(() =>
            FieldBatch.Encrypt(key, FieldMode.Randomized, Purpose, new byte[10], [4, 4], default, new byte[8 + 58], new int[2]));
    }
}

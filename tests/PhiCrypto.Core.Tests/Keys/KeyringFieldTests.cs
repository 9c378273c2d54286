using System.Text;
using PhiCrypto.Fields;
using PhiCrypto.Keys;

namespace PhiCrypto.Core.Tests.Keys;

public class KeyringFieldTests
{
    private const string Ssn = "clinic.Patient.ssn";
    private static readonly byte[] Value = "123-45-6789"u8.ToArray();

    [Theory]
    [InlineData(FieldMode.Randomized)]
    [InlineData(FieldMode.Deterministic)]
    public void Encrypts_under_the_active_version_and_decrypts_after_rotation(FieldMode mode)
    {
        using var t = new TempKeyring();
        using var k = t.Init(Ssn);
        var e1 = k.EncryptField(Ssn, mode, Value, "row 7"u8);
        Assert.Equal(1u, FieldEnvelope.ReadHeader(e1).KeyVersion);
        k.Rotate(Ssn);
        var e2 = k.EncryptField(Ssn, mode, Value, "row 7"u8);
        Assert.Equal(2u, FieldEnvelope.ReadHeader(e2).KeyVersion);
        Assert.Equal(Value, k.DecryptField(Ssn, e1, "row 7"u8));
        Assert.Equal(Value, k.DecryptField(Ssn, e2, "row 7"u8));
        Assert.Throws<AuthenticationFailedException>(() => k.DecryptField(Ssn, e1, "row 8"u8));
    }

    [Fact]
    public void Span_api_writes_exact_envelope_and_reports_its_length()
    {
        using var t = new TempKeyring();
        using var k = t.Init(Ssn);
        var buffer = new byte[Keyring.MaxFieldEnvelopeLength(FieldMode.Randomized, Value.Length)];
        int n = k.EncryptField(Ssn, FieldMode.Randomized, Value, default, buffer);
        Assert.Equal(FieldEnvelope.GetEnvelopeLength(FieldMode.Randomized, 1, Value.Length), n);
        var plain = new byte[Value.Length];
        k.DecryptField(Ssn, buffer.AsSpan(0, n), default, plain);
        Assert.Equal(Value, plain);
    }

    [Fact]
    public void Envelope_of_another_purpose_does_not_decrypt_here()
    {
        using var t = new TempKeyring();
        using var k = t.Init(Ssn, "clinic.Patient.mrn");
        var e = k.EncryptField(Ssn, FieldMode.Deterministic, Value);
        Assert.ThrowsAny<PhiCryptoException>(() => k.DecryptField("clinic.Patient.mrn", e));
    }

    [Fact]
    public void Search_returns_the_value_under_every_version_that_can_decrypt()
    {
        using var t = new TempKeyring();
        using var k = t.Init(Ssn);
        var old = k.EncryptField(Ssn, FieldMode.Deterministic, Value);
        k.Rotate(Ssn);
        k.Rotate(Ssn);
        k.SetState(Ssn, 2, KeyState.Compromised);
        var found = k.SearchCiphertexts(Ssn, Value);
        Assert.Equal([3u, 1u], found.Select(e => FieldEnvelope.ReadHeader(e).KeyVersion));
        Assert.Contains(found, e => e.AsSpan().SequenceEqual(old));
    }

    [Fact]
    public void Destroyed_and_unknown_versions_do_not_decrypt()
    {
        using var t = new TempKeyring();
        using var k = t.Init(Ssn);
        var e1 = k.EncryptField(Ssn, FieldMode.Randomized, Value);
        k.Rotate(Ssn);
        k.SetState(Ssn, 1, KeyState.Destroyed, force: true);
        var ex = Assert.Throws<KeyNotAvailableException>(() => k.DecryptField(Ssn, e1));
        Assert.Contains("destroyed", ex.Message);
        var forged = k.EncryptField(Ssn, FieldMode.Randomized, Value);
        forged[0] = (byte)((forged[0] & ~0x1F) | 9); // header names version 9
        Assert.Throws<KeyNotAvailableException>(() => k.DecryptField(Ssn, forged));
    }

    [Fact]
    public void Another_process_rotation_is_picked_up_on_decrypt()
    {
        using var t = new TempKeyring();
        using var reader = t.Init(Ssn);
        byte[] e2;
        using (var writer = t.Open()) { writer.Rotate(Ssn); e2 = writer.EncryptField(Ssn, FieldMode.Randomized, Value); }
        Assert.Equal(Value, reader.DecryptField(Ssn, e2));
    }

    [Fact]
    public void Usage_is_reserved_in_the_store_and_survives_restarts()
    {
        using var t = new TempKeyring();
        t.Init(Ssn).Dispose();
        var options = new KeyringOptions { UsageLimit = 1000, UsageReservationBlock = 100, UsagePolicy = UsageLimitPolicy.Refuse };
        using (var k = t.Open(options))
            for (int i = 0; i < 150; i++) k.EncryptField(Ssn, FieldMode.Randomized, Value);
        using (var k = t.Open(options))
        {
            Assert.Equal(200ul, k.ActiveVersion(Ssn)!.UsageReserved);
            k.EncryptField(Ssn, FieldMode.Randomized, Value); // a new process reserves a new block
            Assert.Equal(300ul, k.ActiveVersion(Ssn)!.UsageReserved);
            for (int i = 0; i < 10; i++) k.EncryptField(Ssn, FieldMode.Deterministic, Value); // not counted
            Assert.Equal(300ul, k.ActiveVersion(Ssn)!.UsageReserved);
            Assert.Contains(k.AuditTrail, a => a.Kind == AuditKind.UsageReserve);
        }
    }

    [Fact]
    public void Usage_limit_refuses_under_the_refuse_policy()
    {
        using var t = new TempKeyring();
        t.Init(Ssn).Dispose();
        using var k = t.Open(new KeyringOptions { UsageLimit = 50, UsageReservationBlock = 20, UsagePolicy = UsageLimitPolicy.Refuse });
        for (int i = 0; i < 50; i++) k.EncryptField(Ssn, FieldMode.Randomized, Value);
        var e = Assert.Throws<PolicyViolationException>(() => k.EncryptField(Ssn, FieldMode.Randomized, Value));
        Assert.Contains("usage limit", e.Message);
        Assert.Equal(50ul, k.ActiveVersion(Ssn)!.UsageReserved);
    }

    [Fact]
    public void Batches_are_reserved_like_that_many_single_encryptions()
    {
        using var t = new TempKeyring();
        t.Init(Ssn).Dispose();
        using var k = t.Open(new KeyringOptions { UsageLimit = 1000, UsageReservationBlock = 100, UsagePolicy = UsageLimitPolicy.Refuse });
        k.ReserveFieldKey(Ssn, FieldMode.Randomized, 250);               // more than a block: one grant of 250
        Assert.Equal(250ul, k.ActiveVersion(Ssn)!.UsageReserved);
        k.ReserveFieldKey(Ssn, FieldMode.Deterministic, 10_000);         // deterministic: not counted
        Assert.Equal(250ul, k.ActiveVersion(Ssn)!.UsageReserved);
        k.ReserveFieldKey(Ssn, FieldMode.Randomized, 700);
        Assert.Equal(950ul, k.ActiveVersion(Ssn)!.UsageReserved);
        Assert.Throws<PolicyViolationException>(() => k.ReserveFieldKey(Ssn, FieldMode.Randomized, 51));
        k.ReserveFieldKey(Ssn, FieldMode.Randomized, 50);                // exactly the rest
        Assert.Equal(1000ul, k.ActiveVersion(Ssn)!.UsageReserved);
    }

    [Fact]
    public void Usage_limit_rotates_under_the_rotate_policy()
    {
        using var t = new TempKeyring();
        t.Init(Ssn).Dispose();
        using var k = t.Open(new KeyringOptions { UsageLimit = 30, UsageReservationBlock = 8 });
        var envelopes = Enumerable.Range(0, 70).Select(_ => k.EncryptField(Ssn, FieldMode.Randomized, Value)).ToList();
        Assert.Equal(3u, k.ActiveVersion(Ssn)!.Version);
        Assert.Equal(30, envelopes.Count(e => FieldEnvelope.ReadHeader(e).KeyVersion == 1));
        Assert.All(envelopes, e => Assert.Equal(Value, k.DecryptField(Ssn, e)));
    }

    [Fact]
    public void Concurrent_encrypt_and_decrypt_survive_rotations_and_rewrap()
    {
        using var t = new TempKeyring();
        using var k = t.Init(Ssn);
        using var stop = new CancellationTokenSource();
        long ops = 0;
        var workers = Enumerable.Range(0, 3).Select(i => Task.Run(() =>
        {
            var ad = Encoding.UTF8.GetBytes($"worker {i}");
            long n = 0;
            while (!stop.IsCancellationRequested)
            {
                var e = k.EncryptField(Ssn, n % 2 == 0 ? FieldMode.Randomized : FieldMode.Deterministic, Value, ad);
                if (!k.DecryptField(Ssn, e, ad).AsSpan().SequenceEqual(Value)) throw new InvalidOperationException("round trip failed");
                n++;
                Interlocked.Increment(ref ops);
            }
            return n;
        })).ToArray();
        for (int i = 0; i < 4; i++) { Progress.WaitFor(ref ops, 50); k.Rotate(Ssn); }
        Progress.WaitFor(ref ops, 50);
        k.Rewrap(TempKeyring.OtherKek());
        Progress.WaitFor(ref ops, 50);
        k.Rotate(Ssn);
        Progress.WaitFor(ref ops, 50);
        stop.Cancel();
        Assert.True(workers.Sum(w => w.Result) >= 350);
        Assert.Equal(6u, k.ActiveVersion(Ssn)!.Version);
    }

    [Fact]
    public void Batch_resolver_finds_decryptable_versions_only()
    {
        using var t = new TempKeyring();
        using var k = t.Init(Ssn);
        k.Rotate(Ssn);
        var r = k.GetFieldKeyResolver(Ssn);
        Assert.NotNull(r.FindFieldKey(1));
        Assert.NotNull(r.FindFieldKey(2));
        Assert.Null(r.FindFieldKey(3));
        Assert.Equal(2u, k.ReserveFieldKey(Ssn, FieldMode.Deterministic, 10).Version);
    }
}

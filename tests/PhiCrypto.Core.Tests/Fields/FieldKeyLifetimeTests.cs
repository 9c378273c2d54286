// A key disposed while a batch runs under it (issue 12, section 1): a snapshot swap after another
// process destroyed the version, a keyring disposed, a C host freeing a key while another thread
// encrypts. The batch must either finish under the real key or fail cleanly before writing anything;
// on the old code the round keys were zeroed mid-batch and the rest of the batch was encrypted under
// a public permutation (envelopes the real key does not decrypt).
using System.Security.Cryptography;
using PhiCrypto.Core.Tests.Keys;
using PhiCrypto.Fields;
using PhiCrypto.Keys;

namespace PhiCrypto.Core.Tests.Fields;

public class FieldKeyLifetimeTests
{
    private const int Count = 10_000;
    private static readonly byte[] Purpose = "clinic.Patient.ssn"u8.ToArray();

    [Fact]
    public void Dispose_raced_against_a_deterministic_batch_never_yields_a_bad_envelope()
    {
        var dek = RandomNumberGenerator.GetBytes(32);
        using var real = FieldKey.Create(dek, 1);
        var batch = new Batch();
        int completed = 0, refused = 0;
        for (int i = 0; i < 60; i++)
        {
            var key = FieldKey.Create(dek, 1);
            var outcome = RaceDispose(batch, key, () => key.Dispose(), delayTicks: Random.Shared.Next(0, 40_000));
            if (outcome) { batch.AssertAllDecrypt(real); completed++; } else { batch.AssertUntouched(); refused++; }
        }
        Assert.Equal(60, completed + refused);
    }

    [Fact]
    public void Destroy_and_reload_raced_against_a_deterministic_batch_never_yields_a_bad_envelope()
    {
        using var t = new TempKeyring();
        using (t.Init("clinic.Patient.ssn")) { }
        var batch = new Batch();
        for (int i = 0; i < 15; i++)
        {
            using var here = t.Open();
            using var elsewhere = t.Open(); // another process sharing the store
            uint version = here.ActiveVersion("clinic.Patient.ssn")!.Version;
            using var realDek = here.GetDecryptionKey("clinic.Patient.ssn", version);
            using var real = FieldKey.Create(realDek, version);
            var key = here.ReserveFieldKey("clinic.Patient.ssn", FieldMode.Deterministic, Count);
            elsewhere.Rotate("clinic.Patient.ssn");
            elsewhere.SetState("clinic.Patient.ssn", version, KeyState.Destroyed, force: true);
            if (RaceDispose(batch, key, here.Reload, delayTicks: Random.Shared.Next(0, 40_000))) batch.AssertAllDecrypt(real);
            else batch.AssertUntouched();
        }
    }

    /// <summary>Runs the batch on one thread and <paramref name="dispose"/> on another after a short
    /// random delay. True when the batch completed, false when it refused with ObjectDisposedException.</summary>
    private static bool RaceDispose(Batch batch, FieldKey key, Action dispose, int delayTicks)
    {
        batch.Reset();
        using var started = new ManualResetEventSlim();
        var run = Task.Run(() =>
        {
            started.Set();
            try { batch.Encrypt(key); return true; }
            catch (ObjectDisposedException) { return false; }
        });
        started.Wait();
        var until = System.Diagnostics.Stopwatch.GetTimestamp() + delayTicks;
        while (System.Diagnostics.Stopwatch.GetTimestamp() < until) Thread.SpinWait(10);
        dispose();
        return run.GetAwaiter().GetResult();
    }

    private sealed class Batch
    {
        private readonly byte[] _values;
        private readonly int[] _lengths = Enumerable.Repeat(13, Count).ToArray();
        private readonly byte[] _envelopes;
        private readonly int[] _envelopeLengths = new int[Count];

        public Batch()
        {
            _values = Enumerable.Range(0, Count).SelectMany(i => System.Text.Encoding.ASCII.GetBytes($"SSN-{i:D9}")).ToArray();
            _envelopes = new byte[FieldBatch.GetEnvelopesLength(FieldMode.Deterministic, 1, _lengths)];
        }

        public void Reset() => Array.Clear(_envelopes);

        public void Encrypt(FieldKey key) =>
            FieldBatch.Encrypt(key, FieldMode.Deterministic, Purpose, _values, _lengths, default, _envelopes, _envelopeLengths);

        public void AssertAllDecrypt(FieldKey real)
        {
            var plain = new byte[_values.Length];
            var statuses = new PhiStatus[Count];
            FieldBatch.Decrypt(real, Purpose, _envelopes, _envelopeLengths, default, plain, new int[Count], statuses);
            Assert.All(statuses, s => Assert.Equal(PhiStatus.Ok, s));
            Assert.Equal(_values, plain);
        }

        public void AssertUntouched() => Assert.All(_envelopes, b => Assert.Equal(0, b));
    }
}

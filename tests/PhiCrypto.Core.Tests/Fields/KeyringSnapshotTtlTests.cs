// A keyring's snapshot ages out (issue 12, section 4): another process rotates or compromises the
// active version; within SnapshotTtl (default 60 s) this process reloads before it chooses the version
// to encrypt under, so it stops writing under a version whose stored state changed.
using PhiCrypto.Core.Tests.Keys;
using PhiCrypto.Fields;
using PhiCrypto.Keys;

namespace PhiCrypto.Core.Tests.Fields;

public class KeyringSnapshotTtlTests
{
    private const string Purpose = "clinic.Patient.ssn";

    [Fact]
    public void A_rotation_elsewhere_is_picked_up_once_the_snapshot_is_older_than_the_ttl()
    {
        using var t = new TempKeyring();
        using (t.Init(Purpose)) { }
        var clock = new ManualClock();
        using var here = t.Open(new KeyringOptions { Time = clock });
        using var elsewhere = t.Open();
        Assert.Equal(1u, VersionOf(here.EncryptField(Purpose, FieldMode.Deterministic, "x"u8)));

        elsewhere.Rotate(Purpose);
        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(1u, VersionOf(here.EncryptField(Purpose, FieldMode.Deterministic, "x"u8))); // within the TTL
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(2u, VersionOf(here.EncryptField(Purpose, FieldMode.Deterministic, "x"u8)));
    }

    [Fact]
    public void A_version_compromised_elsewhere_stops_encrypting_here_after_the_ttl()
    {
        using var t = new TempKeyring();
        using (t.Init(Purpose)) { }
        var clock = new ManualClock();
        using var here = t.Open(new KeyringOptions { Time = clock });
        using var elsewhere = t.Open();
        here.EncryptField(Purpose, FieldMode.Randomized, "x"u8);
        elsewhere.SetState(Purpose, 1, KeyState.Compromised);
        clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Throws<KeyNotAvailableException>(() => here.EncryptField(Purpose, FieldMode.Deterministic, "x"u8));
        Assert.Throws<KeyNotAvailableException>(() => here.ReserveFieldKey(Purpose, FieldMode.Deterministic, 10));
    }

    [Fact]
    public void A_zero_ttl_never_reloads_on_its_own()
    {
        using var t = new TempKeyring();
        using (t.Init(Purpose)) { }
        var clock = new ManualClock();
        using var here = t.Open(new KeyringOptions { Time = clock, SnapshotTtl = TimeSpan.Zero });
        using var elsewhere = t.Open();
        elsewhere.Rotate(Purpose);
        clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(1u, VersionOf(here.EncryptField(Purpose, FieldMode.Deterministic, "x"u8)));
    }

    private static uint VersionOf(byte[] envelope) => FieldEnvelope.ReadHeader(envelope).KeyVersion;

    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;
        private DateTimeOffset _now = DateTimeOffset.UtcNow;
        public void Advance(TimeSpan by) { _ticks += by.Ticks; _now += by; }
        public override DateTimeOffset GetUtcNow() => _now;
        public override long GetTimestamp() => _ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
    }
}

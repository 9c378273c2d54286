// The attacks of issue 11 section 2, performed by someone who can write the key store but does not hold
// the KEK: replay, state change, usage reset, audit truncation and re-hashing. One suite, run by every
// store (JSON file in PhiCrypto.Core.Tests, PostgreSQL in PhiCrypto.Postgres.Tests): a subclass says how
// to make a store and how the attacker overwrites its raw contents.
using System.Security.Cryptography;
using PhiCrypto.Fields;
using PhiCrypto.Keys;

namespace PhiCrypto.Keys.Conformance;

public abstract class StoreWriterAttacks
{
    private readonly byte[] _kek = RandomNumberGenerator.GetBytes(32);

    /// <summary>A new, empty store of the kind under test (each call: another handle on the same store).</summary>
    protected abstract IKeyStore Store();

    /// <summary>The attacker: replaces everything in the store with <paramref name="contents"/>, no KEK needed.</summary>
    protected abstract void Overwrite(KeyStoreContents contents);

    private SoftwareKek Kek() => new("env:TEST", _kek);

    private Keyring Create(params string[] purposes) => Keyring.Create(Store(), Kek(), new KeyringOptions { DisposeStore = true }, purposes);

    private Keyring Open(KeyringOptions? options = null) => Keyring.Open(Store(), Kek(), (options ?? new KeyringOptions()) with { DisposeStore = true });

    private KeyStoreContents Raw()
    {
        using var s = Store();
        return s.Load();
    }

    private static KeyStoreContents With(KeyStoreContents c, IEnumerable<KeyRecord> records, IReadOnlyList<AuditEvent>? audit = null) =>
        new(c.Settings, [.. records.OrderBy(r => r.Purpose, StringComparer.Ordinal).ThenBy(r => r.Version)], audit ?? [.. c.Audit]);

    /// <summary>(a) An old "active" record replayed over the version marked compromised, its successor deleted.</summary>
    [Fact]
    public void Replaying_an_active_record_over_a_compromised_version_is_refused()
    {
        using (var k = Create("files")) { }
        var activeV1 = Raw().Records.Single();
        using (var k = Open())
        {
            k.Rotate("files");
            k.SetState("files", 1, KeyState.Compromised, reason: "laptop lost");
        }
        var now = Raw();
        Overwrite(With(now, [activeV1]));
        var e = Assert.ThrowsAny<PhiCryptoException>(() => Open().Dispose());
        Assert.Contains("files/v", e.Message);
    }

    /// <summary>(b) An older usage reservation replayed, resetting the GCM invocation count.</summary>
    [Fact]
    public void Replaying_an_older_usage_reservation_is_refused()
    {
        var options = new KeyringOptions { UsageReservationBlock = 10 };
        using (var k = Create("files")) { }
        using (var k = Open(options)) for (int i = 0; i < 5; i++) k.EncryptField("files", FieldMode.Randomized, "x"u8);
        var early = Raw().Records.Single();
        using (var k = Open(options)) for (int i = 0; i < 25; i++) k.EncryptField("files", FieldMode.Randomized, "x"u8);
        var now = Raw();
        Assert.True(now.Records.Single().UsageReserved > early.UsageReserved);
        Overwrite(With(now, [early]));
        var e = Assert.ThrowsAny<PhiCryptoException>(() => Open().Dispose());
        Assert.Contains("files/v1", e.Message);
    }

    /// <summary>(c) A record set to destroyed by the attacker: a tombstone forged without the KEK.</summary>
    [Fact]
    public void Forged_tombstone_is_refused()
    {
        using (var k = Create("files", "backups")) { }
        var now = Raw();
        var victim = now.Records.Single(r => r.Purpose == "backups");
        var tombstone = victim.WithState(KeyState.Destroyed, DateTimeOffset.UtcNow).Seal(default);
        Overwrite(With(now, now.Records.Select(r => r == victim ? tombstone : r)));
        var e = Assert.ThrowsAny<PhiCryptoException>(() => Open().Dispose());
        Assert.Contains("backups/v1", e.Message);
    }

    /// <summary>(d) The audit chain cut back to an earlier head, records left as they are.</summary>
    [Fact]
    public void Truncated_audit_chain_is_refused()
    {
        using (var k = Create("files")) { k.Rotate("files"); k.SetState("files", 1, KeyState.Compromised); }
        var now = Raw();
        Overwrite(With(now, now.Records, [.. now.Audit.Take(now.Audit.Count - 1)]));
        Assert.ThrowsAny<PhiCryptoException>(() => Open().Dispose());
    }

    /// <summary>(d) An event edited and the chain re-hashed with SHA-256, as anyone could without a key.</summary>
    [Fact]
    public void Rewritten_and_rehashed_audit_chain_is_refused()
    {
        using (var k = Create("files")) { k.Rotate("files"); k.SetState("files", 1, KeyState.Compromised, reason: "laptop lost"); }
        var now = Raw();
        var edited = now.Audit.Select(a => a.Detail == "laptop lost" ? a with { Detail = "routine" } : a).ToList();
        var prev = new byte[AuditEvent.HashSize];
        for (int i = 0; i < edited.Count; i++)
        {
            var e = edited[i] with { PreviousHash = prev };
            edited[i] = e with { Hash = SHA256.HashData(e.ToBytes()) };
            prev = edited[i].Hash;
        }
        Overwrite(With(now, now.Records, edited));
        Assert.ThrowsAny<PhiCryptoException>(() => Open().Dispose());
    }

    /// <summary>What remains without an outside anchor: the whole store rolled back consistently opens,
    /// and the head recorded elsewhere (phicrypt keys audit --head) is what tells.</summary>
    [Fact]
    public void Consistent_rollback_of_the_whole_store_is_caught_by_the_outside_anchor()
    {
        using (var k = Create("files")) { }
        var before = Raw();
        string anchor;
        using (var k = Open())
        {
            k.Rotate("files");
            k.SetState("files", 1, KeyState.Compromised);
            anchor = k.AuditHead.ToString();
        }
        Overwrite(before);
        using var rolledBack = Open();
        Assert.Equal(1u, rolledBack.ActiveVersion("files")!.Version);
        var e = Assert.Throws<KeyringIntegrityException>(() => rolledBack.CheckAuditHead(AuditHead.Parse(anchor)));
        Assert.Contains("rolled back", e.Message);
    }

    [Fact]
    public void Untouched_store_opens_and_its_head_matches_the_anchor()
    {
        string anchor;
        using (var k = Create("files")) { k.Rotate("files"); anchor = k.AuditHead.ToString(); }
        using var again = Open();
        again.CheckAuditHead(AuditHead.Parse(anchor));
        Assert.True(again.VerifyAudit().IsValid);
    }
}

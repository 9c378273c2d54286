// What every key store must do (IKeyStore), one suite run by each: the JSON file store in
// PhiCrypto.Core.Tests, the PostgreSQL store in PhiCrypto.Postgres.Tests. A subclass says only how to
// open a handle on one new store; everything here goes through IKeyStore and the keyring above it.
//
// The reference is KeyStoreContents.Apply: a store's Load after a commit must equal the contents before
// it with the commit applied, byte for byte; a commit whose audit head is stale, that inserts an existing
// (purpose, version) or updates a missing one is refused whole; concurrent writers never both succeed
// from one state; an empty store loads as empty; a record altered in the store fails its MAC on open.
using System.Security.Cryptography;
using PhiCrypto.Keys;

namespace PhiCrypto.Keys.Conformance;

public abstract class StoreConformance
{
    private readonly byte[] _kek = RandomNumberGenerator.GetBytes(32);

    /// <summary>A handle on the store under test: the same (initially empty) store at every call.</summary>
    protected abstract IKeyStore Store();

    private SoftwareKek Kek() => new("env:TEST", _kek);

    private Keyring Create(IKeyStore store, params string[] purposes) => Keyring.Create(store, Kek(), new KeyringOptions { DisposeStore = true }, purposes);

    private Keyring Open(IKeyStore? store = null) => Keyring.Open(store ?? Store(), Kek(), new KeyringOptions { DisposeStore = true });

    private KeyStoreContents Load()
    {
        using var s = Store();
        return s.Load();
    }

    [Fact]
    public void Empty_store_loads_as_empty_and_holds_no_keyring()
    {
        var empty = Load();
        Assert.True(empty.IsEmpty);
        Assert.Equal(0, empty.AuditHead);
        Assert.Empty(empty.Settings);
        Assert.Throws<KeyringNotFoundException>(() => Open().Dispose());
        Assert.True(Load().IsEmpty); // opening did not start one
    }

    [Fact]
    public void Every_commit_round_trips_as_the_reference_semantics_say()
    {
        var store = new RecordingStore(Store());
        using (var k = Create(store, "files", "clinic.Patient.ssn"))
        {
            k.Rotate("files");
            k.SetState("files", 1, KeyState.Compromised, reason: "laptop lost");
            k.Rewrap(new SoftwareKek("env:TEST", _kek));
        }
        Assert.True(store.Steps.Count >= 4);
        foreach (var (before, commit, after) in store.Steps)
            AssertSame(before.Apply(commit), after);
        AssertSame(store.Steps[^1].After, Load()); // another handle reads the same bytes
        using var reopened = Open();
        Assert.True(reopened.VerifyAudit().IsValid);
        Assert.Equal(KeyState.Compromised, reopened.Versions("files").Single(r => r.Version == 1).State);
    }

    [Fact]
    public void A_stale_audit_head_is_a_conflict_and_changes_nothing()
    {
        var store = new RecordingStore(Store());
        using (var k = Create(store, "files")) k.Rotate("files");
        var (_, first, _) = store.Steps[0];
        var now = Load();
        using (var s = Store()) Assert.Throws<KeyStoreConflictException>(() => s.Commit(first)); // replayed
        AssertSame(now, Load());
    }

    [Fact]
    public void Inserting_an_existing_version_or_updating_a_missing_one_is_a_conflict_and_changes_nothing()
    {
        using (var k = Create(Store(), "files")) { }
        var now = Load();
        var existing = now.Records.Single();
        var next = new KeyStoreCommit { ExpectedAuditHead = now.AuditHead, Audit = [Event(now, 1)] };
        using (var s = Store())
        {
            Assert.Throws<KeyStoreConflictException>(() => s.Commit(next with { Inserts = [existing with { UsageReserved = 7 }] }));
            Assert.Throws<KeyStoreConflictException>(() => s.Commit(next with { Updates = [existing with { Version = 9 }] }));
        }
        AssertSame(now, Load());
    }

    [Fact]
    public void Of_writers_committing_from_one_state_exactly_one_succeeds()
    {
        using (var k = Create(Store(), "files")) { }
        var start = Load();
        const int writers = 4;
        using var go = new Barrier(writers);
        var results = Enumerable.Range(0, writers).AsParallel().WithDegreeOfParallelism(writers).Select(i =>
        {
            using var s = Store();
            var commit = new KeyStoreCommit
            {
                ExpectedAuditHead = start.AuditHead,
                Audit = [Event(start, 1, $"writer {i}")],
                Settings = new Dictionary<string, string> { ["test.writer"] = $"{i}" },
            };
            go.SignalAndWait();
            try { s.Commit(commit); return i; }
            catch (KeyStoreConflictException) { return -1; }
        }).ToList();
        int winner = Assert.Single(results, r => r >= 0);
        var end = Load();
        Assert.Equal(start.AuditHead + 1, end.AuditHead);
        Assert.Equal($"writer {winner}", end.Audit[^1].Detail);
        Assert.Equal($"{winner}", end.Settings["test.writer"]);
    }

    [Fact]
    public void Keyrings_rotating_at_once_through_their_own_handles_keep_one_consistent_chain()
    {
        string[] purposes = ["a", "b", "c"];
        using (var k = Create(Store(), purposes)) { }
        const int rotations = 3;
        Parallel.ForEach(purposes, new ParallelOptions { MaxDegreeOfParallelism = purposes.Length }, p =>
        {
            using var k = Open();
            for (int i = 0; i < rotations; i++) k.Rotate(p);
        });
        using var check = Open();
        Assert.True(check.VerifyAudit().IsValid);
        foreach (var p in purposes)
        {
            Assert.Equal(Enumerable.Range(1, rotations + 1).Select(v => (uint)v), check.Versions(p).Select(r => r.Version));
            Assert.Equal((uint)(rotations + 1), check.ActiveVersion(p)!.Version);
        }
    }

    /// <summary>A writer between the keyring and the store flips one bit of a record's wrapped DEK in a
    /// genuine commit (its audit events stay intact): the next open refuses that record.</summary>
    [Fact]
    public void A_record_altered_on_its_way_to_the_store_fails_its_mac_on_open()
    {
        using (var k = Create(Store(), "files")) { }
        var tampering = new RecordingStore(Store(), commit => commit with { Updates = [.. commit.Updates.Select(Flipped)] });
        using (var k = Keyring.Open(tampering, Kek(), new KeyringOptions { DisposeStore = true })) k.Rotate("files"); // updates v1: deactivated
        Assert.Single(tampering.Steps[0].Commit.Updates);
        var e = Assert.ThrowsAny<PhiCryptoException>(() => Open().Dispose());
        Assert.Contains("files/v1", e.Message);
    }

    private static KeyRecord Flipped(KeyRecord r)
    {
        var wrapped = r.Wrapped.ToArray();
        wrapped[^1] ^= 1;
        return r with { Wrapped = wrapped };
    }

    /// <summary>An audit event numbered to follow <paramref name="c"/>'s head by <paramref name="offset"/>.</summary>
    private static AuditEvent Event(KeyStoreContents c, int offset, string detail = "conformance") =>
        c.Audit[^1] with { Sequence = c.AuditHead + offset, Detail = detail };

    private static void AssertSame(KeyStoreContents expected, KeyStoreContents actual)
    {
        Assert.Equal(expected.Settings.OrderBy(kv => kv.Key), actual.Settings.OrderBy(kv => kv.Key));
        Assert.Equal(expected.Records.Select(r => Convert.ToHexString(r.ToBytes())), actual.Records.Select(r => Convert.ToHexString(r.ToBytes())));
        Assert.Equal(expected.Audit.Select(a => (a.Sequence, Convert.ToHexString(a.ToBytes()), Convert.ToHexString(a.Hash))),
                     actual.Audit.Select(a => (a.Sequence, Convert.ToHexString(a.ToBytes()), Convert.ToHexString(a.Hash))));
    }

    /// <summary>Passes everything to the store under test (each commit altered first when asked) and keeps
    /// (contents before, commit, contents after) of each commit.</summary>
    private sealed class RecordingStore(IKeyStore inner, Func<KeyStoreCommit, KeyStoreCommit>? alter = null) : IKeyStore
    {
        public List<(KeyStoreContents Before, KeyStoreCommit Commit, KeyStoreContents After)> Steps { get; } = [];

        public string Location => inner.Location;

        public KeyStoreContents Load() => inner.Load();

        public void Commit(KeyStoreCommit commit)
        {
            var before = inner.Load();
            commit = alter?.Invoke(commit) ?? commit;
            inner.Commit(commit);
            Steps.Add((before, commit, inner.Load()));
        }

        public void Dispose() => inner.Dispose();
    }
}

// The keyring persists nothing itself: a host gives it an IKeyStore. A store keeps three things:
// key records (unique by purpose + version), the audit chain (unique by sequence) and a few settings.
// Every change is one atomic commit that is conditional on the audit head the writer last saw, so two
// writers never both succeed from the same state: the loser gets KeyStoreConflictException, reloads
// and decides again (this is how two processes rotating at once make one new version).
namespace PhiCrypto.Keys;

public interface IKeyStore : IDisposable
{
    /// <summary>Where the store is, for messages. Carries no password.</summary>
    string Location { get; }

    /// <summary>Everything in the store; an empty result when it does not exist yet.</summary>
    KeyStoreContents Load();

    /// <summary>Applies <paramref name="commit"/> atomically, or throws <see cref="KeyStoreConflictException"/>
    /// when the audit head is no longer <see cref="KeyStoreCommit.ExpectedAuditHead"/> or an inserted
    /// (purpose, version) already exists. Nothing is applied on failure.</summary>
    void Commit(KeyStoreCommit commit);
}

public sealed record KeyStoreContents(
    IReadOnlyDictionary<string, string> Settings,
    IReadOnlyList<KeyRecord> Records,
    IReadOnlyList<AuditEvent> Audit)
{
    public static KeyStoreContents Empty { get; } = new(new Dictionary<string, string>(), [], []);

    public bool IsEmpty => Records.Count == 0 && Audit.Count == 0;

    /// <summary>Sequence of the last audit event, 0 for none.</summary>
    public long AuditHead => Audit.Count == 0 ? 0 : Audit[^1].Sequence;

    /// <summary>These contents after <paramref name="commit"/>, or a conflict: the reference semantics every store follows.</summary>
    public KeyStoreContents Apply(KeyStoreCommit commit)
    {
        if (AuditHead != commit.ExpectedAuditHead)
            throw new KeyStoreConflictException($"the keyring changed since it was read (audit head {AuditHead}, expected {commit.ExpectedAuditHead})");
        var records = Records.ToDictionary(r => (r.Purpose, r.Version));
        foreach (var r in commit.Inserts)
            if (!records.TryAdd((r.Purpose, r.Version), r)) throw new KeyStoreConflictException($"key {r.KeyName} already exists");
        foreach (var r in commit.Updates)
        {
            if (!records.ContainsKey((r.Purpose, r.Version))) throw new KeyStoreConflictException($"key {r.KeyName} does not exist");
            records[(r.Purpose, r.Version)] = r;
        }
        var settings = new Dictionary<string, string>(Settings);
        foreach (var (k, v) in commit.Settings) settings[k] = v;
        var ordered = records.Values.OrderBy(r => r.Purpose, StringComparer.Ordinal).ThenBy(r => r.Version).ToList();
        return new KeyStoreContents(settings, ordered, [.. Audit, .. commit.Audit]);
    }
}

public sealed record KeyStoreCommit
{
    /// <summary>The audit sequence the writer saw last; the commit fails if the store has moved on.</summary>
    public required long ExpectedAuditHead { get; init; }
    /// <summary>New versions; the commit fails if one exists.</summary>
    public IReadOnlyList<KeyRecord> Inserts { get; init; } = [];
    /// <summary>Replacements of existing versions (state changes, rewrapping).</summary>
    public IReadOnlyList<KeyRecord> Updates { get; init; } = [];
    /// <summary>Audit events to append, numbered from ExpectedAuditHead + 1. At least one per commit.</summary>
    public required IReadOnlyList<AuditEvent> Audit { get; init; }
    /// <summary>Settings to set (passphrase KEK parameters).</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>Checks the commit is well formed before a store applies it.</summary>
    public void Validate()
    {
        if (Audit.Count == 0) throw new ArgumentException("a commit carries at least one audit event");
        for (int i = 0; i < Audit.Count; i++)
            if (Audit[i].Sequence != ExpectedAuditHead + 1 + i) throw new ArgumentException("audit events must follow the expected head without gaps");
    }
}

/// <summary>Another writer changed the store first. Reload and try again.</summary>
public sealed class KeyStoreConflictException(string message) : PhiCryptoException(PhiStatus.Conflict, message);

/// <summary>The store could not be read or written (I/O, database). Never carries a password.</summary>
public sealed class KeyStoreException(string message, Exception? inner = null) : PhiCryptoException(PhiStatus.IoError, message, inner);

// The keyring: purposes, each with numbered DEK versions (32 random bytes), exactly one active.
// Reads are lock-free on an immutable snapshot; writes are serialized in-process by a lock and across
// processes by the store's conditional commit (IKeyStore). See docs/key-management.md.
using System.Security.Cryptography;
using PhiCrypto.Primitives;

namespace PhiCrypto.Keys;

public sealed partial class Keyring : IDisposable
{
    private readonly IKeyStore _store;
    private readonly KeyringOptions _options;
    private readonly KeyringIntegrity _integrity;
    private readonly object _writeLock = new();
    private IKek _kek;
    private KeyringSnapshot _snapshot;
    private long _lastUnknownReloadTicks;
    private bool _disposed;

    private Keyring(IKeyStore store, IKek kek, KeyringOptions options, KeyringIntegrity integrity, KeyringSnapshot snapshot)
    {
        _store = store;
        _kek = kek;
        _options = options;
        _integrity = integrity;
        _snapshot = snapshot;
    }

    /// <summary>Opens the keyring in <paramref name="store"/> under <paramref name="kek"/>. The keyring owns the
    /// KEK (disposes it) but not the store. Throws <see cref="KeyringNotFoundException"/> for an empty store,
    /// <see cref="WrongKekException"/> for another KEK, <see cref="KeyringIntegrityException"/> for a store
    /// changed by someone without the KEK.</summary>
    public static Keyring Open(IKeyStore store, IKek kek, KeyringOptions? options = null)
        => Open(store, _ => kek, options);

    /// <summary>Opens the keyring, building the KEK from the stored settings (passphrase salt and cost).</summary>
    public static Keyring Open(IKeyStore store, Func<IReadOnlyDictionary<string, string>, IKek> kekFactory, KeyringOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        options ??= new KeyringOptions();
        options.Validate();
        IKek? kek = null;
        KeyringIntegrity? integrity = null;
        try
        {
            var contents = store.Load();
            if (contents.IsEmpty) throw new KeyringNotFoundException(store.Location);
            kek = kekFactory(contents.Settings);
            integrity = KeyringIntegrity.Unwrap(contents.Settings, kek);
            integrity.Verify(contents);
            return new Keyring(store, kek, options, integrity, KeyringSnapshot.Build(contents, kek, null, null, options.Time));
        }
        catch
        {
            integrity?.Dispose();
            kek?.Dispose();
            if (options.DisposeStore) store.Dispose();
            throw;
        }
    }

    /// <summary>Creates a new keyring in an empty store (the only way one comes to exist): a fresh integrity
    /// key wrapped under the KEK, the KEK's id and check value, and an audit "init" event. Each purpose listed
    /// gets an active version 1. <see cref="PolicyViolationException"/> when the store already holds a keyring.</summary>
    public static Keyring Create(IKeyStore store, IKek kek, KeyringOptions? options = null, params string[] purposes)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(kek);
        foreach (var p in purposes) KeyNames.CheckPurpose(p);
        options ??= new KeyringOptions();
        options.Validate();
        if (!store.Load().IsEmpty)
        {
            if (options.DisposeStore) store.Dispose();
            throw new PolicyViolationException($"keyring {store.Location} is already initialized");
        }
        var integrity = KeyringIntegrity.Generate();
        var keyring = new Keyring(store, kek, options, integrity, KeyringSnapshot.Build(KeyStoreContents.Empty, kek, null, null));
        try
        {
            keyring.Mutate(snap =>
            {
                if (!snap.Contents.IsEmpty) throw new PolicyViolationException($"keyring {store.Location} is already initialized");
                var audit = keyring.NewAudit(snap);
                audit.Add(AuditKind.Init, detail: $"kek {kek.Id} (check value {KeyCheckValue.ToHex(kek.CheckValue)})");
                var fresh = new Dictionary<(string, uint), KeyMaterial>();
                var inserts = purposes.Distinct().Select(p => keyring.NewVersion(p, 1, audit, fresh, "created by init")).ToList();
                return new Plan<int>(0, audit.Commit(snap, inserts, [], keyring.KekSettings(kek), fresh), fresh);
            });
            return keyring;
        }
        catch { keyring.Dispose(); throw; }
    }

    /// <summary>The former name of <see cref="Create"/>.</summary>
    public static Keyring Initialize(IKeyStore store, IKek kek, KeyringOptions? options = null, params string[] purposes) =>
        Create(store, kek, options, purposes);

    /// <summary>The KEK currently protecting the records (id and check value only are public).</summary>
    public string KekId => _kek.Id;
    public string KekCheckValue => KeyCheckValue.ToHex(_kek.CheckValue);
    public string StoreLocation => _store.Location;
    public KeyringOptions Options => _options;

    public IReadOnlyList<string> Purposes => [.. Snapshot.Purposes.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Every key record (no key bytes in them), by purpose then version.</summary>
    public IReadOnlyList<KeyRecord> Records => Snapshot.Contents.Records;

    public IReadOnlyList<KeyRecord> Versions(string purpose) =>
        Snapshot.Find(purpose)?.Versions.Select(v => v.Record).ToList() ?? throw UnknownPurpose(purpose);

    /// <summary>The active version of <paramref name="purpose"/>, or null when none is active.</summary>
    public KeyRecord? ActiveVersion(string purpose) => (Snapshot.Find(purpose) ?? throw UnknownPurpose(purpose)).Active?.Record;

    public IReadOnlyList<AuditEvent> AuditTrail => Snapshot.Contents.Audit;

    /// <summary>Re-reads the store and verifies the whole audit chain (MACs under the keyring's audit key).</summary>
    public AuditVerification VerifyAudit() => _integrity.VerifyChain(_store.Load().Audit);

    /// <summary>The head of the audit chain this keyring last read: the anchor to keep outside the store
    /// (WORM storage, syslog) and to give to <see cref="CheckAuditHead"/> later.</summary>
    public AuditHead AuditHead => new(Snapshot.AuditHead, Snapshot.AuditHeadHash);

    /// <summary>Re-reads the store and checks that its chain still contains <paramref name="anchor"/>:
    /// <see cref="KeyringIntegrityException"/> when the store was rolled back before it or replaced.</summary>
    public void CheckAuditHead(AuditHead anchor)
    {
        Reload();
        KeyringIntegrity.CheckAnchor(Snapshot.Contents.Audit, anchor);
    }

    /// <summary>Re-reads the store (picks up versions other processes added). Thread-safe.</summary>
    public void Reload()
    {
        lock (_writeLock) ReloadCore();
    }

    private KeyringSnapshot Snapshot
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return Volatile.Read(ref _snapshot);
        }
    }

    private KeyringSnapshot ReloadCore()
    {
        var contents = _store.Load();
        if (!contents.IsEmpty) _integrity.Verify(contents);
        return Swap(KeyringSnapshot.Build(contents, _kek, _snapshot, null, _options.Time));
    }

    private KeyringSnapshot Swap(KeyringSnapshot next)
    {
        var old = Interlocked.Exchange(ref _snapshot, next);
        var live = next.Materials.ToHashSet();
        foreach (var m in old.Materials) if (!live.Contains(m)) m.Dispose(); // destroyed versions
        return next;
    }

    internal static KeyNotAvailableException UnknownPurpose(string purpose) => new($"no keys for purpose '{purpose}'");

    /// <summary>An unknown purpose, naming the known ones and how to add one.</summary>
    private static KeyNotAvailableException UnknownPurpose(string purpose, KeyringSnapshot snap) =>
        new($"no purpose '{purpose}' in the keyring (known: {(snap.Purposes.Count == 0 ? "none" : string.Join(", ", snap.Purposes.Keys.Order(StringComparer.Ordinal)))}); " +
            "add it with `phicrypt keys add` (Keyring.AddPurpose)");

    /// <summary>The purposes `phicrypt keys init` creates unless told otherwise: what `encrypt` and `backup` use.</summary>
    public static IReadOnlyList<string> DefaultPurposes { get; } = ["files", "backups", "backup-signing"];

    public void Dispose()
    {
        lock (_writeLock)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var m in _snapshot.Materials) m.Dispose();
            _kek.Dispose();
            _integrity.Dispose();
            if (_options.DisposeStore) _store.Dispose();
        }
    }

    // ------------------------------------------------------------ writing

    private sealed record Plan<T>(T Result, KeyStoreCommit? Commit, IReadOnlyDictionary<(string, uint), KeyMaterial>? Fresh = null);

    /// <summary>Reloads, plans a change on the fresh state, commits it conditionally; on a conflict with
    /// another writer, reloads and plans again (the plan may then find there is nothing left to do).</summary>
    private T Mutate<T>(Func<KeyringSnapshot, Plan<T>> plan, IKek? kekAfterCommit = null)
    {
        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            for (int attempt = 0; ; attempt++)
            {
                var snap = ReloadCore();
                var p = plan(snap);
                if (p.Commit is null) { DisposeFresh(p.Fresh); return p.Result; }
                try
                {
                    _store.Commit(p.Commit);
                }
                catch (KeyStoreConflictException) when (attempt < _options.MaxConflictRetries)
                {
                    DisposeFresh(p.Fresh);
                    Thread.Sleep(Random.Shared.Next(1, 10 * (attempt + 1)));
                    continue;
                }
                catch { DisposeFresh(p.Fresh); throw; }
                var after = snap.Contents.Apply(p.Commit);
                if (kekAfterCommit is not null) { var old = _kek; _kek = kekAfterCommit; old.Dispose(); }
                Swap(KeyringSnapshot.Build(after, _kek, snap, p.Fresh, _options.Time));
                return p.Result;
            }
        }
    }

    private static void DisposeFresh(IReadOnlyDictionary<(string, uint), KeyMaterial>? fresh)
    {
        if (fresh is null) return;
        foreach (var m in fresh.Values) m.Dispose();
    }

    private AuditBuilder NewAudit(KeyringSnapshot snap) => new(snap.AuditHead, snap.AuditHeadHash, _options.Actor, Now(), _integrity);

    private DateTimeOffset Now() => DateTimeOffset.FromUnixTimeMilliseconds(_options.Time.GetUtcNow().ToUnixTimeMilliseconds());

    /// <summary>The settings that go with <paramref name="kek"/>: its parameters, id, check value, and the integrity key wrapped under it.</summary>
    private IReadOnlyDictionary<string, string> KekSettings(IKek kek)
    {
        var d = new Dictionary<string, string>(kek.StoreSettings)
        {
            [KeyringSnapshot.KekIdSetting] = kek.Id,
            [KeyringSnapshot.KekCheckValueSetting] = KeyCheckValue.ToHex(kek.CheckValue),
        };
        var (name, value) = _integrity.WrapUnder(kek);
        d[name] = value;
        return d;
    }

    /// <summary>A new version (active unless asked otherwise): 32 random bytes, wrapped under the KEK, sealed with its MAC.</summary>
    private KeyRecord NewVersion(string purpose, uint version, AuditBuilder audit, Dictionary<(string, uint), KeyMaterial> fresh, string detail, bool activate = true)
    {
        var now = audit.Time;
        Span<byte> dek = stackalloc byte[KeyRecord.DekSize];
        try
        {
            RandomNumberGenerator.Fill(dek);
            var (alg, wrapped) = _kek.Wrap(dek);
            var record = new KeyRecord
            {
                Purpose = purpose, Version = version, State = activate ? KeyState.Active : KeyState.PreActive, Created = now, Activated = activate ? now : null,
                KekId = _kek.Id, KekCheckValue = _kek.CheckValue.ToArray(), WrapAlgorithm = alg, Wrapped = wrapped,
            };
            fresh[(purpose, version)] = new KeyMaterial(purpose, version, dek);
            audit.Add(AuditKind.Create, purpose, version, null, KeyState.PreActive, detail);
            if (activate) audit.Add(AuditKind.Activate, purpose, version, KeyState.PreActive, KeyState.Active);
            return record;
        }
        finally { CryptographicOperations.ZeroMemory(dek); }
    }

    /// <summary>Re-seals <paramref name="record"/> with the version's DEK. (Commit seals every record it writes
    /// again, with its generation and store MAC; this stays for callers that build records themselves.)</summary>
    private static KeyRecord Reseal(KeyRecord record, KeyVersion v) =>
        record.State == KeyState.Destroyed ? record.Seal(default) :
        record.Seal((v.Material ?? throw new KeyNotAvailableException($"key {record.KeyName} has no key material")).Dek.Span);

    /// <summary>Builds the chained, MACed audit events of one commit, and seals its records: each gets the
    /// generation of the last event naming it, its DEK MAC and its store MAC. Every record a commit writes
    /// must be named by one of its events (that is what the load-time agreement check relies on).</summary>
    private sealed class AuditBuilder(long head, byte[] headHash, string actor, DateTimeOffset time, KeyringIntegrity integrity)
    {
        private readonly List<AuditEvent> _events = [];
        private byte[] _prev = headHash;
        public DateTimeOffset Time { get; } = time;

        public void Add(AuditKind kind, string? purpose = null, uint version = 0, KeyState? from = null, KeyState? to = null, string detail = "")
        {
            var e = new AuditEvent
            {
                Sequence = head + _events.Count + 1, Time = Time, Kind = kind, Purpose = purpose, Version = version,
                FromState = from, ToState = to, Actor = actor, Detail = detail, PreviousHash = _prev,
            };
            e = integrity.Seal(e);
            _events.Add(e);
            _prev = e.Hash;
        }

        public KeyStoreCommit Commit(KeyringSnapshot snap, IReadOnlyList<KeyRecord> inserts, IReadOnlyList<KeyRecord> updates,
                                     IReadOnlyDictionary<string, string>? settings = null, IReadOnlyDictionary<(string, uint), KeyMaterial>? fresh = null) => new()
        {
            ExpectedAuditHead = snap.AuditHead,
            Inserts = [.. inserts.Select(r => Finish(r, fresh?.GetValueOrDefault((r.Purpose, r.Version))))],
            Updates = [.. updates.Select(r => Finish(r, snap.Find(r.Purpose)?.Find(r.Version)?.Material))],
            Audit = [.. _events],
            Settings = settings ?? new Dictionary<string, string>(),
        };

        private KeyRecord Finish(KeyRecord r, KeyMaterial? material)
        {
            var last = _events.LastOrDefault(e => e.Purpose == r.Purpose && e.Version == r.Version)
                       ?? throw new InvalidOperationException($"no audit event of this commit names {r.KeyName}");
            var withGeneration = r with { Generation = last.Sequence };
            var sealedToDek = r.State == KeyState.Destroyed ? withGeneration.Seal(default)
                : withGeneration.Seal((material ?? throw new KeyNotAvailableException($"key {r.KeyName} has no key material")).Dek.Span);
            return integrity.Seal(sealedToDek);
        }
    }
}

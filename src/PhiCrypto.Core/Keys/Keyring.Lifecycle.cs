// Lifecycle operations: create a purpose, rotate a DEK, move a version between SP 800-57 states,
// rotate the KEK (rewrap). Each is one conditional commit with its audit events.
namespace PhiCrypto.Keys;

public sealed partial class Keyring
{
    /// <summary>Creates <paramref name="purpose"/> with an active version 1. Fails if it exists.</summary>
    public KeyRecord AddPurpose(string purpose)
    {
        KeyNames.CheckPurpose(purpose);
        return Mutate(snap =>
        {
            if (snap.Find(purpose) is not null) throw new ArgumentException($"purpose '{purpose}' already exists");
            var audit = NewAudit(snap);
            var fresh = new Dictionary<(string, uint), KeyMaterial>();
            var record = NewVersion(purpose, 1, audit, fresh, "new purpose");
            return new Plan<KeyRecord>(record, audit.Commit(snap, [record], [], fresh: fresh), fresh);
        });
    }

    /// <summary>Adds an active version to <paramref name="purpose"/>, which must exist (<see cref="AddPurpose"/>
    /// creates one; a mistyped name is an error naming the known purposes), and deactivates the previous one. If another writer rotated the same purpose at the same moment, its
    /// new version is returned instead of making a second one. With <paramref name="activate"/> false the
    /// new version is pre-active (distributed first, activated later with SetState) and nothing is deactivated.</summary>
    public KeyRecord Rotate(string purpose, string reason = "", bool activate = true)
    {
        KeyNames.CheckPurpose(purpose);
        uint? seenMax = null;
        return Mutate(snap =>
        {
            var keys = snap.Find(purpose) ?? throw UnknownPurpose(purpose, snap);
            uint max = keys.MaxVersion;
            if (seenMax is { } seen && max > seen)
                return new Plan<KeyRecord>(keys.Versions[^1].Record, null); // another writer rotated first
            seenMax ??= max;
            var audit = NewAudit(snap);
            var fresh = new Dictionary<(string, uint), KeyMaterial>();
            var updates = new List<KeyRecord>();
            if (activate && keys.Active is { } old)
            {
                updates.Add(old.Record.WithState(KeyState.Deactivated, audit.Time));
                audit.Add(AuditKind.StateChange, purpose, old.Record.Version, KeyState.Active, KeyState.Deactivated, "rotated");
            }
            var record = NewVersion(purpose, max + 1, audit, fresh, reason, activate);
            audit.Add(AuditKind.Rotate, purpose, record.Version, null, record.State,
                !activate ? "pre-active, to be activated later" : keys.Active is { } prev ? $"replaces v{prev.Record.Version}" : "first active version");
            return new Plan<KeyRecord>(record, audit.Commit(snap, [record], updates, fresh: fresh), fresh);
        });
    }

    /// <summary>Moves a version to <paramref name="state"/> along a valid SP 800-57 transition. Activating a
    /// version deactivates the purpose's current active one. Destroying a version that may still protect
    /// data needs <paramref name="force"/>; destroyed key bytes are erased from the record and from memory.</summary>
    public KeyRecord SetState(string purpose, uint version, KeyState state, bool force = false, string reason = "")
    {
        KeyNames.CheckPurpose(purpose);
        return Mutate(snap =>
        {
            var keys = snap.Find(purpose) ?? throw UnknownPurpose(purpose, snap);
            var v = keys.Find(version) ?? throw new KeyNotAvailableException($"no key {KeyNames.Format(purpose, version)}");
            var from = v.Record.State;
            if (from == state) return new Plan<KeyRecord>(v.Record, null);
            if (!KeyLifecycle.IsValidTransition(from, state))
                throw new PolicyViolationException($"key {v.Record.KeyName} cannot go from {KeyLifecycle.Name(from)} to {KeyLifecycle.Name(state)} (NIST SP 800-57 lifecycle)");
            if (state == KeyState.Destroyed) CheckDestroyAllowed(v.Record, force);
            var audit = NewAudit(snap);
            var updates = new List<KeyRecord>();
            if (state == KeyState.Active && keys.Active is { } current)
            {
                updates.Add(current.Record.WithState(KeyState.Deactivated, audit.Time));
                audit.Add(AuditKind.StateChange, purpose, current.Record.Version, KeyState.Active, KeyState.Deactivated, $"v{version} activated");
            }
            var changed = v.Record.WithState(state, audit.Time);
            updates.Add(changed);
            audit.Add(state == KeyState.Active ? AuditKind.Activate : AuditKind.StateChange, purpose, version, from, state,
                force && state == KeyState.Destroyed ? Join("forced", reason) : reason);
            return new Plan<KeyRecord>(changed, audit.Commit(snap, [], updates));
        });
    }

    private void CheckDestroyAllowed(KeyRecord r, bool force)
    {
        if (force) return;
        long? count = _options.ProtectedItemCount?.Invoke(r.Purpose, r.Version);
        if (count is 0) return;
        throw new PolicyViolationException(count is null
            ? $"key {r.KeyName} may still protect data (no way to count it here): destroy it only with --force, after re-encrypting or when the retention period has passed"
            : $"key {r.KeyName} still protects {count} item(s): re-encrypt them first, or destroy with --force");
    }

    /// <summary>KEK rotation: re-wraps every DEK record under <paramref name="newKek"/> in one commit. No data is
    /// re-encrypted and concurrent encryption carries on. The keyring takes ownership of the new KEK and
    /// disposes the old one.</summary>
    public int Rewrap(IKek newKek)
    {
        ArgumentNullException.ThrowIfNull(newKek);
        int count = Mutate(snap =>
        {
            var audit = NewAudit(snap);
            var updates = new List<KeyRecord>();
            foreach (var v in snap.Purposes.Values.SelectMany(p => p.Versions))
            {
                if (v.Material is null) continue; // destroyed: nothing to wrap
                var (alg, wrapped) = newKek.Wrap(v.Material.Dek.Span);
                updates.Add(v.Record with { KekId = newKek.Id, KekCheckValue = newKek.CheckValue.ToArray(), WrapAlgorithm = alg, Wrapped = wrapped });
                audit.Add(AuditKind.Rewrap, v.Record.Purpose, v.Record.Version, detail: $"to kek {newKek.Id}");
            }
            audit.Add(AuditKind.Rewrap, detail:
                $"{updates.Count} record(s) from kek {_kek.Id} ({KeyCheckValue.ToHex(_kek.CheckValue)}) to kek {newKek.Id} ({KeyCheckValue.ToHex(newKek.CheckValue)})");
            return new Plan<int>(updates.Count, audit.Commit(snap, [], updates, KekSettings(newKek)));
        }, kekAfterCommit: newKek);
        return count;
    }

    /// <summary>Appends an audit event for something done outside the keyring's own operations (an export).</summary>
    public void RecordEvent(AuditKind kind, string detail, string? purpose = null, uint version = 0)
    {
        Mutate(snap =>
        {
            var audit = NewAudit(snap);
            audit.Add(kind, purpose, version, detail: detail);
            return new Plan<int>(0, audit.Commit(snap, [], []));
        });
    }

    private static string Join(string a, string b) => b.Length == 0 ? a : $"{a}: {b}";
}

// Disaster recovery: export every version (with its DEK) in a sealed RecoveryBundle, and import one
// into a keyring on a new machine, wrapped under that machine's KEK. Both are audit events.
using System.Security.Cryptography;

namespace PhiCrypto.Keys;

public sealed partial class Keyring
{
    /// <summary>Seals every key version to the RSA recovery keys and/or the passphrase, and records an
    /// "export" audit event. Keep the result offline, with the RSA private key elsewhere.</summary>
    public byte[] ExportRecoveryBundle(IReadOnlyList<RSA> recoveryKeys, string? passphrase = null, int iterations = RecoveryBundle.DefaultPbkdf2Iterations)
    {
        ArgumentNullException.ThrowIfNull(recoveryKeys);
        var snap = Snapshot;
        var keys = snap.Purposes.Values.SelectMany(p => p.Versions)
            .Select(v => (v.Record, Dek: (ReadOnlyMemory<byte>)(v.Material is null ? Array.Empty<byte>() : v.Material.Dek.Span.ToArray())))
            .ToList();
        try
        {
            var bundle = RecoveryBundle.Seal(keys, snap.AuditHead, snap.AuditHeadHash, recoveryKeys, passphrase, iterations, Now(), _integrity, _kek);
            var to = string.Join(", ", recoveryKeys.Select(k => $"rsa:{RecoveryBundle.Fingerprint(k)[..16]}").Concat(passphrase is null ? [] : ["passphrase"]));
            RecordEvent(AuditKind.Export, $"recovery bundle of {keys.Count} version(s) sealed to {to}");
            return bundle;
        }
        finally
        {
            foreach (var (_, dek) in keys) if (System.Runtime.InteropServices.MemoryMarshal.TryGetArray(dek, out var seg)) CryptographicOperations.ZeroMemory(seg);
        }
    }

    /// <summary>Restores the versions of a recovery bundle, wrapped under this keyring's KEK, in one commit
    /// with "import" audit events. Opened with the RSA key, the bundle's origin is checked under
    /// <paramref name="sourceKek"/> (default: this keyring's KEK). Versions already present with the same
    /// key are skipped; a version present with a different key is a conflict; a version older than the
    /// newest this keyring has for its purpose is refused. Returns the number of versions added.</summary>
    public int ImportRecoveryBundle(ReadOnlySpan<byte> bundle, RSA? privateKey, string? passphrase, IKek? sourceKek = null) =>
        ImportRecoveryBundle(bundle, privateKey, passphrase, sourceKek, out _);

    /// <summary>As above; <paramref name="sourceHead"/> is the source keyring's audit head when the bundle was made.</summary>
    public int ImportRecoveryBundle(ReadOnlySpan<byte> bundle, RSA? privateKey, string? passphrase, IKek? sourceKek, out AuditHead sourceHead)
    {
        using var recovered = RecoveryBundle.Open(bundle, privateKey, passphrase, sourceKek ?? _kek);
        sourceHead = recovered.SourceAuditHeadAnchor;
        return Mutate(snap =>
        {
            var audit = NewAudit(snap);
            var fresh = new Dictionary<(string, uint), KeyMaterial>();
            var inserts = new List<KeyRecord>();
            foreach (var (record, dek) in recovered.Keys)
            {
                var existing = snap.Find(record.Purpose)?.Find(record.Version);
                if (existing is not null)
                {
                    if (dek is not null && existing.Material is not null && !CryptographicOperations.FixedTimeEquals(dek.Span, existing.Material.Dek.Span))
                        throw new KeyStoreConflictException($"key {record.KeyName} already exists here with a different key");
                    continue;
                }
                if (snap.Find(record.Purpose) is { } have && have.MaxVersion > record.Version)
                    throw new PolicyViolationException($"the bundle's key {record.KeyName} is older than this keyring's {KeyNames.Format(record.Purpose, have.MaxVersion)}: refused");
                inserts.Add(Rewrapped(record, dek, fresh));
            }
            foreach (var g in inserts.GroupBy(r => r.Purpose))
                if (g.Count(r => r.State == KeyState.Active) + (snap.Find(g.Key)?.Active is null ? 0 : 1) > 1)
                    throw new PolicyViolationException($"importing would give purpose '{g.Key}' two active versions");
            foreach (var r in inserts) audit.Add(AuditKind.Import, r.Purpose, r.Version, null, r.State, "from a recovery bundle");
            audit.Add(AuditKind.Import, detail: $"{inserts.Count} version(s) from a recovery bundle made {KeyringJson.FormatTime(recovered.Created)} " +
                                                $"(source audit head #{recovered.SourceAuditHead} {Convert.ToHexStringLower(recovered.SourceAuditHash)[..16]})");
            return new Plan<int>(inserts.Count, audit.Commit(snap, inserts, [], KekSettings(_kek), fresh), fresh);
        });
    }

    private KeyRecord Rewrapped(KeyRecord record, Primitives.SecretKey? dek, Dictionary<(string, uint), KeyMaterial> fresh)
    {
        if (dek is null) return record with { KekId = _kek.Id, StoreMac = [] };
        var (alg, wrapped) = _kek.Wrap(dek.Span);
        fresh[(record.Purpose, record.Version)] = new KeyMaterial(record.Purpose, record.Version, dek.Span);
        return record with { KekId = _kek.Id, KekCheckValue = _kek.CheckValue.ToArray(), WrapAlgorithm = alg, Wrapped = wrapped };
    }
}

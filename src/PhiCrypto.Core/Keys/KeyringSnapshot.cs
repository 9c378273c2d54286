// An immutable view of the keyring: records, materials and the audit head. The keyring swaps a whole
// new snapshot in atomically after each change, so readers never lock and never see half a rotation.
using System.Security.Cryptography;

namespace PhiCrypto.Keys;

internal sealed record KeyVersion(KeyRecord Record, KeyMaterial? Material);

internal sealed class PurposeKeys(string purpose, KeyVersion[] versions)
{
    public string Purpose { get; } = purpose;
    /// <summary>Every version, ascending.</summary>
    public KeyVersion[] Versions { get; } = versions;
    public KeyVersion? Active { get; } = versions.SingleOrDefault(v => v.Record.State == KeyState.Active);
    public uint MaxVersion => Versions.Length == 0 ? 0 : Versions[^1].Record.Version;

    public KeyVersion? Find(uint version)
    {
        int lo = 0, hi = Versions.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            uint v = Versions[mid].Record.Version;
            if (v == version) return Versions[mid];
            if (v < version) lo = mid + 1; else hi = mid - 1;
        }
        return null;
    }
}

internal sealed class KeyringSnapshot
{
    private KeyringSnapshot(KeyStoreContents contents, Dictionary<string, PurposeKeys> purposes, long loadedAt)
    {
        LoadedAt = loadedAt;
        Contents = contents;
        Purposes = purposes;
        AuditHeadHash = contents.Audit.Count == 0 ? new byte[AuditEvent.HashSize] : contents.Audit[^1].Hash;
    }

    /// <summary>When the store state was read (TimeProvider timestamp), for the keyring's snapshot TTL.</summary>
    public long LoadedAt { get; }

    public bool IsOlderThan(TimeSpan ttl, TimeProvider time) => ttl > TimeSpan.Zero && time.GetElapsedTime(LoadedAt) > ttl;

    public KeyStoreContents Contents { get; }
    public Dictionary<string, PurposeKeys> Purposes { get; }
    public byte[] AuditHeadHash { get; }
    public long AuditHead => Contents.AuditHead;

    public PurposeKeys? Find(string purpose) => Purposes.GetValueOrDefault(purpose);

    public IEnumerable<KeyMaterial> Materials => Purposes.Values.SelectMany(p => p.Versions).Select(v => v.Material).OfType<KeyMaterial>();

    /// <summary>Builds a snapshot, reusing materials of <paramref name="previous"/> and <paramref name="fresh"/>
    /// and unwrapping the rest under <paramref name="kek"/>. Every record is checked against the KEK and its MAC.</summary>
    public static KeyringSnapshot Build(KeyStoreContents contents, IKek kek, KeyringSnapshot? previous, IReadOnlyDictionary<(string, uint), KeyMaterial>? fresh, TimeProvider? time = null)
    {
        long loadedAt = (time ?? TimeProvider.System).GetTimestamp();
        CheckKekSetting(contents.Settings, kek);
        var created = new List<KeyMaterial>();
        try
        {
            var purposes = new Dictionary<string, PurposeKeys>(StringComparer.Ordinal);
            foreach (var group in contents.Records.GroupBy(r => r.Purpose, StringComparer.Ordinal))
            {
                var versions = group.OrderBy(r => r.Version).Select(r =>
                {
                    var reuse = fresh?.GetValueOrDefault((r.Purpose, r.Version)) ?? previous?.Find(r.Purpose)?.Find(r.Version)?.Material;
                    return new KeyVersion(r, Open(r, kek, reuse, created));
                }).ToArray();
                if (versions.Count(v => v.Record.State == KeyState.Active) > 1)
                    throw new MalformedDataException($"purpose {group.Key} has more than one active version");
                purposes.Add(group.Key, new PurposeKeys(group.Key, versions));
            }
            return new KeyringSnapshot(contents, purposes, loadedAt);
        }
        catch
        {
            foreach (var m in created) m.Dispose();
            throw;
        }
    }

    private static KeyMaterial? Open(KeyRecord r, IKek kek, KeyMaterial? reuse, List<KeyMaterial> created)
    {
        if (r.State == KeyState.Destroyed) return null;
        CheckKek(r, kek);
        if (reuse is not null)
        {
            if (!r.VerifyMac(reuse.Dek.Span)) throw Tampered(r);
            return reuse;
        }
        Span<byte> dek = stackalloc byte[KeyRecord.DekSize];
        try
        {
            try { kek.Unwrap(r.WrapAlgorithm, r.Wrapped, dek); }
            catch (Exception e) when (e is AuthenticationFailedException or CryptographicException) { throw Tampered(r); }
            if (!r.VerifyMac(dek)) throw Tampered(r);
            var m = new KeyMaterial(r.Purpose, r.Version, dek);
            created.Add(m);
            return m;
        }
        finally { CryptographicOperations.ZeroMemory(dek); }
    }

    internal static void CheckKek(KeyRecord r, IKek kek)
    {
        if (!CryptographicOperations.FixedTimeEquals(r.KekCheckValue, kek.CheckValue))
            throw new WrongKekException($"key {r.KeyName} is wrapped under KEK '{r.KekId}' (check value {KeyCheckValue.ToHex(r.KekCheckValue)}), " +
                                        $"not under the KEK given ('{kek.Id}', check value {KeyCheckValue.ToHex(kek.CheckValue)})");
    }

    internal const string KekIdSetting = "kek.id";
    internal const string KekCheckValueSetting = "kek.check-value";

    private static void CheckKekSetting(IReadOnlyDictionary<string, string> settings, IKek kek)
    {
        if (!settings.TryGetValue(KekCheckValueSetting, out var hex)) return;
        byte[] expected;
        try { expected = Convert.FromHexString(hex); }
        catch (FormatException) { throw new MalformedDataException("the keyring's KEK check value setting is malformed"); }
        if (!CryptographicOperations.FixedTimeEquals(expected, kek.CheckValue))
            throw new WrongKekException($"the keyring is protected by KEK '{settings.GetValueOrDefault(KekIdSetting)}' (check value {hex}), " +
                                        $"not by the KEK given ('{kek.Id}', check value {KeyCheckValue.ToHex(kek.CheckValue)})");
    }

    private static MalformedDataException Tampered(KeyRecord r) =>
        new($"key record {r.KeyName} failed its integrity check: it was altered or is corrupt");
}

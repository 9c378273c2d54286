// What makes the key store untrusted storage rather than a source of truth (docs/keyring-format.md,
// "Integrity"). Keyring.Create makes a 32-byte integrity key and stores it wrapped under the KEK like a
// DEK, so a PKCS#11 KEK whose bytes never leave its token serves as well, and a KEK rotation re-wraps it
// without breaking the chain. HKDF-SHA-256 (RFC 5869) derives two subkeys with distinct labels:
//   audit  keys the HMAC-SHA-256 chain of audit events (each event's MAC covers the previous MAC);
//   record keys each key record's store MAC, tombstones included.
// Every load checks the chain, every record's MAC, and that each record agrees with the last audit event
// naming its version: same generation (the sequence of that event) and same state. So a store writer
// without the KEK cannot edit, forge, replay or delete a record or an event, nor cut the chain short
// while records point past its end. What remains is replacing the whole store by an earlier consistent
// copy: only an outside anchor (AuditHead) tells, and Keyring.CheckAuditHead compares against one.
using System.Security.Cryptography;
using PhiCrypto.Primitives;

namespace PhiCrypto.Keys;

internal sealed class KeyringIntegrity : IDisposable
{
    internal const string Setting = "keyring.integrity-key";
    private const int KeySize = 32;
    private static readonly byte[] AuditLabel = "phicrypto keyring audit mac v2"u8.ToArray();
    private static readonly byte[] RecordLabel = "phicrypto keyring record mac v2"u8.ToArray();
    private static readonly byte[] BundleLabel = "phicrypto recovery bundle mac v2"u8.ToArray();

    private readonly SecretKey _root, _audit, _record, _bundle;

    private KeyringIntegrity(ReadOnlySpan<byte> root)
    {
        _root = SecretKey.Import(root);
        _audit = Derive(root, AuditLabel);
        _record = Derive(root, RecordLabel);
        _bundle = Derive(root, BundleLabel);
    }

    /// <summary>A fresh integrity key, for a new keyring.</summary>
    public static KeyringIntegrity Generate()
    {
        Span<byte> root = stackalloc byte[KeySize];
        try
        {
            RandomNumberGenerator.Fill(root);
            return new KeyringIntegrity(root);
        }
        finally { CryptographicOperations.ZeroMemory(root); }
    }

    /// <summary>Unwraps the keyring's integrity key with <paramref name="kek"/>. A KEK other than the
    /// keyring's is <see cref="WrongKekException"/>; a missing or altered key is an integrity failure.</summary>
    public static KeyringIntegrity Unwrap(IReadOnlyDictionary<string, string> settings, IKek kek)
    {
        if (!settings.TryGetValue(Setting, out var value))
            throw new KeyringIntegrityException("the keyring has no integrity key: it is of format 1 (written before the keyed audit chain) or the setting was removed; see docs/keyring-format.md");
        CheckKek(settings, kek);
        int colon = value.IndexOf(':');
        Span<byte> root = stackalloc byte[KeySize];
        try
        {
            var algorithm = colon > 0 ? KeyringJson.ParseWrap(value[..colon]) : WrapAlgorithm.None;
            var wrapped = Convert.FromBase64String(value[(colon + 1)..]);
            kek.Unwrap(algorithm, wrapped, root);
            return new KeyringIntegrity(root);
        }
        catch (Exception e) when (e is AuthenticationFailedException or CryptographicException or FormatException or MalformedDataException)
        {
            CheckKek(settings, kek);
            throw new KeyringIntegrityException("the keyring's integrity key does not unwrap under its KEK: the setting was altered");
        }
        finally { CryptographicOperations.ZeroMemory(root); }
    }

    /// <summary>A KEK other than the one the keyring's settings name is <see cref="WrongKekException"/>, not tampering.</summary>
    private static void CheckKek(IReadOnlyDictionary<string, string> settings, IKek kek)
    {
        var given = KeyCheckValue.ToHex(kek.CheckValue);
        if (settings.TryGetValue(KeyringSnapshot.KekCheckValueSetting, out var stored) && !string.Equals(stored, given, StringComparison.OrdinalIgnoreCase))
            throw new WrongKekException($"the keyring is protected by KEK '{settings.GetValueOrDefault(KeyringSnapshot.KekIdSetting)}' (check value {stored}), " +
                                        $"not by the KEK given ('{kek.Id}', check value {given})");
    }

    /// <summary>The setting that stores this key wrapped under <paramref name="kek"/>.</summary>
    public KeyValuePair<string, string> WrapUnder(IKek kek)
    {
        var (algorithm, wrapped) = kek.Wrap(_root.Span);
        return new(Setting, $"{KeyringJson.WrapName(algorithm)}:{Convert.ToBase64String(wrapped)}");
    }

    public AuditEvent Seal(AuditEvent e) => e with { Hash = e.ComputeMac(_audit.Span) };

    public KeyRecord Seal(KeyRecord r) => r.Authenticated(_record.Span);

    /// <summary>The origin MAC of a recovery bundle made from this keyring (RecoveryBundle).</summary>
    public byte[] BundleMac(ReadOnlySpan<byte> bundle) => HMACSHA256.HashData(_bundle.Span, bundle);

    public AuditVerification VerifyChain(IReadOnlyList<AuditEvent> events) => AuditChain.Verify(events, _audit.Span);

    /// <summary>Refuses (<see cref="KeyringIntegrityException"/>, naming the version) contents that a
    /// writer without the KEK has changed: see the header.</summary>
    public void Verify(KeyStoreContents contents)
    {
        var chain = VerifyChain(contents.Audit);
        if (!chain.IsValid) throw new KeyringIntegrityException(chain.Message);
        var last = LastEvents(contents.Audit);
        foreach (var r in contents.Records)
        {
            if (!r.VerifyStoreMac(_record.Span))
                throw new KeyringIntegrityException($"key record {r.KeyName} failed its integrity check: it was forged or altered");
            if (!last.TryGetValue((r.Purpose, r.Version), out var e))
                throw new KeyringIntegrityException($"key record {r.KeyName} has no event in the audit chain: it was inserted, or the chain was cut short");
            if (r.Generation != e.Sequence)
                throw new KeyringIntegrityException($"key record {r.KeyName} was written at audit event #{r.Generation}, but the chain's last event for it is #{e.Sequence}: " +
                                                    "the record was replayed or the chain was cut short");
            if (e.State is { } s && s != r.State)
                throw new KeyringIntegrityException($"key record {r.KeyName} is {KeyLifecycle.Name(r.State)} in the store but {KeyLifecycle.Name(s)} in the audit chain");
        }
        var present = contents.Records.Select(r => (r.Purpose, r.Version)).ToHashSet();
        foreach (var (key, _) in last)
            if (!present.Contains(key))
                throw new KeyringIntegrityException($"the audit chain names key {KeyNames.Format(key.Purpose, key.Version)} but the store has no record of it: it was deleted");
    }

    /// <summary>Checks that the (verified) <paramref name="audit"/> chain still holds the event <paramref name="anchor"/> names.</summary>
    public static void CheckAnchor(IReadOnlyList<AuditEvent> audit, AuditHead anchor)
    {
        long head = audit.Count == 0 ? 0 : audit[^1].Sequence;
        if (anchor.Sequence > head)
            throw new KeyringIntegrityException($"the keyring was rolled back: its audit head is #{head}, the anchor says #{anchor.Sequence}");
        if (anchor.Sequence == 0) return;
        if (!CryptographicOperations.FixedTimeEquals(audit[(int)(anchor.Sequence - 1)].Hash, anchor.Mac))
            throw new KeyringIntegrityException($"the keyring's audit event #{anchor.Sequence} differs from the anchor: the store was replaced, or rolled back and written again");
    }

    /// <summary>For each version: the sequence of the last event naming it and the last state an event gave it.</summary>
    private static Dictionary<(string Purpose, uint Version), (long Sequence, KeyState? State)> LastEvents(IReadOnlyList<AuditEvent> audit)
    {
        var last = new Dictionary<(string, uint), (long, KeyState?)>();
        foreach (var e in audit)
        {
            if (e.Purpose is not { } p || e.Version == 0) continue;
            var state = e.ToState ?? (last.TryGetValue((p, e.Version), out var before) ? before.Item2 : null);
            last[(p, e.Version)] = (e.Sequence, state);
        }
        return last;
    }

    private static SecretKey Derive(ReadOnlySpan<byte> root, ReadOnlySpan<byte> label)
    {
        Span<byte> k = stackalloc byte[KeySize];
        try
        {
            Hkdf.DeriveKey(HashAlgorithmName.SHA256, root, k, default, label);
            return SecretKey.Import(k);
        }
        finally { CryptographicOperations.ZeroMemory(k); }
    }

    public void Dispose()
    {
        _root.Dispose();
        _audit.Dispose();
        _record.Dispose();
        _bundle.Dispose();
    }
}

/// <summary>The key store's contents were changed by someone without the KEK (a forged, replayed or deleted
/// record, an edited or shortened audit chain), or the store is older than a trusted anchor says.</summary>
public sealed class KeyringIntegrityException(string message) : PhiCryptoException(PhiStatus.AuthenticationFailed, message);

/// <summary>No keyring exists at the location: creating one is an explicit act.</summary>
public sealed class KeyringNotFoundException(string location)
    : PhiCryptoException(PhiStatus.KeyNotFound, $"no keyring at {location}: create one with `phicrypt keys init` (in code: Keyring.Create)")
{
    public string Location { get; } = location;
}

// Field encryption through the keyring (docs/field-format.md), for a purpose: the keyring side of
// KeySource (the active version's field key with its usage counted, the field key a ciphertext's
// version names, the versions that can still decrypt) and the public one-purpose calls, which go
// through KeySource.FromKeyring and KeySourceFields like every other caller. The purpose is both the
// key's purpose and the envelope's bound purpose. Randomized encryptions are counted against the usage
// limit (SP 800-38D 8.3) in blocks reserved in the store, so the count holds across processes and restarts.
using PhiCrypto.Fields;

namespace PhiCrypto.Keys;

public sealed partial class Keyring
{
    /// <summary>An output buffer of this size always fits <see cref="EncryptField(string, FieldMode, ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte})"/>.</summary>
    public static int MaxFieldEnvelopeLength(FieldMode mode, int plaintextLength) => KeySourceFields.MaxEnvelopeLength(mode, plaintextLength);

    /// <summary>Encrypts under the active version of <paramref name="purpose"/>; returns the bytes written to <paramref name="output"/>.</summary>
    public int EncryptField(string purpose, FieldMode mode, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> output) =>
        Source(purpose).EncryptField(mode, plaintext, associatedData, output);

    public byte[] EncryptField(string purpose, FieldMode mode, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData = default) =>
        Source(purpose).EncryptField(mode, plaintext, associatedData);

    /// <summary>Decrypts with the version the envelope names into <paramref name="plaintext"/> (exactly
    /// FieldEnvelope.GetPlaintextLength bytes). Unknown version: one reload (or the host hook), then
    /// <see cref="KeyNotAvailableException"/>; tampering: <see cref="AuthenticationFailedException"/>.</summary>
    public void DecryptField(string purpose, ReadOnlySpan<byte> envelope, ReadOnlySpan<byte> associatedData, Span<byte> plaintext) =>
        Source(purpose).DecryptField(envelope, associatedData, plaintext);

    public byte[] DecryptField(string purpose, ReadOnlySpan<byte> envelope, ReadOnlySpan<byte> associatedData = default) =>
        Source(purpose).DecryptField(envelope, associatedData);

    /// <summary>The deterministic envelopes of <paramref name="plaintext"/> under every version of
    /// <paramref name="purpose"/> that can still decrypt, newest first.</summary>
    public IReadOnlyList<byte[]> SearchCiphertexts(string purpose, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData = default) =>
        Source(purpose).SearchCiphertexts(plaintext, associatedData);

    /// <summary>A resolver for batch decryption (FieldBatch): the field key of a version of this purpose that may decrypt, else null.</summary>
    public IFieldKeyResolver GetFieldKeyResolver(string purpose) => Source(purpose).FieldKeys();

    /// <summary>The field key of the active version for a batch of <paramref name="count"/> values
    /// (FieldBatch), counted against the usage limit like that many single encryptions.</summary>
    public FieldKey ReserveFieldKey(string purpose, FieldMode mode, int count) => Source(purpose).TakeFieldKey(mode, count);

    // A keyring source holds nothing to dispose: one per call is cheap.
    private KeySource Source(string purpose) => KeySource.FromKeyring(this, purpose);

    // ---- the keyring side of KeyringKeySource

    internal FieldKey TakeFieldKey(string purpose, FieldMode mode, long count) =>
        TakeUsage(purpose, ActiveForEncrypt(purpose), mode, count).Material!.FieldKey(_options.UsageLimit);

    internal FieldKey RequireFieldKey(string purpose, uint version) => ForDecrypt(purpose, version).Material!.FieldKey(_options.UsageLimit);

    internal IEnumerable<FieldKey> DecryptableFieldKeys(string purpose) =>
        Decryptable(purpose).Select(v => v.Material!.FieldKey(_options.UsageLimit));

    private KeyVersion TakeUsage(string purpose, KeyVersion v, FieldMode mode, long n) =>
        mode != FieldMode.Randomized || n == 0 || _options.UsageReservationBlock <= 0 || v.Material!.TryTakeUsage(n) ? v : ReserveUsage(purpose, v, n);

    /// <summary>Reserves the next block of randomized encryptions for the active version in the store, or
    /// applies the usage policy when the limit is reached. Returns the version to encrypt under.</summary>
    private KeyVersion ReserveUsage(string purpose, KeyVersion v, long n)
    {
        for (int attempt = 0; ; attempt++)
        {
            var material = v.Material!;
            lock (material.UsageLock)
            {
                if (material.Budget >= n && material.TryTakeUsage(n)) return v;
                long granted = Mutate(snap =>
                {
                    var current = snap.Find(purpose)?.Find(v.Record.Version);
                    if (current is null || current.Record.State != KeyState.Active) return new Plan<long>(0, null);
                    long grant = Math.Min(Math.Max(_options.UsageReservationBlock, n), _options.UsageLimit - (long)current.Record.UsageReserved);
                    if (grant < n) return new Plan<long>(0, null);
                    var audit = NewAudit(snap);
                    var updated = Reseal(current.Record with { UsageReserved = current.Record.UsageReserved + (ulong)grant }, current);
                    audit.Add(AuditKind.UsageReserve, purpose, current.Record.Version, detail: $"{updated.UsageReserved} randomized encryptions reserved of {_options.UsageLimit}");
                    return new Plan<long>(grant, audit.Commit(snap, [], [updated]));
                });
                if (granted > 0)
                {
                    material.AddBudget(granted - n); // n are this call's
                    return v;
                }
            }
            var now = ActiveForEncrypt(purpose);
            if (now.Record.Version != v.Record.Version) { v = now; if (v.Material!.TryTakeUsage(n)) return v; continue; }
            if (_options.UsagePolicy == UsageLimitPolicy.Refuse || attempt > 0)
                throw new PolicyViolationException($"key {v.Record.KeyName} reached its usage limit of {_options.UsageLimit} randomized encryptions; rotate the key");
            Rotate(purpose, "usage limit reached");
            v = ActiveForEncrypt(purpose);
            if (v.Material!.TryTakeUsage(n)) return v;
        }
    }
}

// Field encryption through the keyring (docs/field-format.md): encrypt under the purpose's active
// version, decrypt with the version the envelope names, search a deterministic value under every
// version that can still decrypt. The purpose is both the key's purpose and the envelope's bound
// purpose. Randomized encryptions are counted against the usage limit (SP 800-38D 8.3) in blocks
// reserved in the store, so the count holds across processes and restarts.
using System.Text;
using PhiCrypto.Fields;

namespace PhiCrypto.Keys;

public sealed partial class Keyring
{
    /// <summary>An output buffer of this size always fits <see cref="EncryptField(string, FieldMode, ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte})"/>.</summary>
    public static int MaxFieldEnvelopeLength(FieldMode mode, int plaintextLength) =>
        FieldEnvelope.GetEnvelopeLength(mode, uint.MaxValue, plaintextLength);

    /// <summary>Encrypts under the active version of <paramref name="purpose"/>; returns the bytes written to <paramref name="output"/>.</summary>
    public int EncryptField(string purpose, FieldMode mode, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> output)
    {
        var v = ActiveForEncrypt(purpose);
        v = TakeUsage(purpose, v, mode, 1);
        var key = v.Material!.FieldKey(_options.UsageLimit);
        int n = FieldEnvelope.GetEnvelopeLength(mode, v.Record.Version, plaintext.Length);
        if (output.Length < n) throw new ArgumentException($"output must be at least {n} bytes", nameof(output));
        FieldEnvelope.Encrypt(key, mode, PurposeBytes(purpose), plaintext, associatedData, output[..n]);
        return n;
    }

    public byte[] EncryptField(string purpose, FieldMode mode, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData = default)
    {
        var buffer = new byte[MaxFieldEnvelopeLength(mode, plaintext.Length)];
        int n = EncryptField(purpose, mode, plaintext, associatedData, buffer);
        return n == buffer.Length ? buffer : buffer[..n];
    }

    /// <summary>Decrypts with the version the envelope names into <paramref name="plaintext"/> (exactly
    /// FieldEnvelope.GetPlaintextLength bytes). Unknown version: one reload (or the host hook), then
    /// <see cref="KeyNotAvailableException"/>; tampering: <see cref="AuthenticationFailedException"/>.</summary>
    public void DecryptField(string purpose, ReadOnlySpan<byte> envelope, ReadOnlySpan<byte> associatedData, Span<byte> plaintext)
    {
        var v = ForDecrypt(purpose, FieldEnvelope.ReadHeader(envelope).KeyVersion);
        FieldEnvelope.Decrypt(v.Material!.FieldKey(_options.UsageLimit), PurposeBytes(purpose), envelope, associatedData, plaintext);
    }

    public byte[] DecryptField(string purpose, ReadOnlySpan<byte> envelope, ReadOnlySpan<byte> associatedData = default)
    {
        var plaintext = new byte[FieldEnvelope.GetPlaintextLength(envelope)];
        DecryptField(purpose, envelope, associatedData, plaintext);
        return plaintext;
    }

    /// <summary>The deterministic envelopes of <paramref name="plaintext"/> under every version of
    /// <paramref name="purpose"/> that can still decrypt, newest first: query with "column IN (...)"
    /// to find rows written before a rotation.</summary>
    public IReadOnlyList<byte[]> SearchCiphertexts(string purpose, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData = default)
    {
        var result = new List<byte[]>();
        foreach (var v in Decryptable(purpose))
        {
            var envelope = new byte[FieldEnvelope.GetEnvelopeLength(FieldMode.Deterministic, v.Record.Version, plaintext.Length)];
            FieldEnvelope.Encrypt(v.Material!.FieldKey(_options.UsageLimit), FieldMode.Deterministic, PurposeBytes(purpose), plaintext, associatedData, envelope);
            result.Add(envelope);
        }
        return result;
    }

    /// <summary>A resolver for batch decryption (FieldBatch): the field key of a version that may decrypt, else null.</summary>
    public IFieldKeyResolver GetFieldKeyResolver(string purpose)
    {
        KeyNames.CheckPurpose(purpose);
        return new Resolver(this, purpose);
    }

    /// <summary>The field key of the active version for a batch of <paramref name="count"/> values
    /// (FieldBatch). A randomized batch is counted against the usage limit exactly like that many
    /// single encryptions, in the store's reservations.</summary>
    public FieldKey ReserveFieldKey(string purpose, FieldMode mode, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return TakeUsage(purpose, ActiveForEncrypt(purpose), mode, count).Material!.FieldKey(_options.UsageLimit);
    }

    private KeyVersion TakeUsage(string purpose, KeyVersion v, FieldMode mode, long n) =>
        mode != FieldMode.Randomized || n == 0 || _options.UsageReservationBlock <= 0 || v.Material!.TryTakeUsage(n) ? v : ReserveUsage(purpose, v, n);

    private sealed class Resolver(Keyring keyring, string purpose) : IFieldKeyResolver
    {
        public FieldKey? FindFieldKey(uint version)
        {
            try { return keyring.ForDecrypt(purpose, version).Material!.FieldKey(keyring._options.UsageLimit); }
            catch (KeyNotAvailableException) { return null; }
        }
    }

    private static byte[] PurposeBytes(string purpose) => Encoding.UTF8.GetBytes(purpose);

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

// The field-envelope adapter of a key source (docs/field-format.md): encrypt under the active version,
// decrypt with the version the envelope names, search a deterministic value under every version that
// can still decrypt. Every envelope is bound to the source's purpose.
using PhiCrypto.Fields;

namespace PhiCrypto.Keys;

public static class KeySourceFields
{
    /// <summary>An output buffer of this size fits any encryption of <paramref name="plaintextLength"/> bytes, whatever the version.</summary>
    public static int MaxEnvelopeLength(FieldMode mode, int plaintextLength) =>
        FieldEnvelope.GetEnvelopeLength(mode, uint.MaxValue, plaintextLength);

    /// <summary>Encrypts one value into <paramref name="output"/>; returns the envelope length.</summary>
    public static int EncryptField(this KeySource source, FieldMode mode, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> output)
    {
        var key = source.ActiveFieldKey(mode, 1);
        int n = FieldEnvelope.GetEnvelopeLength(mode, key.Version, plaintext.Length);
        if (output.Length < n) throw new ArgumentException($"output must be at least {n} bytes", nameof(output));
        FieldEnvelope.Encrypt(key, mode, source.PurposeBytes, plaintext, associatedData, output[..n]);
        return n;
    }

    public static byte[] EncryptField(this KeySource source, FieldMode mode, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        var buffer = new byte[MaxEnvelopeLength(mode, plaintext.Length)];
        int n = source.EncryptField(mode, plaintext, associatedData, buffer);
        return n == buffer.Length ? buffer : buffer[..n];
    }

    /// <summary>Decrypts with the version the envelope names into <paramref name="plaintext"/> (exactly
    /// FieldEnvelope.GetPlaintextLength bytes). A version this source does not hold:
    /// <see cref="KeyNotAvailableException"/>; tampering: <see cref="AuthenticationFailedException"/>.</summary>
    public static void DecryptField(this KeySource source, ReadOnlySpan<byte> envelope, ReadOnlySpan<byte> associatedData, Span<byte> plaintext) =>
        FieldEnvelope.Decrypt(source.RequireFieldKey(FieldEnvelope.ReadHeader(envelope).KeyVersion), source.PurposeBytes, envelope, associatedData, plaintext);

    public static byte[] DecryptField(this KeySource source, ReadOnlySpan<byte> envelope, ReadOnlySpan<byte> associatedData)
    {
        var plaintext = new byte[FieldEnvelope.GetPlaintextLength(envelope)];
        source.DecryptField(envelope, associatedData, plaintext);
        return plaintext;
    }

    /// <summary>The field keys a batch decryption may use (FieldBatch): this source's versions only.</summary>
    public static IFieldKeyResolver FieldKeys(this KeySource source) => new Resolver(source);

    /// <summary>The active field key for a batch of <paramref name="count"/> values; a randomized batch is
    /// counted against the usage limit exactly like that many single encryptions.</summary>
    public static FieldKey TakeFieldKey(this KeySource source, FieldMode mode, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return source.ActiveFieldKey(mode, count);
    }

    /// <summary>The deterministic envelopes of <paramref name="plaintext"/> under every version that can
    /// still decrypt, newest first: query with "column IN (...)" to find rows written before a rotation.</summary>
    public static IReadOnlyList<byte[]> SearchCiphertexts(this KeySource source, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        var result = new List<byte[]>();
        foreach (var key in source.DecryptableFieldKeys())
        {
            var envelope = new byte[FieldEnvelope.GetEnvelopeLength(FieldMode.Deterministic, key.Version, plaintext.Length)];
            FieldEnvelope.Encrypt(key, FieldMode.Deterministic, source.PurposeBytes, plaintext, associatedData, envelope);
            result.Add(envelope);
        }
        return result;
    }

    private sealed class Resolver(KeySource source) : IFieldKeyResolver
    {
        public FieldKey? FindFieldKey(uint version) => source.FindFieldKey(version);
    }
}

// The field envelope, format version 1 (docs/field-format.md has the byte layout and vectors):
//
//   randomized:    header || nonce (12, random) || AES-256-GCM ciphertext || tag (16)   29 bytes overhead
//   deterministic: header || synthetic IV (16)  || AES-256-SIV ciphertext               17 bytes overhead
//
// (for key versions 1..31; each further 7 bits of version add one header byte). Both modes
// authenticate the associated data
//
//   AD = header || uint16_be(len(purpose)) || purpose (UTF-8) || caller AD
//
// so an envelope copied to another column (purpose) or row (caller AD) does not decrypt there.
// Plaintexts up to 1 MiB: the largest column the system stores.
using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using PhiCrypto.Primitives;

namespace PhiCrypto.Fields;

public static class FieldEnvelope
{
    public const int MaxPlaintextLength = 1 << 20;
    public const int MaxPurposeLength = 1024;
    public const int NonceSize = Aes256Gcm.NonceSize;
    public const int RandomizedOverhead = 1 + Aes256Gcm.NonceSize + Aes256Gcm.TagSize;
    public const int DeterministicOverhead = 1 + Aes256Siv.SivSize;

    private const int StackAdLimit = 512;

    /// <summary>The exact envelope length for a plaintext of <paramref name="plaintextLength"/> bytes.</summary>
    public static int GetEnvelopeLength(FieldMode mode, uint keyVersion, int plaintextLength)
    {
        if ((uint)plaintextLength > MaxPlaintextLength) throw new ArgumentOutOfRangeException(nameof(plaintextLength), $"field values are limited to {MaxPlaintextLength} bytes");
        return FieldHeader.GetLength(keyVersion) + new FieldHeader(mode, keyVersion, 0).BodyOverhead + plaintextLength;
    }

    /// <summary>Reads the header: mode, key version. Throws <see cref="MalformedDataException"/>.</summary>
    public static FieldHeader ReadHeader(ReadOnlySpan<byte> envelope) => FieldHeader.Read(envelope);

    /// <summary>The plaintext length an envelope decrypts to; throws <see cref="MalformedDataException"/> when too short.</summary>
    public static int GetPlaintextLength(ReadOnlySpan<byte> envelope)
    {
        if (TryGetPlaintextLength(envelope, out int length)) return length;
        var header = FieldHeader.Read(envelope);   // throws for a bad header, saying what is wrong
        throw new MalformedDataException(envelope.Length < header.HeaderLength + header.BodyOverhead
            ? "field envelope too short" : "field envelope longer than the 1 MiB limit");
    }

    /// <summary>Like <see cref="GetPlaintextLength"/>, false for a malformed envelope: a batch meets
    /// them one per row, and an exception each would make a column of garbage slow to read.</summary>
    internal static bool TryGetPlaintextLength(ReadOnlySpan<byte> envelope, out int length)
    {
        length = 0;
        if (!FieldHeader.TryRead(envelope, out var header)) return false;
        int n = envelope.Length - header.HeaderLength - header.BodyOverhead;
        if (n < 0 || n > MaxPlaintextLength) return false;
        length = n;
        return true;
    }

    /// <summary>Encrypts one field into <paramref name="envelope"/>, which must be exactly <see cref="GetEnvelopeLength"/> bytes.</summary>
    public static void Encrypt(FieldKey key, FieldMode mode, ReadOnlySpan<byte> purpose, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> envelope)
    {
        ArgumentNullException.ThrowIfNull(key);
        CheckPurpose(purpose);
        if (mode is not (FieldMode.Randomized or FieldMode.Deterministic)) throw new ArgumentOutOfRangeException(nameof(mode));
        if (envelope.Length != GetEnvelopeLength(mode, key.Version, plaintext.Length))
            throw new ArgumentException("envelope buffer must be exactly GetEnvelopeLength bytes", nameof(envelope));
        if (plaintext.Overlaps(envelope)) throw new ArgumentException("plaintext and envelope overlap", nameof(envelope));
        using var lease = key.Lease();
        EncryptCore(key, mode, purpose, plaintext, associatedData, envelope);
    }

    /// <summary>Decrypts one envelope into <paramref name="plaintext"/>, exactly <see cref="GetPlaintextLength"/> bytes.</summary>
    public static void Decrypt(IFieldKeyResolver keys, ReadOnlySpan<byte> purpose, ReadOnlySpan<byte> envelope, ReadOnlySpan<byte> associatedData, Span<byte> plaintext)
    {
        ArgumentNullException.ThrowIfNull(keys);
        CheckPurpose(purpose);
        int length = GetPlaintextLength(envelope);
        if (plaintext.Length != length) throw new ArgumentException("plaintext buffer must be exactly GetPlaintextLength bytes", nameof(plaintext));
        if (plaintext.Overlaps(envelope)) throw new ArgumentException("envelope and plaintext overlap", nameof(plaintext));
        var status = DecryptCore(keys, purpose, envelope, associatedData, plaintext);
        if (status != PhiStatus.Ok) throw ErrorFor(status, FieldHeader.Read(envelope).KeyVersion);
    }

    // ---- allocating conveniences

    public static byte[] Encrypt(FieldKey key, FieldMode mode, string purpose, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData = default)
    {
        var envelope = new byte[GetEnvelopeLength(mode, key.Version, plaintext.Length)];
        Encrypt(key, mode, Encoding.UTF8.GetBytes(purpose), plaintext, associatedData, envelope);
        return envelope;
    }

    public static byte[] Decrypt(IFieldKeyResolver keys, string purpose, ReadOnlySpan<byte> envelope, ReadOnlySpan<byte> associatedData = default)
    {
        var plaintext = new byte[GetPlaintextLength(envelope)];
        Decrypt(keys, Encoding.UTF8.GetBytes(purpose), envelope, associatedData, plaintext);
        return plaintext;
    }

    // ---- cores: arguments already validated

    /// <summary>The caller holds a lease on <paramref name="key"/> (FieldKey.Lease).</summary>
    internal static void EncryptCore(FieldKey key, FieldMode mode, ReadOnlySpan<byte> purpose, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> callerAd, Span<byte> envelope)
    {
        int headerLength = FieldHeader.Write(mode, key.Version, envelope);
        byte[]? rented = null;
        int adLength = headerLength + 2 + purpose.Length + callerAd.Length;
        Span<byte> ad = adLength <= StackAdLimit ? stackalloc byte[StackAdLimit] : (rented = ArrayPool<byte>.Shared.Rent(adLength));
        try
        {
            ad = BuildAd(envelope[..headerLength], purpose, callerAd, ad);
            var body = envelope[headerLength..];
            if (mode == FieldMode.Randomized)
            {
                key.CountRandomizedEncryption();
                var nonce = body[..NonceSize];
                SecureRandom.Fill(nonce);
                key.Gcm.EncryptCore(nonce, plaintext, ad, body[NonceSize..]);
            }
            else
            {
                key.Siv.EncryptUnleased(plaintext, ad, body);
            }
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Decrypts or returns why not; on failure <paramref name="plaintext"/> is zeroed. Holds a
    /// lease on the key the envelope names for the duration.</summary>
    internal static PhiStatus DecryptCore(IFieldKeyResolver keys, ReadOnlySpan<byte> purpose, ReadOnlySpan<byte> envelope, ReadOnlySpan<byte> callerAd, Span<byte> plaintext)
    {
        var header = FieldHeader.Read(envelope);
        var key = keys.FindFieldKey(header.KeyVersion);
        if (key is null) return PhiStatus.KeyNotFound;
        using var lease = key.Lease();
        byte[]? rented = null;
        int adLength = header.HeaderLength + 2 + purpose.Length + callerAd.Length;
        Span<byte> ad = adLength <= StackAdLimit ? stackalloc byte[StackAdLimit] : (rented = ArrayPool<byte>.Shared.Rent(adLength));
        try
        {
            ad = BuildAd(envelope[..header.HeaderLength], purpose, callerAd, ad);
            var body = envelope[header.HeaderLength..];
            bool ok = header.Mode == FieldMode.Randomized
                ? key.Gcm.DecryptCore(body[..NonceSize], body[NonceSize..], ad, plaintext)
                : key.Siv.TryDecryptUnleased(body, ad, plaintext);
            if (ok) return PhiStatus.Ok;
            CryptographicOperations.ZeroMemory(plaintext);
            return PhiStatus.AuthenticationFailed;
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    internal static Exception ErrorFor(PhiStatus status, uint keyVersion) => status switch
    {
        PhiStatus.KeyNotFound => new KeyNotAvailableException($"key version {keyVersion} named by the envelope is not available"),
        PhiStatus.AuthenticationFailed => new AuthenticationFailedException(),
        _ => new MalformedDataException("malformed field envelope"),
    };

    internal static void CheckPurpose(ReadOnlySpan<byte> purpose)
    {
        if (purpose.IsEmpty || purpose.Length > MaxPurposeLength)
            throw new ArgumentException($"purpose must be 1 to {MaxPurposeLength} bytes", nameof(purpose));
    }

    private static Span<byte> BuildAd(ReadOnlySpan<byte> header, ReadOnlySpan<byte> purpose, ReadOnlySpan<byte> callerAd, Span<byte> buffer)
    {
        header.CopyTo(buffer);
        int n = header.Length;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[n..], (ushort)purpose.Length);
        purpose.CopyTo(buffer[(n + 2)..]);
        n += 2 + purpose.Length;
        callerAd.CopyTo(buffer[n..]);
        return buffer[..(n + callerAd.Length)];
    }
}

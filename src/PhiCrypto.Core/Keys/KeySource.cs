// A key source: what every primitive takes, in the shape of Tink's keyset handle -> primitive. Either
// a raw key standing for one key version, or a keyring plus ONE purpose. Encryption uses the source's
// active version; decryption takes the version the ciphertext names, from this source only: a keyring
// source never hands out another purpose's keys, so an endpoint for "files" cannot be made to decrypt
// a "backups" message (issue 12 section 3). The Keyring keeps versions, lifecycle, audit and usage.
// Each format turns a source into its primitive with a small adapter: KeySourceFields (field
// envelopes, docs/field-format.md), KeySourceMessages (message data keys, raw AES keyring form) and
// KeySourceSearch (blind indexes and FF1, docs/search.md).
using System.Text;
using PhiCrypto.Fields;
using PhiCrypto.Messages;
using PhiCrypto.Primitives;
using PhiCrypto.Search;

namespace PhiCrypto.Keys;

/// <summary>A raw key or a keyring purpose, as every format takes it. Thread-safe.</summary>
public abstract class KeySource : IDisposable
{
    /// <summary>The longest purpose a field envelope binds (UTF-8 bytes).</summary>
    public const int MaxPurposeBytes = 1024;

    private protected KeySource(string purpose)
    {
        Purpose = purpose;
        PurposeBytes = Encoding.UTF8.GetBytes(purpose);
    }

    /// <summary>The purpose: the keyring purpose whose keys this source holds, and the purpose every
    /// field envelope made through it is bound to.</summary>
    public string Purpose { get; }

    internal byte[] PurposeBytes { get; }

    /// <summary>The purpose as UTF-8, as field envelopes bind it.</summary>
    public ReadOnlySpan<byte> PurposeUtf8 => PurposeBytes;

    /// <summary>A source over a copy of <paramref name="key"/>, standing for key version
    /// <paramref name="version"/> (>= 1) of <paramref name="purpose"/>. Dispose it to zero the copy.</summary>
    public static KeySource FromKey(SecretKey key, uint version, string purpose)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (version == 0) throw new ArgumentException("key versions start at 1", nameof(version));
        if (string.IsNullOrEmpty(purpose) || purpose.Contains('\0') || Encoding.UTF8.GetByteCount(purpose) > MaxPurposeBytes)
            throw new ArgumentException($"purpose must be 1 to {MaxPurposeBytes} bytes of UTF-8 without NUL", nameof(purpose));
        return new RawKeySource(key, version, purpose);
    }

    /// <summary>The keys of <paramref name="purpose"/> in <paramref name="keyring"/> (which stays the
    /// caller's: dispose the source first).</summary>
    public static KeySource FromKeyring(Keyring keyring, string purpose)
    {
        ArgumentNullException.ThrowIfNull(keyring);
        KeyNames.CheckPurpose(purpose);
        return new KeyringKeySource(keyring, purpose);
    }

    /// <summary>The version new ciphertexts are made under (no usage is counted).</summary>
    public abstract uint ActiveVersion { get; }

    /// <summary>The active version's field key, with <paramref name="count"/> encryptions of
    /// <paramref name="mode"/> counted against its usage limit.</summary>
    internal abstract FieldKey ActiveFieldKey(FieldMode mode, int count);

    /// <summary>The field key of <paramref name="version"/>; <see cref="KeyNotAvailableException"/>, saying
    /// why, when this source may not decrypt with it.</summary>
    internal abstract FieldKey RequireFieldKey(uint version);

    /// <summary>The field key of <paramref name="version"/> if this source may decrypt with it, else null.</summary>
    internal FieldKey? FindFieldKey(uint version)
    {
        try { return RequireFieldKey(version); }
        catch (KeyNotAvailableException) { return null; }
    }

    /// <summary>Field keys of every version that may still decrypt, newest first.</summary>
    internal abstract IEnumerable<FieldKey> DecryptableFieldKeys();

    /// <summary>The wrapper new messages' data keys go under (key name "purpose/vN", or "raw"). The caller disposes it.</summary>
    internal abstract RawAesKeyring ActiveWrapper();

    /// <summary>The wrapper of the key that <paramref name="keyName"/> names, if it is this source's
    /// and may decrypt; else null. The caller disposes it.</summary>
    internal abstract RawAesKeyring? FindWrapper(string keyName);

    /// <summary>The search keys (blind indexes, FF1) of the active version.</summary>
    internal abstract SearchKeys ActiveSearchKeys();

    /// <summary>The search keys of <paramref name="version"/>; <see cref="KeyNotAvailableException"/> when
    /// this source may not decrypt with it.</summary>
    internal abstract SearchKeys RequireSearchKeys(uint version);

    /// <summary>The versions that may still decrypt, newest first (the active one among them).</summary>
    public abstract IReadOnlyList<uint> DecryptableVersions();

    public virtual void Dispose() { }
}

// Raw AES keyring EDK form, aws-encryption-sdk-specification framework/raw-aes-keyring.md, with
// AES-256-GCM, 12-byte IV, 16-byte tag (the only wrapping suite we use):
//   key provider ID   = key namespace (UTF-8)
//   key provider info = key name (UTF-8) || tag length in bits u32 (128) || IV length u32 (12) || IV (12)
//   ciphertext        = AES-GCM(wrapping key, IV, AAD = serialized encryption context, data key) || tag
// Our key namespace is "phicrypto"; the key name names purpose and version ("files/v3"), or "raw" for a
// raw key exchanged with other systems.
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using PhiCrypto.Primitives;

namespace PhiCrypto.Messages;

/// <summary>Wraps data keys under one AES-256 key, in the raw AES keyring form any Encryption SDK reads.</summary>
public sealed class RawAesKeyring : IDataKeyWrapper, IDisposable
{
    public const string DefaultNamespace = "phicrypto";
    public const string DefaultKeyName = "raw";
    private const int TagBits = 128;

    private readonly Aes256Gcm _gcm;

    public RawAesKeyring(string keyNamespace, string keyName, ReadOnlySpan<byte> wrappingKey, AeadBackend? backend = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyNamespace);
        ArgumentException.ThrowIfNullOrEmpty(keyName);
        if (Encoding.UTF8.GetByteCount(keyNamespace) > ushort.MaxValue || Encoding.UTF8.GetByteCount(keyName) > ushort.MaxValue - 20)
            throw new ArgumentException("key namespace or name too long");
        KeyNamespace = keyNamespace;
        KeyName = keyName;
        _gcm = Aes256Gcm.Create(wrappingKey, backend);
    }

    public RawAesKeyring(string keyNamespace, string keyName, SecretKey wrappingKey, AeadBackend? backend = null)
        : this(keyNamespace, keyName, wrappingKey.Span, backend) { }

    public string KeyNamespace { get; }
    public string KeyName { get; }

    public EncryptedDataKey Wrap(ReadOnlySpan<byte> dataKey, ReadOnlySpan<byte> serializedContext)
    {
        Span<byte> iv = stackalloc byte[Aes256Gcm.NonceSize];
        RandomNumberGenerator.Fill(iv);
        var ciphertext = new byte[dataKey.Length + Aes256Gcm.TagSize];
        _gcm.Encrypt(iv, dataKey, serializedContext, ciphertext);
        return new EncryptedDataKey(KeyNamespace, BuildProviderInfo(KeyName, iv), ciphertext);
    }

    public bool TryUnwrap(EncryptedDataKey edk, ReadOnlySpan<byte> serializedContext, Span<byte> dataKey)
    {
        if (edk.ProviderId != KeyNamespace) return false;
        if (!TryParseProviderInfo(edk.ProviderInfo, out var name, out var iv) || name != KeyName) return false;
        if (edk.Ciphertext.Length != dataKey.Length + Aes256Gcm.TagSize) return false;
        return _gcm.TryDecrypt(iv, edk.Ciphertext, serializedContext, dataKey);
    }

    /// <summary>key name || 128 (u32) || 12 (u32) || IV.</summary>
    public static byte[] BuildProviderInfo(string keyName, ReadOnlySpan<byte> iv)
    {
        var name = Encoding.UTF8.GetBytes(keyName);
        var info = new byte[name.Length + 8 + iv.Length];
        name.CopyTo(info, 0);
        BinaryPrimitives.WriteUInt32BigEndian(info.AsSpan(name.Length), TagBits);
        BinaryPrimitives.WriteUInt32BigEndian(info.AsSpan(name.Length + 4), (uint)iv.Length);
        iv.CopyTo(info.AsSpan(name.Length + 8));
        return info;
    }

    /// <summary>Splits raw AES provider info; false unless it ends with tag 128 bits, IV length 12 and the IV.</summary>
    public static bool TryParseProviderInfo(ReadOnlySpan<byte> info, out string keyName, out ReadOnlySpan<byte> iv)
    {
        keyName = ""; iv = default;
        int nameLen = info.Length - 8 - Aes256Gcm.NonceSize;
        if (nameLen < 0) return false;
        if (BinaryPrimitives.ReadUInt32BigEndian(info[nameLen..]) != TagBits) return false;
        if (BinaryPrimitives.ReadUInt32BigEndian(info[(nameLen + 4)..]) != Aes256Gcm.NonceSize) return false;
        try { keyName = new UTF8Encoding(false, true).GetString(info[..nameLen]); }
        catch (DecoderFallbackException) { return false; }
        iv = info[(nameLen + 8)..];
        return true;
    }

    public void Dispose() => _gcm.Dispose();
}

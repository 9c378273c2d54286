// The streaming-message adapter of a key source: each message's data key is wrapped in the raw AES
// keyring form (aws-encryption-sdk-specification framework/raw-aes-keyring.md) under the source's
// active version (key namespace "phicrypto", key name "purpose/vN", or "raw" for a raw key), and an
// encrypted data key unwraps only when its key name is one of this source's versions. A message whose
// keys are all of another purpose fails with KeyNotAvailableException (MessageDecryptor).
using PhiCrypto.Messages;

namespace PhiCrypto.Keys;

/// <summary>A key source as a message data-key wrapper. Dispose it to zero the active wrapping key.</summary>
public sealed class KeySourceMessages(KeySource source) : IDataKeyWrapper, IDisposable
{
    private readonly object _gate = new();
    private RawAesKeyring? _active;

    /// <summary>The key name new messages are wrapped under ("files/v3"); fixed at first use.</summary>
    public string KeyName => Active().KeyName;

    public EncryptedDataKey Wrap(ReadOnlySpan<byte> dataKey, ReadOnlySpan<byte> serializedContext) => Active().Wrap(dataKey, serializedContext);

    public bool TryUnwrap(EncryptedDataKey edk, ReadOnlySpan<byte> serializedContext, Span<byte> dataKey)
    {
        if (edk.ProviderId != RawAesKeyring.DefaultNamespace || !RawAesKeyring.TryParseProviderInfo(edk.ProviderInfo, out string keyName, out _))
            return false;
        using var wrapper = source.FindWrapper(keyName);
        return wrapper is not null && wrapper.TryUnwrap(edk, serializedContext, dataKey);
    }

    private RawAesKeyring Active()
    {
        lock (_gate) return _active ??= source.ActiveWrapper();
    }

    public void Dispose()
    {
        lock (_gate) _active?.Dispose();
    }
}

public static class KeySourceMessageExtensions
{
    /// <summary>The message data-key wrapper of <paramref name="source"/> (dispose it after the message).</summary>
    public static KeySourceMessages MessageKeys(this KeySource source) => new(source);
}

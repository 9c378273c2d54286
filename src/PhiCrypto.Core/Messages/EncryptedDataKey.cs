// Encrypted data key (EDK), aws-encryption-sdk-specification framework/structures.md and
// data-format/message-header.md "Encrypted Data Key Entries":
//   providerIdLen u16 || providerId UTF-8 || providerInfoLen u16 || providerInfo || ciphertextLen u16 || ciphertext
// Every field is at most 65,535 bytes.
namespace PhiCrypto.Messages;

/// <summary>One wrapped copy of a message's data key, as stored in the header.</summary>
public sealed record EncryptedDataKey(string ProviderId, byte[] ProviderInfo, byte[] Ciphertext)
{
    public override string ToString() => $"EncryptedDataKey({ProviderId}, info {ProviderInfo.Length} B, ciphertext {Ciphertext.Length} B)";
}

/// <summary>
/// Wraps and unwraps a message's data key. A raw 32-byte AES key (<see cref="RawAesKeyring"/>) or an RSA key
/// (<see cref="RawRsaKeyring"/>) satisfies it; so does a keyring that picks the DEK version named in the EDK.
/// </summary>
public interface IDataKeyWrapper
{
    /// <summary>Wraps <paramref name="dataKey"/>; <paramref name="serializedContext"/> is the full context, serialized.</summary>
    EncryptedDataKey Wrap(ReadOnlySpan<byte> dataKey, ReadOnlySpan<byte> serializedContext);

    /// <summary>
    /// Unwraps <paramref name="edk"/> into <paramref name="dataKey"/> (exactly the suite's key length).
    /// Returns false when the EDK is not this wrapper's or does not authenticate; never throws for a foreign EDK.
    /// </summary>
    bool TryUnwrap(EncryptedDataKey edk, ReadOnlySpan<byte> serializedContext, Span<byte> dataKey);
}

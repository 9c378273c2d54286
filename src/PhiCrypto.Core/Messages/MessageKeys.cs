// Key derivation, aws-encryption-sdk-specification framework/transitive-requirements.md:
//   v2 (commitment): PRK = HKDF-Extract(SHA-512, salt = message ID (32), IKM = data key)
//                    derived key = HKDF-Expand(PRK, info = suite ID u16 || "DERIVEKEY", 32)
//                    commit key  = HKDF-Expand(PRK, info = "COMMITKEY", 32), compared in constant time
//   v1 HKDF:         derived key = HKDF(hash, salt = none (zeros), IKM = data key, info = suite ID u16 || message ID)
//   v1 identity KDF: derived key = data key
using System.Buffers.Binary;
using System.Security.Cryptography;
using PhiCrypto.Primitives;

namespace PhiCrypto.Messages;

internal static class MessageKeys
{
    public const int CommitKeyLength = 32;

    /// <summary>Derives the frame key from the data key; for committing suites also writes the commit key.</summary>
    public static void Derive(AlgorithmSuite suite, ReadOnlySpan<byte> dataKey, ReadOnlySpan<byte> messageId, Span<byte> derivedKey, Span<byte> commitKey)
    {
        if (dataKey.Length != suite.KeyLength || derivedKey.Length != suite.KeyLength) throw new ArgumentException("key length does not match the suite");
        if (suite.KdfHash is not { } hash) { dataKey.CopyTo(derivedKey); return; }
        Span<byte> suiteId = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(suiteId, suite.Id);
        if (!suite.Commits)
        {
            Span<byte> info = stackalloc byte[2 + messageId.Length];
            suiteId.CopyTo(info);
            messageId.CopyTo(info[2..]);
            Hkdf.DeriveKey(hash, dataKey, derivedKey, [], info);
            return;
        }
        Span<byte> prk = stackalloc byte[64];
        try
        {
            Hkdf.Extract(hash, dataKey, messageId, prk);
            Span<byte> info = stackalloc byte[2 + 9];
            suiteId.CopyTo(info);
            "DERIVEKEY"u8.CopyTo(info[2..]);
            Hkdf.Expand(hash, prk, derivedKey, info);
            Hkdf.Expand(hash, prk, commitKey[..CommitKeyLength], "COMMITKEY"u8);
        }
        finally { CryptographicOperations.ZeroMemory(prk); }
    }
}

// AWS Encryption SDK algorithm suites (aws-encryption-sdk-specification framework/algorithm-suites.md and
// framework/transitive-requirements.md). All ESDK suites use AES-GCM with a 12-byte IV and a 16-byte tag.
// Format v1: 0x0014/0046/0078 (identity KDF), 0x0114/0146/0178 (HKDF-SHA-256),
//            0x0214 (HKDF-SHA-256 + ECDSA P-256), 0x0346/0378 (HKDF-SHA-384 + ECDSA P-384).
// Format v2: 0x0478 (HKDF-SHA-512, key commitment), 0x0578 (the same + ECDSA P-384).
// We write only 0x0478 and 0x0578; we read all eleven.
using System.Security.Cryptography;

namespace PhiCrypto.Messages;

/// <summary>Which elliptic curve signs the message, if any.</summary>
public enum SignatureCurve { None, P256, P384 }

/// <summary>One algorithm suite of the message format.</summary>
public sealed class AlgorithmSuite
{
    public const int IvLength = 12;
    public const int TagLength = 16;

    private AlgorithmSuite(ushort id, int version, int keyLength, HashAlgorithmName? kdf, bool commits, SignatureCurve curve)
    {
        Id = id; MessageFormatVersion = version; KeyLength = keyLength; KdfHash = kdf; Commits = commits; Curve = curve;
    }

    public ushort Id { get; }
    /// <summary>1 or 2: the header layout this suite uses.</summary>
    public int MessageFormatVersion { get; }
    /// <summary>Data key and derived key length in bytes (16, 24 or 32).</summary>
    public int KeyLength { get; }
    /// <summary>HKDF hash, or null for the identity KDF (legacy suites).</summary>
    public HashAlgorithmName? KdfHash { get; }
    /// <summary>True for the v2 suites: the header carries a 32-byte commitment to the data key.</summary>
    public bool Commits { get; }
    public SignatureCurve Curve { get; }
    public bool IsSigned => Curve != SignatureCurve.None;
    /// <summary>Length of the header's algorithm suite data (the commit key): 32 for v2, none for v1.</summary>
    public int SuiteDataLength => Commits ? 32 : 0;
    /// <summary>Message ID length: 16 bytes in v1, 32 in v2.</summary>
    public int MessageIdLength => MessageFormatVersion == 1 ? 16 : 32;
    public HashAlgorithmName SignatureHash => Curve == SignatureCurve.P256 ? HashAlgorithmName.SHA256 : HashAlgorithmName.SHA384;

    public string Name => Id switch
    {
        0x0478 => "AES256_GCM_HKDF_SHA512_COMMIT_KEY",
        0x0578 => "AES256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384",
        _ => $"AES{KeyLength * 8}_GCM_IV12_TAG16_{(KdfHash is { } h ? "HKDF_" + h.Name : "NO_KDF")}{(IsSigned ? "_ECDSA_" + Curve : "")}",
    };

    public override string ToString() => $"0x{Id:X4} {Name}";

    /// <summary>The default: AES-256-GCM, HKDF-SHA-512, key commitment, no signature.</summary>
    public static AlgorithmSuite Committing { get; } = new(0x0478, 2, 32, HashAlgorithmName.SHA512, true, SignatureCurve.None);
    /// <summary>The signed variant: as <see cref="Committing"/> plus an ECDSA P-384 footer signature.</summary>
    public static AlgorithmSuite CommittingSigned { get; } = new(0x0578, 2, 32, HashAlgorithmName.SHA512, true, SignatureCurve.P384);

    private static readonly AlgorithmSuite[] All =
    [
        new(0x0014, 1, 16, null, false, SignatureCurve.None),
        new(0x0046, 1, 24, null, false, SignatureCurve.None),
        new(0x0078, 1, 32, null, false, SignatureCurve.None),
        new(0x0114, 1, 16, HashAlgorithmName.SHA256, false, SignatureCurve.None),
        new(0x0146, 1, 24, HashAlgorithmName.SHA256, false, SignatureCurve.None),
        new(0x0178, 1, 32, HashAlgorithmName.SHA256, false, SignatureCurve.None),
        new(0x0214, 1, 16, HashAlgorithmName.SHA256, false, SignatureCurve.P256),
        new(0x0346, 1, 24, HashAlgorithmName.SHA384, false, SignatureCurve.P384),
        new(0x0378, 1, 32, HashAlgorithmName.SHA384, false, SignatureCurve.P384),
        Committing,
        CommittingSigned,
    ];

    /// <summary>Every suite this library reads.</summary>
    public static IReadOnlyList<AlgorithmSuite> Supported => All;

    /// <summary>The suite with this ID, or null when it is not an ESDK suite we read.</summary>
    public static AlgorithmSuite? Find(ushort id)
    {
        foreach (var s in All) if (s.Id == id) return s;
        return null;
    }
}

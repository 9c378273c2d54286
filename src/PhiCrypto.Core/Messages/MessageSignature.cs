// Footer signature, aws-encryption-sdk-specification data-format/message-footer.md and
// framework/default-cmm.md: ECDSA (P-256/SHA-256 for 0x0214, P-384/SHA-384 otherwise) over the serialized
// header and body, DER-encoded ECDSA-Sig-Value (SEC 1 C.5); footer = signature length u16 || signature.
// The verification key travels in the encryption context under "aws-crypto-public-key" as base64 of the
// SEC 1 compressed point (02/03 || X). .NET imports only uncompressed points, so we decompress:
// y = sqrt(x^3 - 3x + b) mod p, which is (x^3 - 3x + b)^((p+1)/4) since p = 3 mod 4 for both curves.
using System.Numerics;
using System.Security.Cryptography;

namespace PhiCrypto.Messages;

/// <summary>Hashes a message as it streams and signs or verifies it at the end.</summary>
internal sealed class MessageSignature : IDisposable
{
    public const int MaxSignatureLength = 2 + 2 * (2 + 1 + 66) + 2; // DER bound for P-521 and below

    private readonly ECDsa _key;
    private readonly IncrementalHash _hash;
    private readonly AlgorithmSuite _suite;

    private MessageSignature(AlgorithmSuite suite, ECDsa key)
    {
        _suite = suite; _key = key;
        _hash = IncrementalHash.CreateHash(suite.SignatureHash);
    }

    /// <summary>A fresh signing key for the suite; <paramref name="publicKey"/> is the context value to store.</summary>
    public static MessageSignature CreateSigner(AlgorithmSuite suite, out string publicKey)
    {
        var key = ECDsa.Create(CurveOf(suite));
        publicKey = Convert.ToBase64String(Compress(key.ExportParameters(false)));
        return new MessageSignature(suite, key);
    }

    /// <summary>A verifier from the stored context value; MalformedData when it is not a point on the curve.</summary>
    public static MessageSignature CreateVerifier(AlgorithmSuite suite, string publicKey)
    {
        byte[] point;
        try { point = Convert.FromBase64String(publicKey); }
        catch (FormatException) { throw new MalformedDataException("signature public key is not base64"); }
        var parameters = Decompress(CurveOf(suite), suite.Curve == SignatureCurve.P256 ? 32 : 48, point);
        try { return new MessageSignature(suite, ECDsa.Create(parameters)); }
        catch (CryptographicException) { throw new MalformedDataException("signature public key is not a point on the curve"); }
    }

    public void Append(ReadOnlySpan<byte> data) => _hash.AppendData(data);

    /// <summary>Signs everything appended; DER-encoded.</summary>
    public byte[] Sign()
    {
        Span<byte> digest = stackalloc byte[64];
        int n = _hash.GetHashAndReset(digest);
        return _key.SignHash(digest[..n], DSASignatureFormat.Rfc3279DerSequence);
    }

    public bool Verify(ReadOnlySpan<byte> signature)
    {
        Span<byte> digest = stackalloc byte[64];
        int n = _hash.GetHashAndReset(digest);
        try { return _key.VerifyHash(digest[..n], signature, DSASignatureFormat.Rfc3279DerSequence); }
        catch (CryptographicException) { return false; }
    }

    public void Dispose() { _key.Dispose(); _hash.Dispose(); }

    private static ECCurve CurveOf(AlgorithmSuite suite) => suite.Curve == SignatureCurve.P256 ? ECCurve.NamedCurves.nistP256 : ECCurve.NamedCurves.nistP384;

    private static byte[] Compress(ECParameters p)
    {
        var x = p.Q.X!;
        var output = new byte[x.Length + 1];
        output[0] = (byte)(0x02 | (p.Q.Y![^1] & 1));
        x.CopyTo(output, 1);
        return output;
    }

    private static ECParameters Decompress(ECCurve curve, int size, byte[] point)
    {
        if (point.Length != size + 1 || point[0] is not (0x02 or 0x03)) throw new MalformedDataException("signature public key is not a compressed point");
        var (p, b) = size == 32 ? (P256, B256) : (P384, B384);
        var x = new BigInteger(point.AsSpan(1), isUnsigned: true, isBigEndian: true);
        if (x >= p) throw new MalformedDataException("signature public key is not a point on the curve");
        var rhs = ((BigInteger.ModPow(x, 3, p) - 3 * x + b) % p + p) % p;
        var y = BigInteger.ModPow(rhs, (p + 1) / 4, p);
        if (BigInteger.ModPow(y, 2, p) != rhs) throw new MalformedDataException("signature public key is not a point on the curve");
        if ((y.IsEven ? 0 : 1) != (point[0] & 1)) y = p - y;
        var yBytes = new byte[size];
        y.TryWriteBytes(yBytes.AsSpan(size - y.GetByteCount(isUnsigned: true)), out _, isUnsigned: true, isBigEndian: true);
        return new ECParameters { Curve = curve, Q = new ECPoint { X = point[1..], Y = yBytes } };
    }

    private static readonly BigInteger P256 = Hex("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff");
    private static readonly BigInteger B256 = Hex("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b");
    private static readonly BigInteger P384 = Hex("fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff");
    private static readonly BigInteger B384 = Hex("b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aef");

    private static BigInteger Hex(string h) => new(Convert.FromHexString(h), isUnsigned: true, isBigEndian: true);
}

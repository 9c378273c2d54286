// A KEK held in process memory (from the environment or derived from a passphrase). Wraps with
// AES-KWP (RFC 5649) and unwraps KWP or KW (RFC 3394), all through PhiCrypto.Primitives.AesKeyWrap
// (AES-NI round keys per call, about 1-3 us; OpenSSL in FIPS mode).
using System.Security.Cryptography;
using PhiCrypto.Primitives;

namespace PhiCrypto.Keys;

public sealed class SoftwareKek : IKek
{
    private static readonly IReadOnlyDictionary<string, string> NoSettings = new Dictionary<string, string>();
    private readonly SecretKey _key;
    private readonly byte[] _kcv;

    /// <summary>A KEK from 32 key bytes; the caller zeroes its own copy.</summary>
    public SoftwareKek(string id, ReadOnlySpan<byte> key, IReadOnlyDictionary<string, string>? storeSettings = null)
    {
        if (key.Length != 32) throw new ArgumentException("a KEK is 32 bytes (AES-256)", nameof(key));
        ArgumentException.ThrowIfNullOrEmpty(id);
        Id = id;
        _key = SecretKey.Import(key);
        _kcv = KeyCheckValue.Compute(key);
        StoreSettings = storeSettings ?? NoSettings;
    }

    public string Id { get; }
    public ReadOnlySpan<byte> CheckValue => _kcv;
    public IReadOnlyDictionary<string, string> StoreSettings { get; }

    public (WrapAlgorithm Algorithm, byte[] Wrapped) Wrap(ReadOnlySpan<byte> dek)
    {
        var wrapped = new byte[AesKeyWrap.WrappedLengthPadded(dek.Length)];
        AesKeyWrap.WrapPadded(_key.Span, dek, wrapped);
        return (WrapAlgorithm.AesKwp, wrapped);
    }

    public void Unwrap(WrapAlgorithm algorithm, ReadOnlySpan<byte> wrapped, Span<byte> dek)
    {
        try { UnwrapCore(algorithm, wrapped, dek); }
        catch (AuthenticationFailedException) { CryptographicOperations.ZeroMemory(dek); throw; }
    }

    private void UnwrapCore(WrapAlgorithm algorithm, ReadOnlySpan<byte> wrapped, Span<byte> dek)
    {
        switch (algorithm)
        {
            case WrapAlgorithm.AesKwp:
                if (wrapped.Length != AesKeyWrap.WrappedLengthPadded(dek.Length)) throw new AuthenticationFailedException();
                Span<byte> buffer = stackalloc byte[wrapped.Length - AesKeyWrap.Overhead];
                try
                {
                    if (AesKeyWrap.UnwrapPadded(_key.Span, wrapped, buffer) != dek.Length) throw new AuthenticationFailedException();
                    buffer[..dek.Length].CopyTo(dek);
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(buffer);
                }
                break;
            case WrapAlgorithm.AesKw:
                if (wrapped.Length != dek.Length + AesKeyWrap.Overhead) throw new AuthenticationFailedException();
                AesKeyWrap.Unwrap(_key.Span, wrapped, dek);
                break;
            default:
                throw new MalformedDataException("unknown key wrap algorithm");
        }
    }

    public override string ToString() => $"SoftwareKek({Id})";

    public void Dispose() => _key.Dispose();
}

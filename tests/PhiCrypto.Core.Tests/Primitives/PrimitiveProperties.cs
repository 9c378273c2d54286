// FsCheck properties: the two AES-GCM backends agree byte for byte; AES-SIV round-trips and its two
// block backends agree; every single-bit flip is rejected; KWP round-trips and matches .NET's own KWP;
// streaming CMAC equals one-shot.
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using PhiCrypto.Primitives;

namespace PhiCrypto.Tests.Primitives;

public sealed record Key32(byte[] Bytes) { public override string ToString() => Convert.ToHexString(Bytes); }
public sealed record Key64(byte[] Bytes) { public override string ToString() => Convert.ToHexString(Bytes); }
public sealed record Nonce12(byte[] Bytes) { public override string ToString() => Convert.ToHexString(Bytes); }

public static class CryptoArbitraries
{
    private static Gen<byte[]> Bytes(int n) => ArbMap.Default.GeneratorFor<byte>().ArrayOf(n);
    public static Arbitrary<Key32> Key32() => Bytes(32).Select(b => new Key32(b)).ToArbitrary();
    public static Arbitrary<Key64> Key64() => Bytes(64).Select(b => new Key64(b)).ToArbitrary();
    public static Arbitrary<Nonce12> Nonce12() => Bytes(12).Select(b => new Nonce12(b)).ToArbitrary();
}

[Properties(Arbitrary = [typeof(CryptoArbitraries)], MaxTest = 200)]
public class PrimitiveProperties
{
    [Property]
    public bool GcmBackendsAgree(Key32 key, Nonce12 nonce, byte[] plaintext, byte[] ad)
    {
        if (CryptoPolicy.FipsMode) return true; // the Sodium backend is refused in FIPS mode
        using var sodium = Aes256Gcm.Create(key.Bytes, AeadBackend.Sodium);
        using var openSsl = Aes256Gcm.Create(key.Bytes, AeadBackend.OpenSsl);
        var a = new byte[plaintext.Length + 16];
        var b = new byte[plaintext.Length + 16];
        sodium.Encrypt(nonce.Bytes, plaintext, ad, a);
        openSsl.Encrypt(nonce.Bytes, plaintext, ad, b);
        var back = new byte[plaintext.Length];
        return a.AsSpan().SequenceEqual(b)
            && openSsl.TryDecrypt(nonce.Bytes, a, ad, back) && back.AsSpan().SequenceEqual(plaintext)
            && sodium.TryDecrypt(nonce.Bytes, b, ad, back) && back.AsSpan().SequenceEqual(plaintext);
    }

    [Property]
    public bool GcmRejectsEveryBitFlip(Key32 key, Nonce12 nonce, byte[] plaintext, byte[] ad, PositiveInt bit)
    {
        using var gcm = Aes256Gcm.Create(key.Bytes);
        var ct = new byte[plaintext.Length + 16];
        gcm.Encrypt(nonce.Bytes, plaintext, ad, ct);
        int i = bit.Get % (ct.Length * 8);
        ct[i / 8] ^= (byte)(1 << (i % 8));
        var back = new byte[plaintext.Length];
        return !gcm.TryDecrypt(nonce.Bytes, ct, ad, back) && back.All(x => x == 0);
    }

    [Property]
    public bool SivRoundTripsAndBackendsAgree(Key64 key, byte[] plaintext, byte[] ad)
    {
        using var fast = Aes256Siv.Create(key.Bytes);
        using var openSsl = Aes256Siv.Create(key.Bytes, forceOpenSsl: true);
        var a = fast.Encrypt(plaintext, ad);
        var b = openSsl.Encrypt(plaintext, ad);
        return a.AsSpan().SequenceEqual(b)
            && fast.Decrypt(b, ad).AsSpan().SequenceEqual(plaintext)
            && openSsl.Decrypt(a, ad).AsSpan().SequenceEqual(plaintext);
    }

    [Property]
    public bool SivRejectsEveryBitFlip(Key64 key, byte[] plaintext, byte[] ad, PositiveInt bit)
    {
        using var siv = Aes256Siv.Create(key.Bytes);
        var ct = siv.Encrypt(plaintext, ad);
        int i = bit.Get % (ct.Length * 8);
        ct[i / 8] ^= (byte)(1 << (i % 8));
        var back = new byte[plaintext.Length];
        return !siv.TryDecrypt(ct, ad, back) && back.All(x => x == 0);
    }

    [Property]
    public bool SivIsDeterministicAndBindsAd(Key64 key, byte[] plaintext, byte[] ad, byte extra)
    {
        using var siv = Aes256Siv.Create(key.Bytes);
        byte[] otherAd = [.. ad, extra];
        return siv.Encrypt(plaintext, ad).AsSpan().SequenceEqual(siv.Encrypt(plaintext, ad))
            && !siv.Encrypt(plaintext, ad).AsSpan().SequenceEqual(siv.Encrypt(plaintext, otherAd));
    }

    [Property]
    public bool KwpRoundTrips(Key32 kek, NonEmptyArray<byte> key)
    {
        var wrapped = AesKeyWrap.WrapPadded(kek.Bytes, key.Get);
        return wrapped.Length == AesKeyWrap.WrappedLengthPadded(key.Get.Length)
            && AesKeyWrap.UnwrapPadded(kek.Bytes, wrapped).AsSpan().SequenceEqual(key.Get);
    }

    [Property] // .NET 10's own RFC 5649 implementation as an independent reference, both ways
    public bool KwpMatchesTheBcl(Key32 kek, NonEmptyArray<byte> key)
    {
        using var bcl = System.Security.Cryptography.Aes.Create();
        bcl.Key = kek.Bytes;
        var ours = AesKeyWrap.WrapPadded(kek.Bytes, key.Get);
        return ours.AsSpan().SequenceEqual(bcl.EncryptKeyWrapPadded(key.Get))
            && bcl.DecryptKeyWrapPadded(ours).AsSpan().SequenceEqual(key.Get);
    }

    [Property]
    public bool StreamingCmacEqualsOneShot(Key32 key, byte[] a, byte[] b, bool openSsl)
    {
        using var cmac = AesCmac.CreateCore(key.Bytes, openSsl);
        var state = new AesCmac.State(cmac);
        state.Update(a);
        state.Update(b);
        var streamed = new byte[16];
        state.Final(streamed);
        return streamed.AsSpan().SequenceEqual(cmac.Compute([.. a, .. b]));
    }
}

using System.Security.Cryptography;
using PhiCrypto.Keys;
using PhiCrypto.Primitives;

namespace PhiCrypto.Core.Tests.Keys;

public class SoftwareKekTests
{
    [Fact]
    public void Unwrap_inverts_the_primitives_rfc5649_wrap_and_refuses_every_flipped_bit()
    {
        for (int round = 0; round < 50; round++)
        {
            var kekBytes = RandomNumberGenerator.GetBytes(32);
            var dek = RandomNumberGenerator.GetBytes(32);
            using var kek = new SoftwareKek("env:T", kekBytes);
            var wrapped = AesKeyWrap.WrapPadded(kekBytes, dek);
            Assert.Equal(wrapped, kek.Wrap(dek).Wrapped);
            var back = new byte[32];
            kek.Unwrap(WrapAlgorithm.AesKwp, wrapped, back);
            Assert.Equal(dek, back);
            int bit = RandomNumberGenerator.GetInt32(wrapped.Length * 8);
            wrapped[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.Throws<AuthenticationFailedException>(() => kek.Unwrap(WrapAlgorithm.AesKwp, wrapped, back));
            Assert.All(back, b => Assert.Equal(0, b));
        }
    }

    [Fact]
    public void Unwrap_refuses_a_shorter_key_padded_to_the_same_length_and_wrong_sizes()
    {
        var kekBytes = RandomNumberGenerator.GetBytes(32);
        using var kek = new SoftwareKek("env:T", kekBytes);
        var back = new byte[32];
        var shorter = AesKeyWrap.WrapPadded(kekBytes, RandomNumberGenerator.GetBytes(31)); // 40 bytes, MLI 31
        Assert.Equal(40, shorter.Length);
        Assert.Throws<AuthenticationFailedException>(() => kek.Unwrap(WrapAlgorithm.AesKwp, shorter, back));
        Assert.Throws<AuthenticationFailedException>(() => kek.Unwrap(WrapAlgorithm.AesKwp, new byte[48], back));
        Assert.Throws<AuthenticationFailedException>(() => kek.Unwrap(WrapAlgorithm.AesKwp, RandomNumberGenerator.GetBytes(40), back));
        using var other = new SoftwareKek("env:O", RandomNumberGenerator.GetBytes(32));
        Assert.Throws<AuthenticationFailedException>(() => other.Unwrap(WrapAlgorithm.AesKwp, AesKeyWrap.WrapPadded(kekBytes, back), back));
    }

    [Fact]
    public void Kw_records_unwrap_too()
    {
        var kekBytes = RandomNumberGenerator.GetBytes(32);
        var dek = RandomNumberGenerator.GetBytes(32);
        var wrapped = new byte[40];
        AesKeyWrap.Wrap(kekBytes, dek, wrapped);
        using var kek = new SoftwareKek("env:T", kekBytes);
        var back = new byte[32];
        kek.Unwrap(WrapAlgorithm.AesKw, wrapped, back);
        Assert.Equal(dek, back);
    }

    [Fact]
    public void Unwrap_is_safe_from_many_threads()
    {
        var kekBytes = RandomNumberGenerator.GetBytes(32);
        using var kek = new SoftwareKek("env:T", kekBytes);
        var pairs = Enumerable.Range(0, 8).Select(_ => { var d = RandomNumberGenerator.GetBytes(32); return (d, kek.Wrap(d).Wrapped); }).ToArray();
        Parallel.For(0, 4000, i =>
        {
            var (dek, wrapped) = pairs[i % pairs.Length];
            var back = new byte[32];
            kek.Unwrap(WrapAlgorithm.AesKwp, wrapped, back);
            if (!back.AsSpan().SequenceEqual(dek)) throw new InvalidOperationException("mismatch");
        });
    }
}

using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using PhiCrypto.Fields;
using PhiCrypto.Primitives;

namespace PhiCrypto.Tests.Fields;

public class FieldPropertyTests
{
    private static readonly SecretKey Dek = SecretKey.Generate();
    private static readonly FieldKey Key = FieldKey.Create(Dek, 5);

    // Lengths log-uniform from 0 to 1 MiB, so small and large values are both exercised.
    private static byte[] Bytes(int seed, int maxLog2)
    {
        var rng = new Random(seed);
        int length = rng.Next(4) == 0 ? 0 : (int)Math.Min(1 << 20, Math.Pow(2, rng.NextDouble() * maxLog2));
        var b = new byte[length];
        rng.NextBytes(b);
        return b;
    }

    [Property(MaxTest = 60)]
    public void Round_trip_any_plaintext_and_ad(int seed, bool deterministic)
    {
        var mode = deterministic ? FieldMode.Deterministic : FieldMode.Randomized;
        var pt = Bytes(seed, 20);
        var ad = Bytes(seed ^ 0x5A5A, 12);
        var env = FieldEnvelope.Encrypt(Key, mode, "prop.purpose", pt, ad);
        Assert.Equal(pt, FieldEnvelope.Decrypt(Key, "prop.purpose", env, ad));
    }

    [Property(MaxTest = 40)]
    public void Every_single_bit_flip_fails_authentication(NonEmptyString value, bool deterministic)
    {
        var mode = deterministic ? FieldMode.Deterministic : FieldMode.Randomized;
        var env = FieldEnvelope.Encrypt(Key, mode, "p", System.Text.Encoding.UTF8.GetBytes(value.Get), "ad"u8);
        for (int bit = 0; bit < env.Length * 8; bit++)
        {
            var copy = (byte[])env.Clone();
            copy[bit / 8] ^= (byte)(1 << (bit % 8));
            var e = Record.Exception(() => FieldEnvelope.Decrypt(Key, "p", copy, "ad"u8));
            // The first byte holds format, mode and version: a flip there may read as another
            // format or a key we do not hold; it never decrypts.
            Assert.True(e is AuthenticationFailedException || (bit < 8 && e is MalformedDataException or KeyNotAvailableException), $"bit {bit}: {e?.GetType().Name ?? "decrypted"}");
        }
    }

    [Property(MaxTest = 200)]
    public void Deterministic_envelopes_equal_exactly_when_inputs_equal(byte[] pt1, byte[] pt2, bool sameAd, bool samePurpose)
    {
        var e1 = FieldEnvelope.Encrypt(Key, FieldMode.Deterministic, "p1", pt1, "ad"u8);
        var e2 = FieldEnvelope.Encrypt(Key, FieldMode.Deterministic, samePurpose ? "p1" : "p2", pt2, sameAd ? "ad"u8 : "ae"u8);
        bool inputsEqual = pt1.AsSpan().SequenceEqual(pt2) && sameAd && samePurpose;
        Assert.Equal(inputsEqual, e1.AsSpan().SequenceEqual(e2));
    }
}

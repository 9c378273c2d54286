// Use after dispose (issue 12, section 1). The attack: a disposed AES-SIV key used to keep
// encrypting with all-zero round keys, a public permutation, so the "ciphertext" no longer depended on
// the key at all: two different disposed keys gave the same bytes. Every primitive must now refuse.
using System.Security.Cryptography;
using PhiCrypto.Fields;
using PhiCrypto.Primitives;

namespace PhiCrypto.Core.Tests.Primitives;

public class UseAfterDisposeTests
{
    private static readonly byte[] Plaintext = "123-45-6789"u8.ToArray();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Disposed_siv_keys_do_not_encrypt_to_a_key_independent_value(bool openSsl)
    {
        var a = Aes256Siv.Create(RandomNumberGenerator.GetBytes(64), openSsl);
        var b = Aes256Siv.Create(RandomNumberGenerator.GetBytes(64), openSsl);
        a.Dispose();
        b.Dispose();
        // On the old code both calls returned, and returned the same bytes: a public function of the plaintext.
        Assert.Throws<ObjectDisposedException>(() => a.Encrypt(Plaintext, "ad"u8));
        Assert.Throws<ObjectDisposedException>(() => b.Encrypt(Plaintext, "ad"u8));
    }

    [Fact]
    public void Every_siv_entry_refuses_after_dispose()
    {
        var siv = Aes256Siv.Create(RandomNumberGenerator.GetBytes(64));
        var envelope = siv.Encrypt(Plaintext, "ad"u8);
        siv.Dispose();
        var output = new byte[Plaintext.Length + 16];
        var plain = new byte[Plaintext.Length];
        ReadOnlyMemory<byte>[] components = ["ad"u8.ToArray()];
        Assert.Throws<ObjectDisposedException>(() => siv.Encrypt(Plaintext, "ad"u8, output));
        Assert.Throws<ObjectDisposedException>(() => siv.Encrypt(Plaintext, components, output));
        Assert.Throws<ObjectDisposedException>(() => siv.TryDecrypt(envelope, "ad"u8, plain));
        Assert.Throws<ObjectDisposedException>(() => siv.TryDecrypt(envelope, components, plain));
        Assert.Throws<ObjectDisposedException>(() => siv.Decrypt(envelope, "ad"u8));
        Assert.All(output, b => Assert.Equal(0, b));
    }

    [Fact]
    public void Cmac_refuses_after_dispose()
    {
        var cmac = AesCmac.Create(RandomNumberGenerator.GetBytes(32));
        var tag = cmac.Compute(Plaintext);
        cmac.Dispose();
        Assert.Throws<ObjectDisposedException>(() => cmac.Compute(Plaintext));
        Assert.Throws<ObjectDisposedException>(() => cmac.Compute(Plaintext, new byte[16]));
        Assert.Throws<ObjectDisposedException>(() => cmac.Verify(Plaintext, tag));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Block_cipher_refuses_after_dispose(bool openSsl)
    {
        var cipher = AesBlockCipher.Create(RandomNumberGenerator.GetBytes(32), openSsl);
        cipher.Dispose();
        var block = new byte[16];
        Assert.Throws<ObjectDisposedException>(() => cipher.EncryptBlock(block, block));
        Assert.Throws<ObjectDisposedException>(() => cipher.DecryptBlock(block, block));
        Assert.Throws<ObjectDisposedException>(() => cipher.CbcMac(block, new byte[16]));
        Assert.Throws<ObjectDisposedException>(() => cipher.Ctr64(block, new byte[16], new byte[16]));
    }

    [Theory]
    [InlineData(AeadBackend.Sodium)]
    [InlineData(AeadBackend.OpenSsl)]
    public void Gcm_refuses_after_dispose(AeadBackend backend)
    {
        var gcm = Aes256Gcm.Create(RandomNumberGenerator.GetBytes(32), backend);
        var nonce = new byte[12];
        var sealedBytes = new byte[Plaintext.Length + 16];
        gcm.Encrypt(nonce, Plaintext, default, sealedBytes);
        gcm.Dispose();
        Assert.Throws<ObjectDisposedException>(() => gcm.Encrypt(nonce, Plaintext, default, new byte[Plaintext.Length + 16]));
        Assert.Throws<ObjectDisposedException>(() => gcm.TryDecrypt(nonce, sealedBytes, default, new byte[Plaintext.Length]));
    }

    [Theory]
    [InlineData(FieldMode.Deterministic)]
    [InlineData(FieldMode.Randomized)]
    public void Field_key_refuses_after_dispose_in_both_modes(FieldMode mode)
    {
        var key = FieldKey.Create(RandomNumberGenerator.GetBytes(32), 1);
        var envelope = FieldEnvelope.Encrypt(key, mode, "clinic.Patient.ssn", Plaintext);
        key.Dispose();
        Assert.Throws<ObjectDisposedException>(() => FieldEnvelope.Encrypt(key, mode, "clinic.Patient.ssn", Plaintext));
        Assert.Throws<ObjectDisposedException>(() => FieldEnvelope.Decrypt(key, "clinic.Patient.ssn", envelope));
        int[] lengths = [Plaintext.Length];
        var envelopes = new byte[FieldBatch.GetEnvelopesLength(mode, 1, lengths)];
        Assert.Throws<ObjectDisposedException>(() =>
            FieldBatch.Encrypt(key, mode, "clinic.Patient.ssn"u8, Plaintext, lengths, default, envelopes, new int[1]));
        Assert.All(envelopes, b => Assert.Equal(0, b));
    }

    [Fact]
    public void Secret_key_refuses_after_dispose()
    {
        var key = SecretKey.Generate();
        key.Dispose();
        Assert.Throws<ObjectDisposedException>(() => key.Export(new byte[32]));
        Assert.Throws<ObjectDisposedException>(() => Aes256Gcm.Create(key));
        Assert.Throws<ObjectDisposedException>(() => FieldKey.Create(key, 1));
    }
}

using System.Buffers.Binary;
using System.Security.Cryptography;
using PhiCrypto.Messages;
using static PhiCrypto.Tests.Messages.MessageFixture;

namespace PhiCrypto.Tests.Messages;

/// <summary>
/// Legacy non-framed bodies (content type 01) are read, never written. No SDK writes them any more, so this
/// test builds one by hand from the specification with the BCL's HKDF and AesGcm, independently of our writer.
/// </summary>
public class NonFramedTests
{
    private static byte[] BuildNonFramed(byte[] plaintext)
    {
        var dataKey = RandomNumberGenerator.GetBytes(32);
        var messageId = RandomNumberGenerator.GetBytes(32);
        var edk = Keyring.Wrap(dataKey, []);
        var prk = HKDF.Extract(HashAlgorithmName.SHA512, dataKey, messageId);
        var key = HKDF.Expand(HashAlgorithmName.SHA512, prk, 32, [0x04, 0x78, .. "DERIVEKEY"u8]);
        var commit = HKDF.Expand(HashAlgorithmName.SHA512, prk, 32, "COMMITKEY"u8.ToArray());
        var body = new List<byte> { 0x02, 0x04, 0x78 };
        body.AddRange(messageId);
        body.AddRange(new byte[] { 0, 0, 0, 1 });                       // empty context, one EDK
        foreach (var field in new[] { System.Text.Encoding.UTF8.GetBytes(edk.ProviderId), edk.ProviderInfo, edk.Ciphertext })
        {
            body.Add((byte)(field.Length >> 8)); body.Add((byte)field.Length); body.AddRange(field);
        }
        body.AddRange(new byte[] { 0x01, 0, 0, 0, 0 });                 // non-framed, frame length 0
        body.AddRange(commit);
        using var gcm = new AesGcm(key, 16);
        var headerTag = new byte[16];
        gcm.Encrypt(new byte[12], Array.Empty<byte>(), Array.Empty<byte>(), headerTag, body.ToArray());
        var iv = new byte[12]; iv[11] = 1;
        var length = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(length, (ulong)plaintext.Length);
        byte[] aad = [.. messageId, .. "AWSKMSEncryptionClient Single Block"u8, 0, 0, 0, 1, .. length];
        var ciphertext = new byte[plaintext.Length];
        var tag = new byte[16];
        gcm.Encrypt(iv, plaintext, ciphertext, tag, aad);
        return [.. body, .. headerTag, .. iv, .. length, .. ciphertext, .. tag];
    }

    [Fact]
    public void NonFramedMessageDecrypts()
    {
        var plaintext = Plaintext(10_000);
        var message = BuildNonFramed(plaintext);
        Assert.Equal(plaintext, Decrypt(message));
        Assert.Equal(plaintext, DecryptPipelined(message));
        Assert.Equal(ContentType.NonFramed, MessageInspector.Describe(new MemoryStream(message)).Header.ContentType);
        Assert.Throws<MalformedDataException>(() => new SeekableMessageReader(new MemoryStream(message), DecryptOptions()));
    }

    [Fact]
    public void TamperedOrOversizedNonFramedBodyIsRefused()
    {
        var message = BuildNonFramed(Plaintext(1000));
        message[^20] ^= 1;
        Assert.Throws<AuthenticationFailedException>(() => Decrypt(message));
        var big = BuildNonFramed(Plaintext(5000));
        Assert.Throws<MalformedDataException>(() => Message.Decrypt(big, new MessageDecryptOptions { Wrappers = [Keyring], MaxNonFramedLength = 4999 }));
    }
}

// What every KEK must do, one suite run by each (env and passphrase in PhiCrypto.Core.Tests, PKCS#11 on
// SoftHSM2 in PhiCrypto.Pkcs11.Tests): wrap and unwrap 32-byte DEKs, refuse an altered wrapping with
// AuthenticationFailedException, keep a stable 3-byte check value, and carry a keyring through create,
// reopen, rotation and a rewrap to another KEK with its integrity key.
using System.Security.Cryptography;
using PhiCrypto.Fields;
using PhiCrypto.Keys;

namespace PhiCrypto.Keys.Conformance;

public abstract class KekConformance
{
    /// <summary>A handle on the KEK under test; two calls give the same key.</summary>
    protected abstract IKek Kek();

    [Fact]
    public void Wraps_and_unwraps_a_dek_and_refuses_an_altered_wrapping()
    {
        using var kek = Kek();
        var dek = RandomNumberGenerator.GetBytes(32);
        var (algorithm, wrapped) = kek.Wrap(dek);
        var back = new byte[32];
        kek.Unwrap(algorithm, wrapped, back);
        Assert.Equal(dek, back);
        wrapped[^1] ^= 1;
        Assert.Throws<AuthenticationFailedException>(() => kek.Unwrap(algorithm, wrapped, back));
    }

    [Fact]
    public void Check_value_is_three_bytes_and_the_same_for_every_handle()
    {
        using var a = Kek();
        using var b = Kek();
        Assert.Equal(KeyCheckValue.Size, a.CheckValue.Length);
        Assert.Equal(a.CheckValue.ToArray(), b.CheckValue.ToArray());
        Assert.Equal(a.Id, b.Id);
    }

    [Fact]
    public void Carries_a_keyring_through_create_reopen_rotate_and_rewrap()
    {
        var dir = Directory.CreateTempSubdirectory("phicrypto-kek-").FullName;
        try
        {
            var path = Path.Combine(dir, "keyring.json");
            byte[] envelope;
            using (var k = Keyring.Create(new JsonFileKeyStore(path), Kek(), null, "files"))
            {
                k.Rotate("files");
                envelope = k.EncryptField("files", FieldMode.Randomized, "scan.dcm"u8);
            }
            using (var again = Keyring.Open(new JsonFileKeyStore(path), Kek()))
            {
                Assert.Equal("scan.dcm"u8.ToArray(), again.DecryptField("files", envelope));
                Assert.True(again.VerifyAudit().IsValid);
                again.Rewrap(new SoftwareKek("env:NEXT", NextKek));
            }
            using var moved = Keyring.Open(new JsonFileKeyStore(path), new SoftwareKek("env:NEXT", NextKek));
            Assert.Equal("scan.dcm"u8.ToArray(), moved.DecryptField("files", envelope));
            Assert.True(moved.VerifyAudit().IsValid); // the chain still verifies: the integrity key was re-wrapped
            Assert.Throws<WrongKekException>(() => Keyring.Open(new JsonFileKeyStore(path), Kek()));
        }
        finally { Directory.Delete(dir, true); }
    }

    private static readonly byte[] NextKek = RandomNumberGenerator.GetBytes(32);
}

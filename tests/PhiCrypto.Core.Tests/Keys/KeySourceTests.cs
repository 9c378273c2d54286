// A key source (a raw key, or a keyring plus ONE purpose) and its format adapters: encryption under the
// active version, decryption with the version the ciphertext names, from that purpose only
// (issue 12 section 3: a document endpoint pointed at a backup's parts must not decrypt them).
using System.Text;
using PhiCrypto.Fields;
using PhiCrypto.Keys;
using PhiCrypto.Messages;
using PhiCrypto.Primitives;

namespace PhiCrypto.Core.Tests.Keys;

public sealed class KeySourceTests : IDisposable
{
    private readonly TempKeyring _temp = new();
    private readonly Keyring _keyring;

    public KeySourceTests() => _keyring = _temp.Init("files", "backups");

    public void Dispose()
    {
        _keyring.Dispose();
        _temp.Dispose();
    }

    private static byte[] Encrypt(IDataKeyWrapper wrapper, byte[] plaintext, IReadOnlyDictionary<string, string>? context = null)
    {
        using var output = new MemoryStream();
        MessagePipeline.Encrypt(new MemoryStream(plaintext), output, new MessageEncryptOptions
        {
            Wrappers = [wrapper],
            EncryptionContext = context ?? new Dictionary<string, string>(),
        });
        return output.ToArray();
    }

    private static byte[] Decrypt(IDataKeyWrapper wrapper, byte[] message, IReadOnlyDictionary<string, string>? expected = null)
    {
        using var output = new MemoryStream();
        MessagePipeline.Decrypt(new MemoryStream(message), output, new MessageDecryptOptions { Wrappers = [wrapper], ExpectedContext = expected });
        return output.ToArray();
    }

    private byte[] BackupMessage()
    {
        using var backups = KeySource.FromKeyring(_keyring, "backups");
        using var wrapper = backups.MessageKeys();
        return Encrypt(wrapper, Encoding.UTF8.GetBytes("pg_dump of every patient"));
    }

    // The attack: the "files" endpoint's keys are handed a backup's message (EDK "backups/v1").
    [Fact]
    public void A_files_source_refuses_a_message_whose_key_is_of_another_purpose()
    {
        var message = BackupMessage();
        using var files = KeySource.FromKeyring(_keyring, "files");
        using var wrapper = files.MessageKeys();
        var e = Assert.Throws<KeyNotAvailableException>(() => Decrypt(wrapper, message));
        Assert.Contains("backups/v1", e.Message);
    }

    [Fact]
    public void The_keyring_wrapper_with_a_purpose_refuses_another_purpose_too()
    {
        var message = BackupMessage();
        using var files = new KeyringDataKeys(_keyring, "files");
        Assert.Throws<KeyNotAvailableException>(() => Decrypt(files, message));
    }

    [Fact]
    public void A_source_decrypts_its_own_purpose_across_rotation()
    {
        byte[] plaintext = Encoding.UTF8.GetBytes("scan.dcm");
        using var files = KeySource.FromKeyring(_keyring, "files");
        byte[] old;
        using (var w = files.MessageKeys()) old = Encrypt(w, plaintext);
        _keyring.Rotate("files", "test");
        using (var w = files.MessageKeys())
        {
            Assert.Equal("files/v2", w.KeyName);
            Assert.Equal(plaintext, Decrypt(w, old));
            Assert.Equal(plaintext, Decrypt(w, Encrypt(w, plaintext)));
        }
    }

    [Fact]
    public void A_field_envelope_decrypts_only_through_its_own_purpose()
    {
        using var files = KeySource.FromKeyring(_keyring, "files");
        using var backups = KeySource.FromKeyring(_keyring, "backups");
        var envelope = files.EncryptField(FieldMode.Deterministic, "p"u8, "row 1"u8);
        Assert.Equal("p"u8.ToArray(), files.DecryptField(envelope, "row 1"u8));
        // same version number (1) under another purpose: another key, and another bound purpose
        Assert.Throws<AuthenticationFailedException>(() => backups.DecryptField(envelope, "row 1"u8));
    }

    [Fact]
    public void A_raw_source_stands_for_one_version()
    {
        using var secret = SecretKey.Generate(32);
        using var source = KeySource.FromKey(secret, 7, "app.Model.field");
        var envelope = source.EncryptField(FieldMode.Randomized, "x"u8, default);
        Assert.Equal(7u, FieldEnvelope.ReadHeader(envelope).KeyVersion);
        Assert.Equal("x"u8.ToArray(), source.DecryptField(envelope, default));
        using var other = KeySource.FromKey(secret, 8, "app.Model.field");
        Assert.Throws<KeyNotAvailableException>(() => other.DecryptField(envelope, default));
    }

    [Fact]
    public void The_expected_context_is_checked_before_any_plaintext()
    {
        using var files = KeySource.FromKeyring(_keyring, "files");
        using var w = files.MessageKeys();
        var message = Encrypt(w, new byte[100_000], new Dictionary<string, string> { ["patient"] = "P-1" });
        using var output = new MemoryStream();
        Assert.Throws<PolicyViolationException>(() => MessagePipeline.Decrypt(new MemoryStream(message), output,
            new MessageDecryptOptions { Wrappers = [w], ExpectedContext = new Dictionary<string, string> { ["patient"] = "P-2" } }));
        Assert.Equal(0, output.Length);
    }

    [Fact]
    public void A_keyring_source_of_an_unknown_purpose_encrypts_nothing()
    {
        using var unknown = KeySource.FromKeyring(_keyring, "nope");
        Assert.Throws<KeyNotAvailableException>(() => unknown.EncryptField(FieldMode.Randomized, "x"u8, default));
        Assert.Throws<ArgumentException>(() => KeySource.FromKeyring(_keyring, ""));
    }
}

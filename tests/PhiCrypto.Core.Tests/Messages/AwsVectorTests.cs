using System.Text.Json;
using PhiCrypto.Messages;
using PhiCrypto.Tests;

namespace PhiCrypto.Tests.Messages;

/// <summary>The 33 raw-AES decrypt vectors made by the AWS Encryption SDK for .NET (shared/vectors/aws-esdk).</summary>
public class AwsVectorTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        var manifest = TestVectors.Path("aws-esdk", "manifest.json");
        if (manifest is null) { data.Add(""); return data; }
        using var doc = JsonDocument.Parse(File.ReadAllText(manifest));
        foreach (var test in doc.RootElement.GetProperty("tests").EnumerateObject()) data.Add(test.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decrypts(string name)
    {
        if (name == "") { Assert.False(TestVectors.IsCi); return; }
        var (ciphertext, expected, keyring, context, required) = Load(name);
        var options = new MessageDecryptOptions { Wrappers = [keyring], ExpectedContext = required ? context : null, AllowLegacy = true };
        var plaintext = Message.Decrypt(ciphertext, options, out var authenticated);
        Assert.Equal(expected, plaintext);
        foreach (var (k, v) in context) Assert.Equal(v, authenticated[k]);

        using var pipelined = new MemoryStream();
        MessagePipeline.Decrypt(new MemoryStream(ciphertext), pipelined, options, new PipelineOptions { Workers = 2, QueueDepth = 2 });
        Assert.Equal(expected, pipelined.ToArray());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void RequiredContextCasesFailWithoutTheContext(string name)
    {
        if (name == "" || !name.Contains("RequiredEncryptionContext")) return;
        var (ciphertext, _, keyring, context, _) = Load(name);
        Assert.Throws<KeyNotAvailableException>(() => Message.Decrypt(ciphertext, new MessageDecryptOptions { Wrappers = [keyring], AllowLegacy = true }));
        var wrong = context.ToDictionary(p => p.Key, p => p.Value + "x");
        Assert.Throws<PolicyViolationException>(() => Message.Decrypt(ciphertext, new MessageDecryptOptions { Wrappers = [keyring], ExpectedContext = wrong, AllowLegacy = true }));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void NonCommittingSuitesNeedTheLegacyOptIn(string name)
    {
        if (name == "") return;
        var (ciphertext, expected, keyring, context, required) = Load(name);
        var defaults = new MessageDecryptOptions { Wrappers = [keyring], ExpectedContext = required ? context : null };
        if (ciphertext[0] == 2) { Assert.Equal(expected, Message.Decrypt(ciphertext, defaults)); return; } // v2: commits
        var e = Assert.Throws<PolicyViolationException>(() => Message.Decrypt(ciphertext, defaults));
        Assert.Contains("AllowLegacy", e.Message);
        Assert.Throws<PolicyViolationException>(() => new SeekableMessageReader(new MemoryStream(ciphertext), defaults));
        Assert.Throws<PolicyViolationException>(() => MessagePipeline.Decrypt(new MemoryStream(ciphertext), Stream.Null, defaults));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void RandomAccessMatchesSlices(string name)
    {
        if (name == "") return;
        var (ciphertext, expected, keyring, context, required) = Load(name);
        using var reader = new SeekableMessageReader(new MemoryStream(ciphertext), new MessageDecryptOptions { Wrappers = [keyring], ExpectedContext = required ? context : null, AllowLegacy = true });
        Assert.Equal(expected.Length, reader.PlaintextLength);
        foreach (var (start, count) in new[] { (0, 10), (500, 30), (511, 2), (10000, 1000), (0, 10240) })
            Assert.Equal(expected.AsSpan(start, Math.Min(count, expected.Length - start)).ToArray(), reader.ReadRange(start, count));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void InspectsWithoutKey(string name)
    {
        if (name == "") return;
        var (ciphertext, expected, _, context, required) = Load(name);
        var d = MessageInspector.Describe(new MemoryStream(ciphertext));
        Assert.Equal(expected.Length, d.PlaintextLength);
        Assert.Equal(512u, d.Header.FrameLength);
        Assert.Equal(Convert.ToUInt16(name[..4], 16), d.Header.Suite.Id);
        if (!required) foreach (var (k, v) in context) Assert.Equal(v, d.Header.EncryptionContext[k]);
        else Assert.DoesNotContain("key1", d.Header.EncryptionContext.Keys);
    }

    private static (byte[] Ciphertext, byte[] Plaintext, RawAesKeyring Keyring, Dictionary<string, string> Context, bool Required) Load(string name)
    {
        var root = TestVectors.Path("aws-esdk")!;
        using var doc = JsonDocument.Parse(File.ReadAllText(System.IO.Path.Combine(root, "manifest.json")));
        using var keys = JsonDocument.Parse(File.ReadAllText(System.IO.Path.Combine(root, "keys.json")));
        var test = doc.RootElement.GetProperty("tests").GetProperty(name);
        var mk = test.GetProperty("master-keys")[0];
        var key = keys.RootElement.GetProperty("keys").GetProperty(mk.GetProperty("key").GetString()!);
        var keyring = new RawAesKeyring(mk.GetProperty("provider-id").GetString()!, key.GetProperty("key-id").GetString()!,
            Convert.FromBase64String(key.GetProperty("material").GetString()!));
        var context = test.GetProperty("encryption-context").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        byte[] File_(string uri) => File.ReadAllBytes(System.IO.Path.Combine(root, uri["file://".Length..]));
        return (File_(test.GetProperty("ciphertext").GetString()!), File_(test.GetProperty("result").GetProperty("output").GetProperty("plaintext").GetString()!),
            keyring, context, test.GetProperty("cmm").GetString() == "RequiredEncryptionContext");
    }
}

// Fixed keys for fuzzing only: the seed generator and the targets must agree on them, so that seeds
// are valid inputs and mutations reach the code behind the tag checks. They protect nothing.
using System.Security.Cryptography;
using PhiCrypto.Fields;
using PhiCrypto.Keys;
using PhiCrypto.Messages;

namespace PhiCrypto.Fuzz;

internal static class FuzzKeys
{
    public const string Purpose = "fuzz";
    public const string RecoveryKeyFile = "recovery-fuzz-key.pem";

    /// <summary>A fixed 32-byte key: <paramref name="label"/> repeated, so each role gets its own.</summary>
    public static byte[] Fixed(byte label) => Enumerable.Repeat(label, 32).ToArray();

    public static byte[] Kek => Fixed(0x4B);

    /// <summary>Field keys of versions 1 and 2 (so a mutated version byte can still find a key).</summary>
    public static IFieldKeyResolver FieldKeys { get; } = new Versions(FieldKey.Create(Fixed(0x01), 1), FieldKey.Create(Fixed(0x02), 2));

    public static RawAesKeyring MessageKeyring() => new(RawAesKeyring.DefaultNamespace, RawAesKeyring.DefaultKeyName, Fixed(0x4D));

    public static MessageDecryptOptions DecryptOptions() => new()
    {
        Wrappers = [MessageKeyring()],
        MaxHeaderLength = 64 * 1024,
        MaxFrameLength = 64 * 1024,
        MaxNonFramedLength = 64 * 1024,
    };

    public static SoftwareKek SoftwareKek() => new("env:FUZZ", Kek);

    /// <summary>The RSA-4096 recovery key committed beside the project (RecoveryBundle.Seal needs 4096 bits).</summary>
    public static RSA RecoveryKey()
    {
        var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, RecoveryKeyFile)));
        return rsa;
    }

    private sealed class Versions(params FieldKey[] keys) : IFieldKeyResolver
    {
        public FieldKey? FindFieldKey(uint version) => keys.FirstOrDefault(k => k.Version == version);
    }
}

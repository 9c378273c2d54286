// Writes the seed corpus: a few small valid inputs per target, made by our own code with the fixed
// fuzz keys (FuzzKeys), so the corpus holds no copied test vectors and every seed passes its checks.
// Regenerate with `phicrypto-fuzz --seeds tests/PhiCrypto.Fuzz/corpus` when a format changes.
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using PhiCrypto.Cli.Backups;
using PhiCrypto.Fields;
using PhiCrypto.Keys;
using PhiCrypto.Messages;
using PhiCrypto.Native;

namespace PhiCrypto.Fuzz;

internal static class SeedCorpus
{
    public static int Write(string corpusDir)
    {
        var envelopes = FieldEnvelopes();
        var messages = Messages();
        var (keyringFile, records, bundle) = KeyringArtifacts();
        var seeds = new Dictionary<string, IEnumerable<byte[]>>
        {
            ["field-envelope"] = envelopes,
            ["field-text"] = envelopes.Select(e => Utf8(FieldText.Encode(e))),
            ["field-batch"] = [Batch(envelopes), Batch(envelopes[..1]), Batch([])],
            ["message-header"] = messages,
            ["frame-stream"] = messages,
            ["seekable-reader"] = messages,
            ["key-record"] = records,
            ["wrapped-key-record"] = [WrappedKey(16, 1), WrappedKey(32, 7), WrappedKey(64, uint.MaxValue)],
            ["keyring-json"] = [keyringFile],
            ["recovery-bundle"] = [bundle],
            ["backup-manifest"] = [Manifest()],
            ["pkcs11-uri"] = Utf8s(
                "token=phi;object=kek?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin",
                "id=%01%a2;slot-id=3;type=secret-key?module-name=softhsm2",
                "serial=0123;token=a%20b;object=k;manufacturer=x;x-note=1?x-opt=2&module-path=/m.so"),
            ["postgres-url"] = Utf8s(
                "phi:s%40cret@db.example:5432/records?sslmode=verify-full&schema=keys&application_name=phi",
                "localhost/keys?connect_timeout=5&port=5433&user=u&password=p&dbname=d",
                "[::1]:5433/db?host=/tmp&options=-c%20search_path%3Dkeys&sslrootcert=/ca.pem"),
        };
        foreach (var (target, inputs) in seeds)
        {
            var dir = Directory.CreateDirectory(Path.Combine(corpusDir, target));
            foreach (var old in dir.GetFiles("seed-*")) old.Delete();
            int n = 0;
            foreach (var input in inputs) File.WriteAllBytes(Path.Combine(dir.FullName, $"seed-{++n}"), input);
            Console.WriteLine($"{target}: {n} seed(s)");
        }
        return 0;
    }

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
    private static byte[][] Utf8s(params string[] s) => [.. s.Select(Utf8)];

    private static byte[][] FieldEnvelopes()
    {
        using var v1 = FieldKey.Create(FuzzKeys.Fixed(0x01), 1);
        using var v2 = FieldKey.Create(FuzzKeys.Fixed(0x02), 2);
        return
        [
            FieldEnvelope.Encrypt(v1, FieldMode.Randomized, FuzzKeys.Purpose, "1970-01-01"u8),
            FieldEnvelope.Encrypt(v1, FieldMode.Deterministic, FuzzKeys.Purpose, "123-45-6789"u8),
            FieldEnvelope.Encrypt(v2, FieldMode.Randomized, FuzzKeys.Purpose, ""u8),
            FieldEnvelope.Encrypt(v2, FieldMode.Deterministic, FuzzKeys.Purpose, ""u8),
        ];
    }

    /// <summary>The field-batch input: u8 count, count x i32 lengths, the envelopes packed.</summary>
    private static byte[] Batch(byte[][] envelopes)
    {
        var input = new byte[1 + 4 * envelopes.Length + envelopes.Sum(e => e.Length)];
        input[0] = (byte)envelopes.Length;
        int offset = 1 + 4 * envelopes.Length;
        for (int i = 0; i < envelopes.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(input.AsSpan(1 + 4 * i), envelopes[i].Length);
            envelopes[i].CopyTo(input, offset);
            offset += envelopes[i].Length;
        }
        return input;
    }

    private static byte[][] Messages()
    {
        using var keyring = FuzzKeys.MessageKeyring();
        byte[] Encrypt(int length, AlgorithmSuite suite) => Message.Encrypt(new byte[length], new MessageEncryptOptions
        {
            Wrappers = [keyring],
            Suite = suite,
            FrameLength = MessageHeader.MinFrameLength,
            EncryptionContext = new Dictionary<string, string> { ["purpose"] = FuzzKeys.Purpose },
        });
        // Empty, one short final frame, one full frame and a final one (4 KiB frames), signed.
        return
        [
            Encrypt(0, AlgorithmSuite.Committing),
            Encrypt(100, AlgorithmSuite.Committing),
            Encrypt(MessageHeader.MinFrameLength + 20, AlgorithmSuite.Committing),
            Encrypt(50, AlgorithmSuite.CommittingSigned),
        ];
    }

    private static byte[] WrappedKey(int keyLength, uint version)
    {
        var key = RandomNumberGenerator.GetBytes(keyLength);
        var record = new byte[WrappedKeyRecord.GetLength(keyLength)];
        WrappedKeyRecord.Write(FuzzKeys.Kek, key, version, record);
        return record;
    }

    /// <summary>A keyring file with two purposes, a rotation and a retired version; its key records;
    /// a recovery bundle of it sealed to the fuzz recovery key.</summary>
    private static (byte[] File, byte[][] Records, byte[] Bundle) KeyringArtifacts()
    {
        var dir = Directory.CreateTempSubdirectory("phicrypto-fuzz-seeds-");
        try
        {
            var path = Path.Combine(dir.FullName, "keyring.json");
            using var keyring = Keyring.Initialize(new JsonFileKeyStore(path), FuzzKeys.SoftwareKek(), null, FuzzKeys.Purpose, "notes");
            keyring.Rotate(FuzzKeys.Purpose, "seed");
            keyring.SetState(FuzzKeys.Purpose, 1, KeyState.Deactivated, reason: "seed");
            using var rsa = FuzzKeys.RecoveryKey();
            var bundle = keyring.ExportRecoveryBundle([rsa]);
            return (File.ReadAllBytes(path), [.. keyring.Records.Select(r => r.ToBytes())], bundle);
        }
        finally { dir.Delete(recursive: true); }
    }

    private static byte[] Manifest() => new BackupManifest
    {
        BackupId = "0f8e2c1d9a7b4c3e",
        Created = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc),
        Completed = new DateTime(2026, 1, 2, 3, 9, 5, DateTimeKind.Utc),
        PgDumpVersion = "15.8",
        PgDumpArgs = ["--format=custom", "--no-owner"],
        Compression = "zstd",
        DumpBytes = 1 << 20,
        EncryptedBytes = (1 << 20) + 4096,
        Suite = "0x0478",
        FrameLength = 1 << 16,
        Keys = [new ManifestKey { Provider = "phicrypto", Name = "backup/v1" }],
        EncryptionContext = new() { ["backup-id"] = "0f8e2c1d9a7b4c3e" },
        Parts = [new ManifestPart { Name = "part-00001", Bytes = 1 << 20, Sha256 = new string('a', 64) },
                 new ManifestPart { Name = "part-00002", Bytes = 4096, Sha256 = new string('b', 64) }],
    }.ToJson();
}

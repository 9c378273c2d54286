// The fuzz targets, one per parser of untrusted bytes (docs/fuzzing.md lists them with their inputs).
// Each reads its input the way the product reads it, with the fixed fuzz keys, so valid seeds get
// past the first checks and mutations reach the parsing behind them.
using System.Buffers.Binary;
using System.Text;
using PhiCrypto.Cli.Backups;
using PhiCrypto.Fields;
using PhiCrypto.Keys;
using PhiCrypto.Messages;
using PhiCrypto.Native;
using PhiCrypto.Pkcs11;
using PhiCrypto.Postgres;

namespace PhiCrypto.Fuzz;

internal static class Targets
{
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new("field-envelope", "FieldEnvelope.Decrypt", FieldEnvelopeBytes),
        new("field-text", "FieldText.Decode + FieldEnvelope.Decrypt", FieldTextForm),
        new("field-batch", "FieldBatch.GetPlaintextsLength + Decrypt", FieldBatchInput, argumentErrorsDocumented: true),
        new("message-header", "MessageHeader.Read", MessageHeaderBytes),
        new("frame-stream", "MessageDecryptStream (message decrypt)", FrameStream),
        new("seekable-reader", "SeekableMessageReader", SeekableReader),
        new("key-record", "KeyRecord.Parse", KeyRecordBytes),
        new("wrapped-key-record", "WrappedKeyRecord.ReadVersion + Read (PhiCrypto.Native)", WrappedKeyRecordBytes),
        new("keyring-json", "JsonFileKeyStore.Parse + AuditChain.Verify", KeyringJsonFile),
        new("recovery-bundle", "RecoveryBundle.Open", RecoveryBundleBytes),
        new("backup-manifest", "BackupManifest.Parse (phicrypt)", BackupManifestJson),
        new("pkcs11-uri", "Pkcs11Uri.Parse", Pkcs11UriText, argumentErrorsDocumented: true),
        new("postgres-url", "PostgresUrl.ToConnectionString / Parameter / Display", PostgresUrlText, argumentErrorsDocumented: true),
    ];

    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);

    private static void FieldEnvelopeBytes(ReadOnlySpan<byte> input)
    {
        FieldEnvelope.ReadHeader(input);
        var plaintext = new byte[FieldEnvelope.GetPlaintextLength(input)];
        FieldEnvelope.Decrypt(FuzzKeys.FieldKeys, Encoding.UTF8.GetBytes(FuzzKeys.Purpose), input, default, plaintext);
    }

    private static void FieldTextForm(ReadOnlySpan<byte> input)
    {
        var text = Encoding.UTF8.GetString(input);
        if (!FieldText.IsEncoded(text)) return;
        FieldEnvelope.Decrypt(FuzzKeys.FieldKeys, FuzzKeys.Purpose, FieldText.Decode(text));
    }

    /// <summary>Input: u8 count, count x i32 (big-endian) envelope lengths, then the packed envelopes.</summary>
    private static void FieldBatchInput(ReadOnlySpan<byte> input)
    {
        if (input.Length < 1) return;
        int count = input[0];
        if (input.Length < 1 + 4 * count) return;
        var lengths = new int[count];
        for (int i = 0; i < count; i++) lengths[i] = BinaryPrimitives.ReadInt32BigEndian(input[(1 + 4 * i)..]);
        var envelopes = input[(1 + 4 * count)..];
        var plaintextLengths = new int[count];
        var statuses = new PhiStatus[count];
        long total = FieldBatch.GetPlaintextsLength(envelopes, lengths, plaintextLengths, statuses);
        var plaintexts = new byte[total];
        FieldBatch.Decrypt(FuzzKeys.FieldKeys, Encoding.UTF8.GetBytes(FuzzKeys.Purpose), envelopes, lengths, default, plaintexts, plaintextLengths, statuses);
    }

    private static void MessageHeaderBytes(ReadOnlySpan<byte> input) =>
        MessageHeader.Read(new MemoryStream(input.ToArray(), writable: false), maxHeaderLength: 64 * 1024);

    private static void FrameStream(ReadOnlySpan<byte> input)
    {
        using var reader = new MessageDecryptStream(new MemoryStream(input.ToArray(), writable: false), FuzzKeys.DecryptOptions());
        reader.CopyTo(Stream.Null);
    }

    private static void SeekableReader(ReadOnlySpan<byte> input)
    {
        using var reader = new SeekableMessageReader(new MemoryStream(input.ToArray(), writable: false), FuzzKeys.DecryptOptions());
        long length = reader.PlaintextLength;
        var buffer = new byte[64];
        foreach (long position in new[] { 0, length / 2, length - 1, length, length + 1 })
            reader.Read(Math.Max(0, position), buffer);
        reader.CopyRange(0, length, Stream.Null);
    }

    private static void KeyRecordBytes(ReadOnlySpan<byte> input) => KeyRecord.Parse(input).VerifyMac(FuzzKeys.Fixed(0x01));

    private static void WrappedKeyRecordBytes(ReadOnlySpan<byte> input)
    {
        WrappedKeyRecord.ReadVersion(input);
        using var key = WrappedKeyRecord.Read(FuzzKeys.Kek, input, out _);
    }

    private static void KeyringJsonFile(ReadOnlySpan<byte> input)
    {
        var contents = JsonFileKeyStore.Parse(input);
        _ = contents.Records.Count;
        AuditChain.Verify(contents.Audit, FuzzKeys.Fixed(0x02));
    }

    private static readonly Lazy<System.Security.Cryptography.RSA> RecoveryKey = new(FuzzKeys.RecoveryKey);

    private static void RecoveryBundleBytes(ReadOnlySpan<byte> input)
    {
        using var keys = RecoveryBundle.Open(input, RecoveryKey.Value, passphrase: null);
    }

    private static void BackupManifestJson(ReadOnlySpan<byte> input) => BackupManifest.Parse(input.ToArray());

    /// <summary>Input: the URI after "pkcs11:" (the prefix check is one comparison; fuzz what follows).</summary>
    private static void Pkcs11UriText(ReadOnlySpan<byte> input)
    {
        var uri = Pkcs11Uri.Parse("pkcs11:" + Encoding.UTF8.GetString(input));
        _ = uri.KeyId;
        _ = uri.Module;
    }

    /// <summary>Input: the URL after "postgresql://".</summary>
    private static void PostgresUrlText(ReadOnlySpan<byte> input)
    {
        var url = "postgresql://" + Encoding.UTF8.GetString(input);
        PostgresUrl.Parameter(url, "schema");
        PostgresUrl.Display(url);
        PostgresUrl.ToConnectionString(url);
    }
}

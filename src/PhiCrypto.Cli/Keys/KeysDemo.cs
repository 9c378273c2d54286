// The key-management part of `phicrypt demo` (for DemoCommand to call): a throwaway keyring in a temp
// directory under a random in-memory KEK: init, encrypt, rotate, decrypt old and new, search across
// versions, KEK rotation, audit chain, wrong KEK. Nothing is left behind.
using System.Security.Cryptography;
using PhiCrypto.Fields;
using PhiCrypto.Keys;

namespace PhiCrypto.Cli;

public static class KeysDemo
{
    private const string Ssn = "clinic.Patient.ssn";

    public static void Show(TextWriter o)
    {
        var dir = Directory.CreateTempSubdirectory("phicrypt-demo-").FullName;
        try
        {
            var path = Path.Combine(dir, "keyring.json");
            var kekBytes = RandomNumberGenerator.GetBytes(32);
            o.WriteLine("\n== Keys: init, rotate, audit (a throwaway keyring; the KEK stays in memory) ==");
            using var keyring = Keyring.Create(new JsonFileKeyStore(path), new SoftwareKek("env:DEMO_MASTER_KEY", kekBytes), null, Ssn, "files");
            o.WriteLine($"  init: purposes {string.Join(", ", keyring.Purposes)}, each v1 active, KEK check value {keyring.KekCheckValue}");
            var before = keyring.EncryptField(Ssn, FieldMode.Deterministic, "123-45-6789"u8);
            var r2 = keyring.Rotate(Ssn, "quarterly rotation");
            var after = keyring.EncryptField(Ssn, FieldMode.Deterministic, "123-45-6789"u8);
            o.WriteLine($"  rotate {Ssn}: v{r2.Version} active, v1 {KeyLifecycle.Name(keyring.Versions(Ssn)[0].State)}; no data re-encrypted");
            o.WriteLine($"  an SSN written before (key v{FieldEnvelope.ReadHeader(before).KeyVersion}) and after (v{FieldEnvelope.ReadHeader(after).KeyVersion}) both decrypt: " +
                        $"{keyring.DecryptField(Ssn, before).AsSpan().SequenceEqual(keyring.DecryptField(Ssn, after))}");
            var probes = keyring.SearchCiphertexts(Ssn, "123-45-6789"u8);
            o.WriteLine($"  search: WHERE ssn IN ({probes.Count} envelopes, one per version that can decrypt) finds both rows: " +
                        $"{probes.Any(p => p.AsSpan().SequenceEqual(before)) && probes.Any(p => p.AsSpan().SequenceEqual(after))}");
            var n = keyring.Rewrap(new SoftwareKek("env:DEMO_NEW_MASTER_KEY", RandomNumberGenerator.GetBytes(32)));
            o.WriteLine($"  KEK rotation: {n} DEK records re-wrapped, new check value {keyring.KekCheckValue}; data untouched");
            try { Keyring.Open(new JsonFileKeyStore(path), new SoftwareKek("env:DEMO_MASTER_KEY", kekBytes)).Dispose(); }
            catch (WrongKekException e) { o.WriteLine($"  the old KEK now gets: {e.GetType().Name}"); }
            foreach (var e in keyring.AuditTrail) o.WriteLine($"    audit #{e.Sequence} {AuditEvent.KindName(e.Kind),-12} {(e.Purpose is null ? "" : KeyNames.Format(e.Purpose, e.Version)),-24} {e.Detail}");
            o.WriteLine($"  {keyring.VerifyAudit().Message}");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}

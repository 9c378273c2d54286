using System.Text;
using PhiCrypto.Fields;
using PhiCrypto.Primitives;

namespace PhiCrypto.Cli.Demo;

/// <summary>The field part of the demo: sample patients, both modes, a search, tampering.</summary>
internal static class FieldsDemo
{
    private sealed record Patient(int Id, string Name, string Ssn, string Diagnosis);

    private static readonly Patient[] Patients =
    [
        new(1, "Ada Byron", "123-45-6789", "J45.909 asthma, uncomplicated"),
        new(2, "Alan Turing", "987-65-4321", "E11.9 type 2 diabetes"),
        new(3, "Grace Hopper", "555-12-3456", "I10 essential hypertension"),
    ];

    public static void Run()
    {
        Heading("Fields: SSN deterministic (searchable), diagnosis randomized");
        using var dek = SecretKey.Generate();
        using var key = FieldKey.Create(dek, 1);
        var rows = Patients.Select(p => (p.Id,
            Ssn: FieldEnvelope.Encrypt(key, FieldMode.Deterministic, "clinic.Patient.ssn", Utf8(p.Ssn)),
            Dx: FieldEnvelope.Encrypt(key, FieldMode.Randomized, "clinic.Patient.diagnosis", Utf8(p.Diagnosis), Utf8(p.Id.ToString())))).ToList();
        foreach (var (p, r) in Patients.Zip(rows))
            Console.WriteLine($"  patient {p.Id}: ssn {p.Ssn.Length} -> {r.Ssn.Length} bytes {Hex(r.Ssn, 12)}   diagnosis {Utf8(p.Diagnosis).Length} -> {r.Dx.Length} bytes {Hex(r.Dx, 12)}");
        Console.WriteLine($"  overhead: deterministic {FieldEnvelope.DeterministicOverhead} bytes, randomized {FieldEnvelope.RandomizedOverhead} bytes");

        Heading("Decrypt");
        foreach (var r in rows)
            Console.WriteLine($"  patient {r.Id}: ssn {Text(FieldEnvelope.Decrypt(key, "clinic.Patient.ssn", r.Ssn))}, diagnosis \"{Text(FieldEnvelope.Decrypt(key, "clinic.Patient.diagnosis", r.Dx, Utf8(r.Id.ToString())))}\"");

        Heading("Find a row by SSN without decrypting the column");
        var probe = FieldEnvelope.Encrypt(key, FieldMode.Deterministic, "clinic.Patient.ssn", Utf8("987-65-4321"));
        var hit = rows.Single(r => r.Ssn.AsSpan().SequenceEqual(probe));
        Console.WriteLine($"  WHERE ssn = encrypt('987-65-4321') -> patient {hit.Id}");
        var again = FieldEnvelope.Encrypt(key, FieldMode.Randomized, "clinic.Patient.diagnosis", Utf8(Patients[0].Diagnosis), Utf8("1"));
        Console.WriteLine($"  the same diagnosis encrypted again (randomized) differs: {!again.AsSpan().SequenceEqual(rows[0].Dx)}");

        Heading("Tampering is detected");
        var tampered = (byte[])rows[0].Dx.Clone();
        tampered[10] ^= 0xFF;
        try
        {
            FieldEnvelope.Decrypt(key, "clinic.Patient.diagnosis", tampered, Utf8("1"));
            throw new InvalidOperationException("tampering was not detected");
        }
        catch (AuthenticationFailedException e) { Console.WriteLine($"  flipped byte 10 -> {e.GetType().Name}: {e.Message}"); }
        try
        {
            FieldEnvelope.Decrypt(key, "clinic.Patient.diagnosis", rows[0].Dx, Utf8("2"));
            throw new InvalidOperationException("a ciphertext moved to another row decrypted");
        }
        catch (AuthenticationFailedException e) { Console.WriteLine($"  patient 1's diagnosis copied into patient 2's row -> {e.GetType().Name}: {e.Message}"); }
    }

    private static void Heading(string text) => Console.WriteLine($"\n{text}");
    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
    private static string Text(byte[] b) => Encoding.UTF8.GetString(b);
    private static string Hex(byte[] b, int n) => Convert.ToHexStringLower(b.AsSpan(0, Math.Min(n, b.Length))) + "...";
}

// PBKDF2 with HMAC-SHA-256, NIST SP 800-132 / RFC 8018 section 5.2, through OpenSSL
// (Rfc2898DeriveBytes.Pbkdf2). Limits: iterations >= 1 (SP 800-132 asks for 1,000 or more; new
// parameters use the calibrated count), output 1 byte or more, salt 16 bytes for new parameters
// (SP 800-132 5.1 asks for at least 128 bits). The default count is calibrated once per process so one
// derivation of a 32-byte key costs about 150 ms of CPU on this machine (100-200 ms when the core is
// free). It measures the calling thread's CPU time where the OS gives it (Linux), so a busy machine
// does not talk the count down; elsewhere the wall clock.
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace PhiCrypto.Primitives;

public static partial class Pbkdf2
{
    public const string AlgorithmName = "PBKDF2-HMAC-SHA256";
    public const int SaltSize = 16;
    public const int MinCalibratedIterations = 100_000; // a floor in case the clock misreads a loaded machine
    private const double TargetMilliseconds = 150;

    private static readonly Lazy<int> s_calibrated = new(Measure, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Iterations for one derivation to cost about 150 ms here (measured once per process).</summary>
    public static int Calibrate() => s_calibrated.Value;

    /// <summary>Fresh parameters: random salt, calibrated iteration count (or <paramref name="iterations"/>).</summary>
    public static Pbkdf2Parameters CreateParameters(int? iterations = null)
    {
        var salt = new byte[SaltSize];
        SecureRandom.Fill(salt);
        return new Pbkdf2Parameters(iterations ?? Calibrate(), salt);
    }

    /// <summary>PBKDF2-HMAC-SHA-256(password, salt, iterations) into <paramref name="output"/>.</summary>
    public static void DeriveBytes(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, int iterations, Span<byte> output)
    {
        if (iterations < 1) throw new ArgumentOutOfRangeException(nameof(iterations), "iterations must be 1 or more");
        if (output.IsEmpty) throw new ArgumentException("output must not be empty", nameof(output));
        Rfc2898DeriveBytes.Pbkdf2(password, salt, output, iterations, HashAlgorithmName.SHA256);
    }

    // CPU time of this thread (clock_gettime(CLOCK_THREAD_CPUTIME_ID)), or null off Linux or on failure.
    private static double? ThreadCpuMilliseconds()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            return clock_gettime(3, out var ts) == 0 ? ts.Seconds * 1000.0 + ts.Nanoseconds / 1e6 : null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", SetLastError = false)]
    private static partial int clock_gettime(int clock, out Timespec time);

    private static int Measure()
    {
        Span<byte> password = stackalloc byte[16], salt = stackalloc byte[SaltSize], output = stackalloc byte[32];
        RandomNumberGenerator.Fill(password);
        SecureRandom.Fill(salt);
        DeriveBytes(password, salt, 1_000, output); // warm up OpenSSL
        const int probe = 50_000;
        double best = double.MaxValue;
        for (int i = 0; i < 3; i++) // the fastest of three
        {
            double start = ThreadCpuMilliseconds() ?? Stopwatch.GetTimestamp() * 1000.0 / Stopwatch.Frequency;
            DeriveBytes(password, salt, probe, output);
            double end = ThreadCpuMilliseconds() ?? Stopwatch.GetTimestamp() * 1000.0 / Stopwatch.Frequency;
            best = Math.Min(best, end - start);
        }
        CryptographicOperations.ZeroMemory(output);
        double perIteration = best / probe;
        int count = (int)Math.Min(int.MaxValue, TargetMilliseconds / perIteration);
        return Math.Max(MinCalibratedIterations, count / 1000 * 1000);
    }
}

/// <summary>PBKDF2-HMAC-SHA-256 parameters to store with what the derived key protects.</summary>
public sealed record Pbkdf2Parameters : PassphraseKdfParameters
{
    public Pbkdf2Parameters(int iterations, byte[] salt) : base(salt)
    {
        ArgumentNullException.ThrowIfNull(salt);
        if (iterations < 1) throw new ArgumentOutOfRangeException(nameof(iterations), "iterations must be 1 or more");
        Iterations = iterations;
    }

    public override string Algorithm => Pbkdf2.AlgorithmName;

    public int Iterations { get; }

    public override SecretKey DeriveKey(ReadOnlySpan<byte> passphrase, int size = 32)
    {
        if (size is < 16 or > SecretKey.MaxSize) throw new ArgumentOutOfRangeException(nameof(size), "key size must be 16 to 64 bytes");
        Span<byte> raw = stackalloc byte[SecretKey.MaxSize];
        try
        {
            Pbkdf2.DeriveBytes(passphrase, Salt, Iterations, raw[..size]);
            return SecretKey.Import(raw[..size]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(raw);
        }
    }

    public override string ToString() => $"{Algorithm}({Iterations} iterations, {Salt.Length}-byte salt)";
}

// FF1 format-preserving encryption, NIST SP 800-38G Rev. 1 (February 2019) section 5.1, Algorithms 7
// and 8, over AES-128/192/256 (FIPS 197). A numeral string of radix 2..36 encrypts to a numeral string of
// the same radix and length; text uses the alphabet "0-9a-z" (the first `radix` characters).
// Limits (validated once, at the public boundary):
//   - radix 2..36; length 2..MaxLength (256) numerals; tweak 0..MaxTweakLength (256) bytes;
//   - Rev. 1 domain rule: radix^length >= 1,000,000 (section 5.2), so a 6-digit decimal value is the
//     shortest accepted, and radix^length is the size of the space a value is permuted in.
// Rounds keep A and B as numbers (NUM_radix(STR_radix(c)) = c), written back to numerals at the end.
// When radix^v < 2^96 every number in a round fits a UInt128 (b <= 12, d <= 16), which covers decimal
// values up to 56 digits, SSNs and phone numbers included: no BigInteger and no allocation per call.
// Longer inputs take the same generic code with BigInteger.
// PRF (step 6.ii) is CBC-MAC with a zero IV; the blocks of P || Q that no round changes are absorbed
// once per call. The block cipher is AES-NI, or OpenSSL in FIPS mode (AesBlockCipher.Create).
using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;

namespace PhiCrypto.Primitives;

/// <summary>An FF1 key for one radix: thread-safe, key schedule set up once; dispose to zero it.</summary>
public sealed class Ff1 : IDisposable
{
    public const int MinRadix = 2;
    public const int MaxRadix = 36;
    public const int MaxLength = 256;
    public const int MaxTweakLength = 256;
    /// <summary>SP 800-38G Rev. 1: radix^minlen must be at least one million.</summary>
    public const int MinDomainSize = 1_000_000;
    private const string Alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
    private const int Rounds = 10;
    private const int MaxB = 83;    // ceil(ceil(128 * log2(36)) / 8): v <= MaxLength / 2 numerals
    private const int MaxD = 88;    // 4 * ceil(MaxB / 4) + 4
    private const int MaxQ = MaxTweakLength + 15 + 1 + MaxB;

    private readonly AesBlockCipher _aes;
    private readonly int _minLength;
    private readonly byte[] _bytesOfHalf; // b for each v: computed once, so no BigInteger per call
    private readonly bool _bigIntegerOnly;  // tests: run the generic path where UInt128 would do

    private Ff1(ReadOnlySpan<byte> key, int radix, bool bigIntegerOnly = false)
    {
        _bigIntegerOnly = bigIntegerOnly;
        _aes = AesBlockCipher.Create(key);
        Radix = radix;
        _minLength = MinimumLength(radix);
        _bytesOfHalf = new byte[(MaxLength + 1) / 2 + 1];
        for (int v = 1; v < _bytesOfHalf.Length; v++) _bytesOfHalf[v] = (byte)BytesFor(radix, v);
    }

    // b = ceil(ceil(v log2 radix) / 8), with ceil(v log2 radix) exact: the bit length of radix^v - 1.
    private static int BytesFor(int radix, int v) => (int)((BigInteger.Pow(radix, v) - 1).GetBitLength() + 7) / 8;

    /// <summary>Keys FF1 with AES: a 32-byte key (AES-256), or 16/24 bytes for AES-128/192.</summary>
    public static Ff1 Create(ReadOnlySpan<byte> key, int radix = 10)
    {
        if (key.Length is not (16 or 24 or 32)) throw new ArgumentException("FF1 key must be 32 bytes (or 16/24 for AES-128/192)", nameof(key));
        if (radix is < MinRadix or > MaxRadix) throw new ArgumentOutOfRangeException(nameof(radix), $"FF1 radix must be {MinRadix} to {MaxRadix}");
        return new Ff1(key, radix);
    }

    public static Ff1 Create(SecretKey key, int radix = 10) => Create(key.Span, radix);

    /// <summary>Tests: an instance that computes every length with BigInteger.</summary>
    internal static Ff1 CreateBigIntegerOnly(ReadOnlySpan<byte> key, int radix) => new(key, radix, bigIntegerOnly: true);

    public int Radix { get; }

    /// <summary>True when the AES-NI block cipher is in use (false: OpenSSL).</summary>
    public bool IsHardwareAccelerated => _aes.IsHardware;

    /// <summary>The shortest input this radix accepts: the least n with radix^n >= 1,000,000 (and n >= 2).</summary>
    public static int MinimumLength(int radix)
    {
        if (radix is < MinRadix or > MaxRadix) throw new ArgumentOutOfRangeException(nameof(radix), $"FF1 radix must be {MinRadix} to {MaxRadix}");
        int n = 0;
        for (long size = 1; size < MinDomainSize; size *= radix) n++;
        return Math.Max(n, 2);
    }

    /// <summary>Encrypts numerals (values 0..radix-1) into <paramref name="output"/> of the same length.</summary>
    public void Encrypt(ReadOnlySpan<byte> numerals, ReadOnlySpan<byte> tweak, Span<byte> output)
    {
        CheckNumerals(numerals, tweak, output);
        Transform(numerals, tweak, output, encrypt: true);
    }

    /// <summary>Decrypts numerals (values 0..radix-1) into <paramref name="output"/> of the same length.</summary>
    public void Decrypt(ReadOnlySpan<byte> numerals, ReadOnlySpan<byte> tweak, Span<byte> output)
    {
        CheckNumerals(numerals, tweak, output);
        Transform(numerals, tweak, output, encrypt: false);
    }

    /// <summary>Encrypts text over the alphabet 0-9a-z (its first radix characters).</summary>
    public void Encrypt(ReadOnlySpan<char> text, ReadOnlySpan<byte> tweak, Span<char> output) => TransformText(text, tweak, output, encrypt: true);

    /// <summary>Decrypts text over the alphabet 0-9a-z (its first radix characters).</summary>
    public void Decrypt(ReadOnlySpan<char> text, ReadOnlySpan<byte> tweak, Span<char> output) => TransformText(text, tweak, output, encrypt: false);

    public string Encrypt(string text, ReadOnlySpan<byte> tweak = default) => TransformText(text, tweak, encrypt: true);

    public string Decrypt(string text, ReadOnlySpan<byte> tweak = default) => TransformText(text, tweak, encrypt: false);

    private string TransformText(string text, ReadOnlySpan<byte> tweak, bool encrypt)
    {
        ArgumentNullException.ThrowIfNull(text);
        CheckLengths(text.Length, tweak.Length);
        var result = new char[text.Length];
        TransformText(text, tweak, result, encrypt);
        return new string(result);
    }

    private void TransformText(ReadOnlySpan<char> text, ReadOnlySpan<byte> tweak, Span<char> output, bool encrypt)
    {
        CheckLengths(text.Length, tweak.Length);
        if (output.Length != text.Length) throw new ArgumentException("output must be as long as the input", nameof(output));
        Span<byte> numerals = stackalloc byte[MaxLength];
        numerals = numerals[..text.Length];
        try
        {
            for (int i = 0; i < text.Length; i++)
            {
                int digit = Alphabet.AsSpan(0, Radix).IndexOf(text[i]);
                if (digit < 0) throw new ArgumentException($"character {i} is not a radix-{Radix} numeral (alphabet 0-9a-z)", nameof(text));
                numerals[i] = (byte)digit;
            }
            Transform(numerals, tweak, numerals, encrypt);
            for (int i = 0; i < numerals.Length; i++) output[i] = Alphabet[numerals[i]];
        }
        finally
        {
            CryptographicOperations.ZeroMemory(numerals);
        }
    }

    private void CheckNumerals(ReadOnlySpan<byte> numerals, ReadOnlySpan<byte> tweak, Span<byte> output)
    {
        CheckLengths(numerals.Length, tweak.Length);
        if (output.Length != numerals.Length) throw new ArgumentException("output must be as long as the input", nameof(output));
        for (int i = 0; i < numerals.Length; i++)
            if (numerals[i] >= Radix) throw new ArgumentException($"numeral {i} is not below the radix {Radix}", nameof(numerals));
    }

    private void CheckLengths(int length, int tweakLength)
    {
        if (length > MaxLength) throw new ArgumentException($"FF1 inputs are limited to {MaxLength} numerals");
        if (length < _minLength)
            throw new ArgumentException($"FF1 in radix {Radix} needs at least {_minLength} numerals: SP 800-38G Rev. 1 requires radix^length >= 1,000,000");
        if (tweakLength > MaxTweakLength) throw new ArgumentException($"FF1 tweaks are limited to {MaxTweakLength} bytes");
    }

    private void Transform(ReadOnlySpan<byte> x, ReadOnlySpan<byte> tweak, Span<byte> output, bool encrypt)
    {
        var p = new Parameters(x.Length, tweak.Length, _bytesOfHalf);
        if (p.B <= 12 && !_bigIntegerOnly) Feistel<UInt128>(p, x, tweak, output, encrypt);
        else Feistel<BigInteger>(p, x, tweak, output, encrypt);
    }

    // Algorithms 7 (encrypt) and 8 (decrypt), steps 1-7, on numbers instead of numeral strings.
    private void Feistel<T>(in Parameters p, ReadOnlySpan<byte> x, ReadOnlySpan<byte> tweak, Span<byte> output, bool encrypt)
        where T : IBinaryInteger<T>
    {
        T radix = T.CreateTruncating(Radix);
        T modU = Power(radix, p.U), modV = Power(radix, p.V);
        T a = Num(x[..p.U], radix), b = Num(x[p.U..], radix);
        Span<byte> q = stackalloc byte[MaxQ];
        Span<byte> prefix = stackalloc byte[AesBlockCipher.BlockSize];
        q = q[..p.QLength];
        try
        {
            int roundStart = Prepare(p, tweak, q, prefix);
            for (int step = 0; step < Rounds; step++)
            {
                int i = encrypt ? step : Rounds - 1 - step;
                T mod = i % 2 == 0 ? modU : modV;
                // Encrypt: C = A + y from B, then A = B, B = C. Decrypt: C = B - y from A, then B = A, A = C.
                T y = RoundValue<T>(p, i, encrypt ? b : a, q, roundStart, prefix) % mod;
                if (encrypt) (a, b) = (b, (a + y) % mod);
                else (a, b) = ((b + mod - y) % mod, a);
            }
            Str(a, radix, output[..p.U]);
            Str(b, radix, output[p.U..]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(q);
            CryptographicOperations.ZeroMemory(prefix);
        }
    }

    // Writes Q's fixed part (T || 0^pad) and returns where the round part ([i] || [NUM(B)]^b) starts,
    // rounded down to a block; `prefix` gets the CBC-MAC state over P and Q's blocks before it.
    private int Prepare(in Parameters p, ReadOnlySpan<byte> tweak, Span<byte> q, Span<byte> prefix)
    {
        Span<byte> pBlock = stackalloc byte[AesBlockCipher.BlockSize];
        pBlock[0] = 1; pBlock[1] = 2; pBlock[2] = 1;
        pBlock[3] = (byte)(Radix >> 16); pBlock[4] = (byte)(Radix >> 8); pBlock[5] = (byte)Radix;
        pBlock[6] = 10; pBlock[7] = (byte)p.U;
        BinaryPrimitives.WriteUInt32BigEndian(pBlock[8..], (uint)p.N);
        BinaryPrimitives.WriteUInt32BigEndian(pBlock[12..], (uint)tweak.Length);
        q.Clear();
        tweak.CopyTo(q);
        int roundStart = (q.Length - 1 - p.B) & ~(AesBlockCipher.BlockSize - 1);
        prefix.Clear();
        _aes.CbcMac(prefix, pBlock);
        _aes.CbcMac(prefix, q[..roundStart]);
        return roundStart;
    }

    // Steps 6.i-6.iv: y = NUM(S), S the first d bytes of R || CIPH(R ^ [1]^16) || CIPH(R ^ [2]^16) ...
    private T RoundValue<T>(in Parameters p, int i, T numB, Span<byte> q, int roundStart, ReadOnlySpan<byte> prefix)
        where T : IBinaryInteger<T>
    {
        int iAt = q.Length - 1 - p.B;
        q[iAt] = (byte)i;
        WriteFixed(numB, q[(iAt + 1)..]);
        Span<byte> s = stackalloc byte[(MaxD + 15) & ~15];
        Span<byte> r = s[..AesBlockCipher.BlockSize];
        prefix.CopyTo(r);
        _aes.CbcMac(r, q[roundStart..]);
        for (int j = 1; j * AesBlockCipher.BlockSize < p.D; j++)
        {
            var block = s.Slice(j * AesBlockCipher.BlockSize, AesBlockCipher.BlockSize);
            r.CopyTo(block);
            BinaryPrimitives.WriteUInt32BigEndian(block[12..], BinaryPrimitives.ReadUInt32BigEndian(r[12..]) ^ (uint)j);
            _aes.EncryptBlock(block, block);
        }
        T y = T.ReadBigEndian(s[..p.D], isUnsigned: true);
        CryptographicOperations.ZeroMemory(s);
        return y;
    }

    private static T Power<T>(T radix, int exponent) where T : IBinaryInteger<T>
    {
        T result = T.One;
        for (int i = 0; i < exponent; i++) result *= radix;
        return result;
    }

    private static T Num<T>(ReadOnlySpan<byte> numerals, T radix) where T : IBinaryInteger<T>
    {
        T value = T.Zero;
        foreach (byte digit in numerals) value = value * radix + T.CreateTruncating(digit);
        return value;
    }

    private static void Str<T>(T value, T radix, Span<byte> numerals) where T : IBinaryInteger<T>
    {
        for (int i = numerals.Length - 1; i >= 0; i--)
        {
            (value, T digit) = T.DivRem(value, radix);
            numerals[i] = byte.CreateTruncating(digit);
        }
    }

    // [value]^len: big-endian in exactly destination.Length bytes (value is known to fit).
    private static void WriteFixed<T>(T value, Span<byte> destination) where T : IBinaryInteger<T>
    {
        Span<byte> buffer = stackalloc byte[MaxB + 1];
        // TryWriteBigEndian, not the WriteBigEndian default method, which would box a UInt128 per call.
        // BigInteger may write a zero sign byte first.
        value.TryWriteBigEndian(buffer, out int count);
        int skip = Math.Max(0, count - destination.Length);
        destination.Clear();
        buffer[skip..count].CopyTo(destination[(destination.Length - (count - skip))..]);
        CryptographicOperations.ZeroMemory(buffer[..count]);
    }

    public void Dispose() => _aes.Dispose();

    public override string ToString() => $"Ff1(radix {Radix})";

    // Steps 1, 3 and 4 and Q's length: u = floor(n/2), v = n - u, b = ceil(ceil(v log2 radix) / 8),
    // d = 4 ceil(b/4) + 4, |Q| = t + ((-t - b - 1) mod 16) + 1 + b.
    private readonly struct Parameters
    {
        public readonly int N, U, V, B, D, QLength;

        public Parameters(int n, int t, ReadOnlySpan<byte> bytesOfHalf)
        {
            N = n;
            U = n / 2;
            V = n - U;
            B = bytesOfHalf[V];
            D = 4 * ((B + 3) / 4) + 4;
            int pad = ((-t - B - 1) % 16 + 16) % 16;
            QLength = t + pad + 1 + B;
        }
    }
}

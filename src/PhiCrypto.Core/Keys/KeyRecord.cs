// One DEK version as the store keeps it: metadata, the DEK wrapped under the KEK, a MAC that binds the
// metadata to the DEK, and a store MAC under the keyring's record key (KeyringIntegrity) that covers it
// all, tombstones included. Binary form (big-endian), documented in docs/keyring-format.md:
//
//   u8   format = 0x02    (0x01, without generation and store MAC, is refused)
//   u8   state            (KeyState)
//   u8   wrap algorithm   (WrapAlgorithm: 0 none/destroyed, 1 AES-KWP, 2 AES-KW)
//   u8   P, P bytes       purpose, UTF-8, 1..200
//   u32  version          >= 1
//   u64  generation       sequence of the audit event that wrote this state of the record
//   i64  created, activated, deactivated, compromised, destroyed: Unix ms, 0 = not reached
//   u64  usage reserved   randomized encryptions reserved under this version
//   u16  K, K bytes       KEK id, UTF-8
//   u8   C, C bytes       KEK check value (3 bytes; 0 when destroyed)
//   u8   W, W bytes       wrapped DEK (40 for KWP of 32 bytes; 0 when destroyed)
//   u8   M, M bytes       MAC, 32 bytes (0 when destroyed): HMAC-SHA-256 over every byte before M,
//                         keyed with HKDF-SHA-256(DEK, salt = "", info = "phicrypto key record mac v1")
//   u8   S, S bytes       store MAC, 32 bytes: HMAC-SHA-256 over every byte before S, under the record key
//
// The DEK MAC binds a record to its key (a recovery bundle carries it to another keyring); the store
// MAC, with the generation that the audit chain must agree with, is why a replayed, edited or forged
// record, live or destroyed, is refused. A wrong KEK is told apart by the check value, first.
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using PhiCrypto.Primitives;

namespace PhiCrypto.Keys;

public sealed record KeyRecord
{
    public const byte FormatVersion = 2;
    public const int DekSize = 32;
    public const int MacSize = 32;
    private static readonly byte[] MacInfo = "phicrypto key record mac v1"u8.ToArray();

    public required string Purpose { get; init; }
    public required uint Version { get; init; }
    /// <summary>The audit sequence of the event that wrote this state of the record (set by the keyring on commit).</summary>
    public long Generation { get; init; }
    public required KeyState State { get; init; }
    public required DateTimeOffset Created { get; init; }
    public DateTimeOffset? Activated { get; init; }
    public DateTimeOffset? Deactivated { get; init; }
    public DateTimeOffset? Compromised { get; init; }
    public DateTimeOffset? Destroyed { get; init; }
    public ulong UsageReserved { get; init; }
    public required string KekId { get; init; }
    public byte[] KekCheckValue { get; init; } = [];
    public WrapAlgorithm WrapAlgorithm { get; init; }
    public byte[] Wrapped { get; init; } = [];
    public byte[] Mac { get; init; } = [];
    /// <summary>HMAC-SHA-256 under the keyring's record key over everything else (<see cref="KeyringIntegrity"/>).</summary>
    public byte[] StoreMac { get; init; } = [];

    public string KeyName => KeyNames.Format(Purpose, Version);

    /// <summary>The time the record entered <paramref name="state"/>, if it did.</summary>
    public DateTimeOffset? EnteredAt(KeyState state) => state switch
    {
        KeyState.PreActive => Created,
        KeyState.Active => Activated,
        KeyState.Deactivated => Deactivated,
        KeyState.Compromised => Compromised,
        _ => Destroyed,
    };

    /// <summary>A copy in <paramref name="state"/> with its timestamp set (MAC not yet recomputed).</summary>
    public KeyRecord WithState(KeyState state, DateTimeOffset at) => state switch
    {
        KeyState.Active => this with { State = state, Activated = at },
        KeyState.Deactivated => this with { State = state, Deactivated = at },
        KeyState.Compromised => this with { State = state, Compromised = at },
        KeyState.Destroyed => this with { State = state, Destroyed = at, KekCheckValue = [], WrapAlgorithm = WrapAlgorithm.None, Wrapped = [], Mac = [], StoreMac = [] },
        _ => this with { State = state },
    };

    /// <summary>A copy whose MAC is computed under <paramref name="dek"/>.</summary>
    public KeyRecord Seal(ReadOnlySpan<byte> dek) => State == KeyState.Destroyed ? this with { Mac = [] } : this with { Mac = ComputeMac(dek, Body()) };

    /// <summary>Constant-time check of the MAC under <paramref name="dek"/>.</summary>
    public bool VerifyMac(ReadOnlySpan<byte> dek)
    {
        if (Mac.Length != MacSize) return false;
        return CryptographicOperations.FixedTimeEquals(ComputeMac(dek, Body()), Mac);
    }

    private static byte[] ComputeMac(ReadOnlySpan<byte> dek, ReadOnlySpan<byte> body)
    {
        Span<byte> macKey = stackalloc byte[32];
        try
        {
            Hkdf.DeriveKey(HashAlgorithmName.SHA256, dek, macKey, default, MacInfo);
            return HMACSHA256.HashData(macKey, body);
        }
        finally { CryptographicOperations.ZeroMemory(macKey); }
    }

    /// <summary>A copy whose store MAC is computed under the keyring's <paramref name="recordKey"/>.</summary>
    internal KeyRecord Authenticated(ReadOnlySpan<byte> recordKey) => this with { StoreMac = HMACSHA256.HashData(recordKey, Unauthenticated()) };

    /// <summary>Constant-time check of the store MAC under the keyring's <paramref name="recordKey"/>.</summary>
    internal bool VerifyStoreMac(ReadOnlySpan<byte> recordKey) =>
        StoreMac.Length == MacSize && CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(recordKey, Unauthenticated()), StoreMac);

    public byte[] ToBytes()
    {
        var w = new BinaryWriter8();
        w.Raw(Unauthenticated());
        w.Bytes8(StoreMac);
        return w.ToArray();
    }

    /// <summary>Body and DEK MAC: what the store MAC covers.</summary>
    private byte[] Unauthenticated()
    {
        var w = new BinaryWriter8();
        w.Raw(Body());
        w.Bytes8(Mac);
        return w.ToArray();
    }

    private byte[] Body()
    {
        var w = new BinaryWriter8();
        w.U8(FormatVersion);
        w.U8((byte)State);
        w.U8((byte)WrapAlgorithm);
        w.Str8(Purpose);
        w.U32(Version);
        w.U64((ulong)Generation);
        w.Time(Created); w.Time(Activated); w.Time(Deactivated); w.Time(Compromised); w.Time(Destroyed);
        w.U64(UsageReserved);
        w.Str16(KekId);
        w.Bytes8(KekCheckValue);
        w.Bytes8(Wrapped);
        return w.ToArray();
    }

    /// <summary>Parses the binary form; <see cref="MalformedDataException"/> for anything off the format.</summary>
    public static KeyRecord Parse(ReadOnlySpan<byte> data)
    {
        var r = new BinaryReader8(data, "key record");
        if (r.U8() != FormatVersion) throw UnsupportedFormat();
        byte state = r.U8(), wrap = r.U8();
        if (!KeyLifecycle.IsDefined(state) || wrap > (byte)WrapAlgorithm.AesKw) throw new MalformedDataException("key record has an unknown state or wrap algorithm");
        var rec = new KeyRecord
        {
            State = (KeyState)state,
            WrapAlgorithm = (WrapAlgorithm)wrap,
            Purpose = r.Str8(),
            Version = r.U32(),
            Generation = (long)Math.Min(r.U64(), long.MaxValue),
            Created = r.Time() ?? throw new MalformedDataException("key record has no creation time"),
            Activated = r.Time(), Deactivated = r.Time(), Compromised = r.Time(), Destroyed = r.Time(),
            UsageReserved = r.U64(),
            KekId = r.Str16(),
            KekCheckValue = r.Bytes8(),
            Wrapped = r.Bytes8(),
            Mac = r.Bytes8(),
            StoreMac = r.Bytes8(),
        };
        r.End();
        rec.Validate();
        return rec;
    }

    internal static MalformedDataException UnsupportedFormat() =>
        new("unsupported key record format version (format 1, of earlier releases, is refused: see docs/keyring-format.md)");

    /// <summary>Structural checks shared by the binary and JSON parsers.</summary>
    internal void Validate()
    {
        if (!KeyNames.IsValidPurpose(Purpose) || Version == 0) throw new MalformedDataException("key record has an invalid purpose or version");
        bool destroyed = State == KeyState.Destroyed;
        if (destroyed != (WrapAlgorithm == WrapAlgorithm.None) || destroyed != (Wrapped.Length == 0) || (!destroyed && Mac.Length != MacSize) || StoreMac.Length != MacSize)
            throw new MalformedDataException($"key record {KeyName} is inconsistent (state, wrapping and MAC disagree)");
    }

    public override string ToString() => $"KeyRecord({KeyName}, {KeyLifecycle.Name(State)}, kek {KekId})";
}

/// <summary>Big-endian writer for the record and audit formats.</summary>
internal sealed class BinaryWriter8
{
    private readonly MemoryStream _s = new();
    public void U8(byte v) => _s.WriteByte(v);
    public void U16(ushort v) { Span<byte> b = stackalloc byte[2]; BinaryPrimitives.WriteUInt16BigEndian(b, v); _s.Write(b); }
    public void U32(uint v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32BigEndian(b, v); _s.Write(b); }
    public void U64(ulong v) { Span<byte> b = stackalloc byte[8]; BinaryPrimitives.WriteUInt64BigEndian(b, v); _s.Write(b); }
    public void Time(DateTimeOffset? t) => U64((ulong)(t?.ToUnixTimeMilliseconds() ?? 0));
    public void Bytes8(ReadOnlySpan<byte> b) { if (b.Length > 255) throw new ArgumentException("field longer than 255 bytes"); U8((byte)b.Length); _s.Write(b); }
    public void Bytes16(ReadOnlySpan<byte> b) { if (b.Length > ushort.MaxValue) throw new ArgumentException("field longer than 65535 bytes"); U16((ushort)b.Length); _s.Write(b); }
    public void Raw(ReadOnlySpan<byte> b) => _s.Write(b);
    public void Str8(string s) => Bytes8(Encoding.UTF8.GetBytes(s));
    public void Str16(string s) => Bytes16(Encoding.UTF8.GetBytes(s));
    public byte[] ToArray() => _s.ToArray();
}

/// <summary>Big-endian reader; every overrun is a <see cref="MalformedDataException"/> naming <c>what</c>.</summary>
internal ref struct BinaryReader8(ReadOnlySpan<byte> data, string what)
{
    private ReadOnlySpan<byte> _d = data;
    private readonly string _what = what;

    private ReadOnlySpan<byte> Take(int n)
    {
        if (n > _d.Length) throw new MalformedDataException($"{_what} is truncated");
        var r = _d[..n]; _d = _d[n..]; return r;
    }
    public byte U8() => Take(1)[0];
    public ushort U16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));
    public uint U32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));
    public ulong U64() => BinaryPrimitives.ReadUInt64BigEndian(Take(8));
    public DateTimeOffset? Time()
    {
        ulong ms = U64();
        if (ms == 0) return null;
        if (ms > 253402300799999UL) throw new MalformedDataException($"{_what} has an out-of-range time");
        return DateTimeOffset.FromUnixTimeMilliseconds((long)ms);
    }
    public byte[] Bytes8() => Take(U8()).ToArray();
    public byte[] Bytes16() => Take(U16()).ToArray();
    public byte[] Raw(int n) => Take(n).ToArray();
    public string Str8() => Utf8(Take(U8()));
    public string Str16() => Utf8(Take(U16()));
    public readonly int Remaining => _d.Length;
    public readonly void End() { if (!_d.IsEmpty) throw new MalformedDataException($"{_what} has trailing bytes"); }

    private readonly string Utf8(ReadOnlySpan<byte> b)
    {
        try { return new UTF8Encoding(false, true).GetString(b); }
        catch (DecoderFallbackException) { throw new MalformedDataException($"{_what} has invalid UTF-8"); }
    }
}

// One lifecycle event of the keyring, chained by HMAC-SHA-256 (RFC 2104) to the event before it, under the
// keyring's audit key (KeyringIntegrity): without the KEK nobody can edit, re-chain or append an event.
// Events name purposes, versions and states, never key bytes. Binary form (big-endian), MACed as is
// (docs/keyring-format.md):
//
//   u8   format = 0x02       (0x01: the unkeyed SHA-256 chain of earlier releases, refused)
//   u64  sequence          1, 2, 3, ... with no gaps
//   i64  time              Unix ms
//   u8   kind              (AuditKind)
//   u8   P, P bytes        purpose (0 = none)
//   u32  version           (0 = none)
//   u8   from state, u8 to state   (0xFF = none)
//   u8   A, A bytes        actor (user@host), UTF-8
//   u16  D, D bytes        detail, UTF-8, at most 1024 bytes
//   32   previous MAC      (32 zero bytes for sequence 1)
//
//   MAC ("hash" in the JSON and the database) = HMAC-SHA-256(audit key, all of the above)
using System.Security.Cryptography;
using System.Text;

namespace PhiCrypto.Keys;

public enum AuditKind : byte
{
    Init = 1,
    Create = 2,
    Activate = 3,
    Rotate = 4,
    Rewrap = 5,
    StateChange = 6,
    Export = 7,
    Import = 8,
    UsageReserve = 9,
}

public sealed record AuditEvent
{
    public const byte FormatVersion = 2;
    public const int HashSize = 32;
    public const int MaxDetailBytes = 1024;
    private const byte NoState = 0xFF;

    public required long Sequence { get; init; }
    public required DateTimeOffset Time { get; init; }
    public required AuditKind Kind { get; init; }
    public string? Purpose { get; init; }
    public uint Version { get; init; }
    public KeyState? FromState { get; init; }
    public KeyState? ToState { get; init; }
    public string Actor { get; init; } = "";
    public string Detail { get; init; } = "";
    public byte[] PreviousHash { get; init; } = new byte[HashSize];
    public byte[] Hash { get; init; } = [];

    /// <summary>The event's bytes without the hash: what <see cref="Hash"/> is computed over.</summary>
    public byte[] ToBytes()
    {
        var w = new BinaryWriter8();
        w.U8(FormatVersion);
        w.U64((ulong)Sequence);
        w.Time(Time);
        w.U8((byte)Kind);
        w.Str8(Purpose ?? "");
        w.U32(Version);
        w.U8(FromState is { } f ? (byte)f : NoState);
        w.U8(ToState is { } t ? (byte)t : NoState);
        w.Bytes8(Truncate(Actor, 255));
        w.Bytes16(Truncate(Detail, MaxDetailBytes));
        if (PreviousHash.Length != HashSize) throw new ArgumentException("previous hash must be 32 bytes");
        w.Raw(PreviousHash);
        return w.ToArray();
    }

    /// <summary>HMAC-SHA-256 of the event's bytes under the keyring's audit key.</summary>
    public byte[] ComputeMac(ReadOnlySpan<byte> auditKey) => HMACSHA256.HashData(auditKey, ToBytes());

    /// <summary>This event with its MAC (<see cref="Hash"/>) filled in.</summary>
    public AuditEvent Sealed(ReadOnlySpan<byte> auditKey) => this with { Hash = ComputeMac(auditKey) };

    public static AuditEvent Parse(ReadOnlySpan<byte> data, ReadOnlySpan<byte> hash)
    {
        var r = new BinaryReader8(data, "audit record");
        if (r.U8() != FormatVersion) throw UnsupportedFormat();
        var e = new AuditEvent
        {
            Sequence = (long)r.U64(),
            Time = r.Time() ?? throw new MalformedDataException("audit record has no time"),
            Kind = (AuditKind)r.U8(),
            Purpose = NullIfEmpty(r.Str8()),
            Version = r.U32(),
            FromState = State(r.U8()),
            ToState = State(r.U8()),
            Actor = r.Str8(),
            Detail = r.Str16(),
            PreviousHash = r.Raw(HashSize),
            Hash = hash.ToArray(),
        };
        r.End();
        return e;
    }

    public static string KindName(AuditKind kind) => kind switch
    {
        AuditKind.Init => "init",
        AuditKind.Create => "create",
        AuditKind.Activate => "activate",
        AuditKind.Rotate => "rotate",
        AuditKind.Rewrap => "rewrap",
        AuditKind.StateChange => "state-change",
        AuditKind.Export => "export",
        AuditKind.Import => "import",
        AuditKind.UsageReserve => "usage-reserve",
        _ => $"kind-{(byte)kind}",
    };

    public static bool TryParseKind(string name, out AuditKind kind)
    {
        AuditKind? k = name switch
        {
            "init" => AuditKind.Init,
            "create" => AuditKind.Create,
            "activate" => AuditKind.Activate,
            "rotate" => AuditKind.Rotate,
            "rewrap" => AuditKind.Rewrap,
            "state-change" => AuditKind.StateChange,
            "export" => AuditKind.Export,
            "import" => AuditKind.Import,
            "usage-reserve" => AuditKind.UsageReserve,
            _ => null,
        };
        kind = k ?? default;
        return k is not null;
    }

    internal static MalformedDataException UnsupportedFormat() =>
        new("unsupported audit record format version (format 1, the unkeyed chain of earlier releases, is refused: see docs/keyring-format.md)");

    private static KeyState? State(byte b) => b == NoState ? null : KeyLifecycle.IsDefined(b) ? (KeyState)b : throw new MalformedDataException("audit record has an unknown state");
    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;

    private static byte[] Truncate(string s, int maxBytes)
    {
        var b = Encoding.UTF8.GetBytes(s);
        if (b.Length <= maxBytes) return b;
        int n = maxBytes;
        while (n > 0 && (b[n] & 0xC0) == 0x80) n--; // do not cut a UTF-8 sequence
        return b[..n];
    }

    public override string ToString() =>
        $"#{Sequence} {Time:O} {KindName(Kind)} {Purpose}{(Version > 0 ? $"/v{Version}" : "")} {Detail}".TrimEnd();
}

/// <summary>Result of <see cref="AuditChain.Verify"/>: valid, or the first broken link and why.</summary>
public sealed record AuditVerification(bool IsValid, long Count, long? BrokenAtSequence, int? BrokenAtIndex, string Message, byte[] HeadHash);

public static class AuditChain
{
    /// <summary>Checks sequence numbers, previous-MAC links and each event's own MAC under <paramref name="auditKey"/>, in order.</summary>
    public static AuditVerification Verify(IReadOnlyList<AuditEvent> events, ReadOnlySpan<byte> auditKey)
    {
        var prev = new byte[AuditEvent.HashSize];
        for (int i = 0; i < events.Count; i++)
        {
            var e = events[i];
            string? problem =
                e.Sequence != i + 1 ? $"expected sequence {i + 1}, found {e.Sequence} (a record was deleted, inserted or reordered)" :
                !CryptographicOperations.FixedTimeEquals(e.PreviousHash, prev) ? "its previous-MAC does not match the record before it" :
                !CryptographicOperations.FixedTimeEquals(SafeMac(e, auditKey), e.Hash) ? "its MAC does not verify (the record was edited, re-hashed or forged)" :
                null;
            if (problem is not null)
                return new AuditVerification(false, events.Count, e.Sequence, i, $"audit chain broken at record {i + 1} (sequence {e.Sequence}): {problem}", prev);
            prev = e.Hash;
        }
        return new AuditVerification(true, events.Count, null, null, $"audit chain intact: {events.Count} records, MACs verified", prev);
    }

    private static byte[] SafeMac(AuditEvent e, ReadOnlySpan<byte> auditKey)
    {
        try { return e.ComputeMac(auditKey); }
        catch (ArgumentException) { return new byte[AuditEvent.HashSize]; }
    }

    /// <summary>The actor recorded in events: the OS user and host, nothing secret.</summary>
    public static string DefaultActor() => $"{Environment.UserName}@{Environment.MachineName}";
}

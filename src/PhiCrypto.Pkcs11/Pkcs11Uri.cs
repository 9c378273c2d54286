// PKCS#11 URIs, RFC 7512: "pkcs11:" path attributes separated by ';' and query attributes by '&',
// values percent-encoded. We read token, object, id, serial, slot-id, type (path) and module-path,
// module-name, pin-source (query). pin-value is refused: a PIN never goes on a command line.
//   pkcs11:token=phicrypto;object=kek?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin
using System.Globalization;
using System.Text;

namespace PhiCrypto.Pkcs11;

public sealed record Pkcs11Uri
{
    public string? Token { get; init; }
    public string? Object { get; init; }
    public byte[]? Id { get; init; }
    public string? Serial { get; init; }
    public ulong? SlotId { get; init; }
    public string? Type { get; init; }
    public string? ModulePath { get; init; }
    public string? ModuleName { get; init; }
    public string? PinSource { get; init; }

    public static bool IsPkcs11Uri(string? s) => s is not null && s.StartsWith("pkcs11:", StringComparison.OrdinalIgnoreCase);

    public static Pkcs11Uri Parse(string uri)
    {
        if (!IsPkcs11Uri(uri)) throw new ArgumentException("a PKCS#11 URI starts with 'pkcs11:' (RFC 7512)");
        var body = uri["pkcs11:".Length..];
        int q = body.IndexOf('?');
        var path = q < 0 ? body : body[..q];
        var query = q < 0 ? "" : body[(q + 1)..];
        var u = new Pkcs11Uri();
        foreach (var (k, v) in Attributes(path, ';'))
        {
            u = k switch
            {
                "token" => u with { Token = Decode(v) },
                "object" => u with { Object = Decode(v) },
                "id" => u with { Id = DecodeBytes(v) },
                "serial" => u with { Serial = Decode(v) },
                "slot-id" => u with { SlotId = ulong.TryParse(Decode(v), NumberStyles.None, CultureInfo.InvariantCulture, out var slot) ? slot
                                                  : throw new ArgumentException("the PKCS#11 URI slot-id is not a decimal number") },
                "type" => u with { Type = Decode(v) },
                "manufacturer" or "model" or "library-manufacturer" or "library-description" or "library-version" or "slot-description" or "slot-manufacturer" => u,
                _ when k.StartsWith("x-", StringComparison.Ordinal) => u,
                _ => throw new ArgumentException($"unsupported PKCS#11 URI path attribute '{k}'"),
            };
        }
        foreach (var (k, v) in Attributes(query, '&'))
        {
            u = k switch
            {
                "module-path" => u with { ModulePath = Decode(v) },
                "module-name" => u with { ModuleName = Decode(v) },
                "pin-source" => u with { PinSource = Decode(v) },
                "pin-value" => throw new ArgumentException("pin-value is not accepted in a PKCS#11 URI: use pin-source=file:PATH or PHICRYPTO_PKCS11_PIN"),
                _ when k.StartsWith("x-", StringComparison.Ordinal) => u,
                _ => throw new ArgumentException($"unsupported PKCS#11 URI query attribute '{k}'"),
            };
        }
        if (u.Type is not null and not "secret-key") throw new ArgumentException("a PKCS#11 KEK is a secret key (type=secret-key)");
        if (u.Object is null && u.Id is null) throw new ArgumentException("the PKCS#11 URI must name the KEK with object= or id=");
        return u;
    }

    /// <summary>The module to load: module-path, or module-name looked up by the loader.</summary>
    public string Module => ModulePath ?? (ModuleName is { } n ? $"{n}.so" : throw new ArgumentException("the PKCS#11 URI needs module-path= (or module-name=)"));

    /// <summary>The identifying part of the URI, without module or PIN source: the KEK id stored in records.</summary>
    public string KeyId
    {
        get
        {
            var parts = new List<string>();
            if (Token is not null) parts.Add($"token={Encode(Token)}");
            if (Serial is not null) parts.Add($"serial={Encode(Serial)}");
            if (SlotId is { } s) parts.Add($"slot-id={s}");
            if (Object is not null) parts.Add($"object={Encode(Object)}");
            if (Id is not null) parts.Add($"id={string.Concat(Id.Select(b => $"%{b:x2}"))}");
            return "pkcs11:" + string.Join(';', parts);
        }
    }

    private static IEnumerable<(string, string)> Attributes(string s, char sep)
    {
        foreach (var part in s.Split(sep, StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=');
            if (eq <= 0) throw new ArgumentException("malformed PKCS#11 URI attribute (expected name=value)");
            yield return (part[..eq].ToLowerInvariant(), part[(eq + 1)..]);
        }
    }

    private static string Decode(string v) => Encoding.UTF8.GetString(DecodeBytes(v));

    private static byte[] DecodeBytes(string v)
    {
        var bytes = new List<byte>();
        for (int i = 0; i < v.Length; i++)
        {
            if (v[i] == '%')
            {
                if (i + 2 >= v.Length || !byte.TryParse(v.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var b))
                    throw new ArgumentException("malformed percent-encoding in PKCS#11 URI");
                bytes.Add(b);
                i += 2;
            }
            else bytes.AddRange(Encoding.UTF8.GetBytes(v[i].ToString()));
        }
        return [.. bytes];
    }

    private static string Encode(string v)
    {
        var sb = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(v))
        {
            char c = (char)b;
            if (b < 0x80 && (char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or ':' or '[' or ']' or '@' or '!' or '$' or '\'' or '(' or ')' or '*' or '+' or ',' or '=' or '&'))
                sb.Append(c);
            else sb.Append(CultureInfo.InvariantCulture, $"%{b:x2}");
        }
        return sb.ToString();
    }

    /// <summary>Never shows the PIN source path's contents; the path itself is not secret.</summary>
    public override string ToString() => KeyId;
}

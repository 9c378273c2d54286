// The ASCII form of an envelope, for TEXT columns: "phi:" followed by the envelope in unpadded
// base64url (RFC 4648 section 5). The prefix makes encrypted values recognisable in a dump and
// keeps them apart from any legacy plaintext during a migration.
using System.Buffers.Text;

namespace PhiCrypto.Fields;

public static class FieldText
{
    public const string Prefix = "phi:";

    /// <summary>The text form of <paramref name="envelope"/>.</summary>
    public static string Encode(ReadOnlySpan<byte> envelope) => Prefix + Base64Url.EncodeToString(envelope);

    /// <summary>True when <paramref name="text"/> carries the prefix of an encoded envelope.</summary>
    public static bool IsEncoded(ReadOnlySpan<char> text) => text.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>The envelope bytes of <paramref name="text"/>; throws <see cref="MalformedDataException"/>.</summary>
    public static byte[] Decode(ReadOnlySpan<char> text)
    {
        if (!IsEncoded(text)) throw new MalformedDataException("not an encrypted field value (missing prefix)");
        var body = text[Prefix.Length..];
        var bytes = new byte[Base64Url.GetMaxDecodedLength(body.Length)];
        int written;
        try
        {
            if (!Base64Url.TryDecodeFromChars(body, bytes, out written)) throw new System.FormatException();
        }
        catch (System.FormatException)
        {
            throw new MalformedDataException("encrypted field value is not valid base64url");
        }
        return written == bytes.Length ? bytes : bytes[..written];
    }
}

// The head of a keyring's audit chain, "<sequence>:<MAC in hex>": the outside anchor against the one
// change a store writer without the KEK can still make, replacing the whole store by an earlier
// consistent copy. Print it after every change (`phicrypt keys audit --head`), keep it where the store's
// writers cannot reach (WORM storage, a remote syslog), and check it later (`--expect-head`,
// Keyring.CheckAuditHead): a store whose chain no longer contains that event was rolled back or replaced.
using System.Globalization;

namespace PhiCrypto.Keys;

public sealed record AuditHead(long Sequence, byte[] Mac)
{
    public override string ToString() => $"{Sequence.ToString(CultureInfo.InvariantCulture)}:{Convert.ToHexStringLower(Mac)}";

    /// <summary>Parses "SEQUENCE:HEX" (64 hex digits); <see cref="ArgumentException"/> for anything else.</summary>
    public static AuditHead Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int colon = text.IndexOf(':');
        if (colon > 0 && long.TryParse(text.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out long seq) &&
            text.Length - colon - 1 == 2 * AuditEvent.HashSize)
        {
            try { return new AuditHead(seq, Convert.FromHexString(text.AsSpan(colon + 1))); }
            catch (FormatException) { }
        }
        throw new ArgumentException("an audit head is <sequence>:<64 hex digits>, as `phicrypt keys audit --head` prints it");
    }
}

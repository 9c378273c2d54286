// The encrypted message cut into numbered parts on the way out, and put back together on the way in.
// Writing hashes each part's bytes (SHA-256) for the manifest, and the message's header (SHA-384) for
// the signature. Reading checks every part against the manifest: its length before the first byte is
// read, its SHA-256 before its last byte is released, so a damaged or truncated part fails the read
// loudly, naming the part; SignedMessageStream checks the header's signed digest before any byte.
// The signed list of part digests covers every byte of the message, and the last part's is checked
// before the final frame can be read: backups made before December 2026 also carry a SHA-384 of the
// whole message (messageSha384, still checked when present); it is no longer written, because it
// hashed every byte a second time (SHA-384 without hardware support was most of a backup's CPU).
using System.Security.Cryptography;
using PhiCrypto.IO;
using PhiCrypto.Messages;

namespace PhiCrypto.Cli.Backups;

/// <summary>A write-only stream that starts a new part every <c>splitBytes</c> (0: one part, named <c>name</c> if given).</summary>
internal sealed class PartWriter(PartStore store, long splitBytes, string? name = null) : WriteOnlyStream
{
    private readonly List<ManifestPart> _parts = [];
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly MemoryStream _head = new();   // the first bytes, enough for the longest header
    private Stream? _current;
    private long _inPart, _total;

    public long TotalBytes => _total;

    public override void Write(ReadOnlySpan<byte> data)
    {
        if (_head.Length < BackupManifest.MaxHeaderBytes) _head.Write(data[..(int)Math.Min(data.Length, BackupManifest.MaxHeaderBytes - _head.Length)]);
        while (!data.IsEmpty)
        {
            if (_current is null) StartPart();
            int n = splitBytes > 0 ? (int)Math.Min(data.Length, splitBytes - _inPart) : data.Length;
            _current!.Write(data[..n]);
            _hash.AppendData(data[..n]);
            _inPart += n; _total += n;
            data = data[n..];
            if (splitBytes > 0 && _inPart == splitBytes) EndPart();
        }
    }

    private void StartPart()
    {
        var partName = name ?? store.PartName(_parts.Count + 1, splitBytes > 0);
        _parts.Add(new ManifestPart { Name = partName });
        _current = store.CreatePart(partName);
        _inPart = 0;
    }

    private void EndPart()
    {
        _current!.Dispose();
        _current = null;
        var part = _parts[^1];
        part.Bytes = _inPart;
        part.Sha256 = Convert.ToHexStringLower(_hash.GetHashAndReset());
    }

    /// <summary>Finishes the last part; the list is what the manifest records. Not called on failure.</summary>
    public List<ManifestPart> Complete()
    {
        if (_current is not null) EndPart();
        if (_parts.Count == 0) throw new InvalidOperationException("no bytes were written");
        return _parts;
    }

    /// <summary>The header's length and SHA-384 for the signed manifest (messageSha384: no longer written, empty).</summary>
    public void RecordDigests(BackupManifest manifest) =>
        (manifest.HeaderBytes, manifest.HeaderSha384, manifest.MessageSha384) = Digests();

    /// <summary>The header's length and SHA-384 (hex), and the empty message digest (see the file's comment).</summary>
    public (int HeaderBytes, string HeaderSha384, string MessageSha384) Digests()
    {
        _head.Position = 0;
        int length = MessageHeader.Read(_head, BackupManifest.MaxHeaderBytes).Length;
        return (length, Convert.ToHexStringLower(SHA384.HashData(_head.GetBuffer().AsSpan(0, length))), "");
    }


    protected override void Dispose(bool disposing)
    {
        if (disposing) _hash.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>A read-only stream over the parts in manifest order, checking each part's length and SHA-256.</summary>
internal sealed class PartReader : ReadOnlyStream
{
    private readonly PartStore _store;
    private readonly IReadOnlyList<ManifestPart> _parts;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private Stream? _current;
    private int _index = -1;
    private long _inPart;

    /// <summary>The part being read, if any.</summary>
    public string? CurrentPart => _index >= 0 && _index < _parts.Count ? _parts[_index].Name : null;

    public PartReader(PartStore store, IReadOnlyList<ManifestPart> parts)
    {
        _store = store;
        _parts = parts;
    }

    /// <summary>Fails before any data flows when a part is missing or has another length.</summary>
    public static void CheckPresent(PartStore store, IReadOnlyList<ManifestPart> parts)
    {
        foreach (var p in parts)
        {
            long length = store.PartLength(p.Name);
            if (length < 0) throw new BackupPartException(p.Name, "is missing");
            if (length != p.Bytes) throw new BackupPartException(p.Name, $"is {length} bytes, the manifest says {p.Bytes}: truncated or replaced");
        }
    }

    public override int Read(Span<byte> buffer)
    {
        while (true)
        {
            if (_current is null)
            {
                if (_index + 1 >= _parts.Count) return 0;
                _current = _store.OpenPart(_parts[++_index].Name);
                _inPart = 0;
            }
            var part = _parts[_index];
            int want = (int)Math.Min(buffer.Length, part.Bytes - _inPart);
            int n = want == 0 ? 0 : _current.Read(buffer[..want]);
            if (n > 0)
            {
                _hash.AppendData(buffer[..n]);
                _inPart += n;
                if (_inPart < part.Bytes) return n;
            }
            else if (_inPart < part.Bytes) throw new BackupPartException(part.Name, $"ended after {_inPart} of {part.Bytes} bytes: truncated");
            EndPart(part);
            if (n > 0) return n;
        }
    }

    private void EndPart(ManifestPart part)
    {
        Span<byte> extra = stackalloc byte[1];
        bool longer = _current!.Read(extra) > 0;
        _current.Dispose();
        _current = null;
        if (longer) throw new BackupPartException(part.Name, "is longer than the manifest says");
        var actual = _hash.GetHashAndReset();
        if (!CryptographicOperations.FixedTimeEquals(actual, Convert.FromHexString(part.Sha256)))
            throw new BackupPartException(part.Name, "is corrupted: its SHA-256 does not match the manifest");
    }


    protected override void Dispose(bool disposing)
    {
        if (disposing) { _current?.Dispose(); _hash.Dispose(); }
        base.Dispose(disposing);
    }
}

/// <summary>
/// The message of a signed backup: its header is read and checked against the signed digest before the
/// first byte is released (so no decryption starts on a substituted header), and the whole message's
/// digest is checked at its end, before the reader sees the end (so the final frame is never released).
/// </summary>
internal sealed class SignedMessageStream : ReadOnlyStream
{
    private readonly Stream _inner;
    private readonly byte[] _header;
    private readonly byte[] _expected;   // empty: no whole-message digest (the parts' digests cover it)
    private readonly IncrementalHash? _hash;
    private int _headerServed;
    private bool _ended;

    /// <summary>The authenticated header, parsed (its encryption context is compared with the manifest).</summary>
    public MessageHeader Header { get; }

    private SignedMessageStream(Stream inner, byte[] header, byte[] expected)
    {
        _inner = inner;
        _header = header;
        _expected = expected;
        if (expected.Length > 0)
        {
            _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA384);
            _hash.AppendData(header);
        }
        Header = MessageHeader.Read(new MemoryStream(header, writable: false), header.Length);
    }

    /// <summary>Reads and checks the header from <paramref name="parts"/>; nothing is released before this.</summary>
    public static SignedMessageStream Open(Stream parts, BackupManifest manifest) =>
        Open(parts, manifest.HeaderBytes, manifest.HeaderSha384, manifest.MessageSha384);

    /// <summary>As above, for one message of a directory backup (its file entry's digests).</summary>
    public static SignedMessageStream Open(Stream parts, ManifestFile file) =>
        Open(parts, file.HeaderBytes, file.HeaderSha384, file.MessageSha384);

    private static SignedMessageStream Open(Stream parts, int headerBytes, string headerSha384, string messageSha384)
    {
        var header = new byte[headerBytes];
        try { parts.ReadExactly(header); }
        catch (EndOfStreamException) { throw new BackupFailedException("the backup ends inside the message header: truncated"); }
        if (!CryptographicOperations.FixedTimeEquals(SHA384.HashData(header), Convert.FromHexString(headerSha384)))
            throw new PhiCryptoException(PhiStatus.AuthenticationFailed, "the message header is not the one the backup's signature covers: refused");
        return new SignedMessageStream(parts, header, Convert.FromHexString(messageSha384));
    }

    public override int Read(Span<byte> buffer)
    {
        if (_headerServed < _header.Length)
        {
            int h = Math.Min(buffer.Length, _header.Length - _headerServed);
            _header.AsSpan(_headerServed, h).CopyTo(buffer);
            _headerServed += h;
            return h;
        }
        int n = _inner.Read(buffer);
        if (n > 0) { _hash?.AppendData(buffer[..n]); return n; }
        if (_hash is not null && !_ended)
        {
            _ended = true;
            if (!CryptographicOperations.FixedTimeEquals(_hash.GetHashAndReset(), _expected))
                throw new PhiCryptoException(PhiStatus.AuthenticationFailed, "the backup's bytes are not the ones its signature covers: refused");
        }
        return 0;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) { _inner.Dispose(); _hash?.Dispose(); }
        base.Dispose(disposing);
    }
}

// Where a backup's parts and manifest live: a file, a folder, or an S3 prefix.
//   -o FILE             parts FILE (or FILE.00001, FILE.00002, ... with --split), manifest FILE.manifest.json
//   -o DIR/             parts DIR/part-00001.phi, ..., manifest DIR/manifest.json
//   -o s3://bucket/pfx  objects pfx/part-00001.phi, ..., manifest pfx/manifest.json (multipart uploads)
// Writing is all-or-nothing: parts are written under temporary names (or as unfinished uploads) and
// only Commit names them, once each is on disk (fsync), and writes the manifest, last; Abort removes
// everything this run wrote.
// A directory-format backup (`--jobs N`) writes its files' messages in parallel, one part each, under
// pg_dump's file names (toc.dat.phi, 3456.dat.phi, ...): it needs a folder or an S3 prefix.
using PhiCrypto.Cli.Backups.S3;
using PhiCrypto.Keys;

namespace PhiCrypto.Cli.Backups;

internal abstract class PartStore : IDisposable
{
    /// <summary>The manifest's name in a folder or under an S3 prefix.</summary>
    protected const string ManifestName = "manifest.json";

    public abstract string Location { get; }
    public abstract string PartName(int index, bool split);
    /// <summary>A write-only stream for one part; disposing it finishes the part.</summary>
    public abstract Stream CreatePart(string name);
    /// <summary>Makes every part final and writes the manifest (last).</summary>
    public abstract void Commit(byte[] manifest);
    /// <summary>Removes every part this run wrote; never throws.</summary>
    public abstract void Abort();

    public abstract byte[] ReadManifest();
    /// <summary>The part's stored length, or -1 when it is missing.</summary>
    public abstract long PartLength(string name);
    public abstract Stream OpenPart(string name);
    /// <summary>True when the location is a folder or prefix of its own (a directory-format backup needs one).</summary>
    public virtual bool IsFolder => true;
    /// <summary>Every object stored at the location except the manifest, or null where it cannot be listed.</summary>
    public virtual IReadOnlyCollection<string>? ListParts() => null;

    public virtual void Dispose() { }

    /// <summary>Parses a -o value or a restore/verify source; <paramref name="s3"/> is what backup asks of an S3 store.</summary>
    public static PartStore For(string target, bool forWriting, S3WriteOptions? s3 = null)
    {
        s3 ??= S3WriteOptions.None;
        if (target.StartsWith("s3://", StringComparison.Ordinal))
        {
            var rest = target["s3://".Length..];
            int slash = rest.IndexOf('/');
            string bucket = slash < 0 ? rest : rest[..slash], prefix = slash < 0 ? "" : rest[(slash + 1)..].Trim('/');
            if (bucket.Length == 0) throw new UsageException("s3:// target needs a bucket: s3://bucket/prefix");
            var client = S3Client.FromEnvironment();
            try { return new S3PartStore(client, bucket, prefix, s3, forWriting); }
            catch { client.Dispose(); throw; }
        }
        if (!s3.IsEmpty) throw new UsageException("--s3-sse, --s3-sse-kms-key-id and --retain-until apply to s3:// targets only");
        if (target.EndsWith('/') || Directory.Exists(target)) return new FilePartStore(target, null, forWriting);
        const string suffix = ".manifest.json";
        if (!forWriting && target.EndsWith(suffix, StringComparison.Ordinal)) target = target[..^suffix.Length];
        return new FilePartStore(Path.GetDirectoryName(Path.GetFullPath(target))!, Path.GetFileName(target), forWriting);
    }
}

/// <summary>Parts as files in one folder.</summary>
internal sealed class FilePartStore : PartStore
{
    private const string Partial = ".partial";
    private readonly string _dir;
    private readonly string? _file;   // null: a folder of part-NNNNN.phi
    private readonly List<string> _written = [];
    private readonly List<string> _committed = [];
    private readonly List<FileStream> _open = [];   // parts are written from several threads with --jobs
    private bool _manifestNamed;                     // by this run (the constructor refuses an existing one)

    public FilePartStore(string dir, string? file, bool forWriting)
    {
        _dir = Path.GetFullPath(dir);
        _file = file;
        if (!forWriting) return;
        Directory.CreateDirectory(_dir);
        if (File.Exists(ManifestPath)) throw new UsageException($"{ManifestPath} exists: refusing to overwrite a backup");
    }

    private string ManifestPath => Path.Combine(_dir, _file is null ? ManifestName : _file + "." + ManifestName);
    public override string Location => _file is null ? _dir : Path.Combine(_dir, _file);

    public override string PartName(int index, bool split) =>
        _file is null ? $"part-{index:D5}.phi" : split ? $"{_file}.{index:D5}" : _file;

    public override bool IsFolder => _file is null;

    public override Stream CreatePart(string name)
    {
        var stream = new FileStream(Path.Combine(_dir, name + Partial), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        lock (_open) { _written.Add(name); _open.Add(stream); }
        return stream;
    }

    /// <summary>The parts reach the disk and their names before the manifest is written, and the manifest
    /// before Commit returns: after a crash there is either a manifest over durable parts, or no manifest
    /// (not a backup), never a manifest naming parts still in the page cache.</summary>
    public override void Commit(byte[] manifest)
    {
        foreach (var name in _written)
        {
            var partial = Path.Combine(_dir, name + Partial);
            using (var part = new FileStream(partial, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
                part.Flush(flushToDisk: true);
            File.Move(partial, Path.Combine(_dir, name), overwrite: true);
            _committed.Add(name);
        }
        var tmp = ManifestPath + Partial;
        using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write))
        {
            f.Write(manifest);
            f.Flush(flushToDisk: true);
        }
        DirectorySync.Flush(_dir);  // the parts' renames, before the manifest's (an I/O error: exit code of IoError)
        File.Move(tmp, ManifestPath, overwrite: false);
        _manifestNamed = true;
        DirectorySync.Flush(_dir);  // if this fails, Abort takes the manifest with the parts
    }

    public override void Abort()
    {
        lock (_open)
            foreach (var stream in _open)
                try { stream.Dispose(); } catch (IOException) { }
        // Only what this run wrote: a file of the same name that was there before stays.
        var paths = _written.Select(n => Path.Combine(_dir, n + Partial)).Concat(_committed.Select(n => Path.Combine(_dir, n)))
            .Append(ManifestPath + Partial).Concat(_manifestNamed ? [ManifestPath] : []);
        foreach (var path in paths)
            try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    public override byte[] ReadManifest()
    {
        if (!File.Exists(ManifestPath)) throw new BackupFailedException($"no manifest at {ManifestPath}: not a complete backup");
        return File.ReadAllBytes(ManifestPath);
    }

    public override long PartLength(string name)
    {
        var info = new FileInfo(Path.Combine(_dir, name));
        return info.Exists ? info.Length : -1;
    }

    public override IReadOnlyCollection<string>? ListParts() => _file is not null ? null
        : Directory.EnumerateFileSystemEntries(_dir).Select(p => Path.GetFileName(p)).Where(n => n != ManifestName).ToList();

    public override Stream OpenPart(string name) =>
        new FileStream(Path.Combine(_dir, name), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
}

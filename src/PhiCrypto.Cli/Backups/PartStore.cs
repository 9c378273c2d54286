// Where a backup's parts and manifest live: a file, a folder, or an S3 prefix.
//   -o FILE             parts FILE (or FILE.00001, FILE.00002, ... with --split), manifest FILE.manifest.json
//   -o DIR/             parts DIR/part-00001.phi, ..., manifest DIR/manifest.json
//   -o s3://bucket/pfx  objects pfx/part-00001.phi, ..., manifest pfx/manifest.json (multipart uploads)
// Writing is all-or-nothing: parts are written under temporary names (or as unfinished uploads) and
// only Commit names them and writes the manifest, last; Abort removes everything this run wrote.
namespace PhiCrypto.Cli.Backups;

internal abstract class PartStore : IDisposable
{
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

    public virtual void Dispose() { }

    /// <summary>Parses a -o value or a restore/verify source.</summary>
    public static PartStore For(string target, bool forWriting)
    {
        if (target.StartsWith("s3://", StringComparison.Ordinal))
        {
            var rest = target["s3://".Length..];
            int slash = rest.IndexOf('/');
            string bucket = slash < 0 ? rest : rest[..slash], prefix = slash < 0 ? "" : rest[(slash + 1)..].Trim('/');
            if (bucket.Length == 0) throw new UsageException("s3:// target needs a bucket: s3://bucket/prefix");
            return new S3PartStore(S3Client.FromEnvironment(), bucket, prefix);
        }
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
    private FileStream? _open;

    public FilePartStore(string dir, string? file, bool forWriting)
    {
        _dir = Path.GetFullPath(dir);
        _file = file;
        if (!forWriting) return;
        Directory.CreateDirectory(_dir);
        if (File.Exists(ManifestPath)) throw new UsageException($"{ManifestPath} exists: refusing to overwrite a backup");
    }

    private string ManifestPath => Path.Combine(_dir, _file is null ? "manifest.json" : _file + ".manifest.json");
    public override string Location => _file is null ? _dir : Path.Combine(_dir, _file);

    public override string PartName(int index, bool split) =>
        _file is null ? $"part-{index:D5}.phi" : split ? $"{_file}.{index:D5}" : _file;

    public override Stream CreatePart(string name)
    {
        _written.Add(name);
        return _open = new FileStream(Path.Combine(_dir, name + Partial), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
    }

    public override void Commit(byte[] manifest)
    {
        foreach (var name in _written)
        {
            File.Move(Path.Combine(_dir, name + Partial), Path.Combine(_dir, name), overwrite: true);
            _committed.Add(name);
        }
        var tmp = ManifestPath + Partial;
        using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write))
        {
            f.Write(manifest);
            f.Flush(flushToDisk: true);
        }
        File.Move(tmp, ManifestPath, overwrite: false);
    }

    public override void Abort()
    {
        try { _open?.Dispose(); } catch (IOException) { }
        // Only what this run wrote: a file of the same name that was there before stays.
        var paths = _written.Select(n => Path.Combine(_dir, n + Partial)).Concat(_committed.Select(n => Path.Combine(_dir, n)));
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

    public override Stream OpenPart(string name) =>
        new FileStream(Path.Combine(_dir, name), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
}

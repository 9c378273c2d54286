// The embedded default store: one JSON file (docs/keyring-format.md).
//   {"format":"phicrypto-keyring","version":2,"settings":{...},"records":[...],"audit":[...]}
// (version 1, before the keyed audit chain, is refused with a message that says so.)
// Writers take an exclusive flock on "<file>.lock" (FileShare.None is flock(LOCK_EX) on Unix), re-read
// the file, check the commit's conditions, write "<file>.tmp-<random>" with mode 0600, fsync it and
// rename it over the file, then fsync the directory so the rename itself survives a crash: readers see
// the old or the new file, never half of one. The keyring's directory is created 0700, the files 0600.
using System.Text.Json;

namespace PhiCrypto.Keys;

public sealed class JsonFileKeyStore : IKeyStore
{
    public const string FormatName = "phicrypto-keyring";
    public const int FormatVersion = 2;
    private const UnixFileMode FileMode600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode DirMode700 = FileMode600 | UnixFileMode.UserExecute;

    private readonly TimeSpan _lockTimeout;

    public JsonFileKeyStore(string path, TimeSpan? lockTimeout = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = System.IO.Path.GetFullPath(path);
        _lockTimeout = lockTimeout ?? TimeSpan.FromSeconds(30);
    }

    public string Path { get; }
    public string Location => Path;

    public KeyStoreContents Load()
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(Path); }
        catch (FileNotFoundException) { return KeyStoreContents.Empty; }
        catch (DirectoryNotFoundException) { return KeyStoreContents.Empty; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new KeyStoreException($"cannot read keyring {Path}: {e.Message}", e); }
        return Parse(bytes);
    }

    public void Commit(KeyStoreCommit commit)
    {
        commit.Validate();
        using var _ = AcquireLock();
        var current = Load();
        var next = current.Apply(commit);
        WriteAtomically(Serialize(next));
    }

    public static byte[] Serialize(KeyStoreContents c)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", FormatName);
            w.WriteNumber("version", FormatVersion);
            w.WriteStartObject("settings");
            foreach (var (k, v) in c.Settings.OrderBy(p => p.Key, StringComparer.Ordinal)) w.WriteString(k, v);
            w.WriteEndObject();
            w.WriteStartArray("records");
            foreach (var r in c.Records) KeyringJson.WriteRecord(w, r);
            w.WriteEndArray();
            w.WriteStartArray("audit");
            foreach (var a in c.Audit) KeyringJson.WriteAudit(w, a);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        ms.WriteByte((byte)'\n');
        return ms.ToArray();
    }

    public static KeyStoreContents Parse(ReadOnlySpan<byte> json)
    {
        JsonDocument? doc = null;
        try
        {
            doc = JsonDocument.Parse(json.ToArray());
            var root = doc.RootElement;
            if (root.GetProperty("format").GetString() != FormatName) throw new MalformedDataException("not a phicrypto keyring file");
            if (root.GetProperty("version").GetInt32() is var v && v != FormatVersion)
                throw new MalformedDataException($"keyring file version {v} is not supported (this release reads version {FormatVersion}; " +
                                                 "version 1 predates the keyed audit chain and is refused: see docs/keyring-format.md)");
            var settings = new Dictionary<string, string>();
            foreach (var p in root.GetProperty("settings").EnumerateObject()) settings[p.Name] = p.Value.GetString()!;
            var records = root.GetProperty("records").EnumerateArray().Select(KeyringJson.ReadRecord).ToList();
            var audit = new LazyAuditList(doc, [.. root.GetProperty("audit").EnumerateArray()]);
            if (audit.Count > 0) _ = audit[^1]; // the head is always needed: parse it now, so a bad head fails here
            return new KeyStoreContents(settings, records, audit);
        }
        catch (Exception e) when (KeyringJson.IsJsonShapeError(e) || e is MalformedDataException)
        {
            doc?.Dispose();
            throw e as MalformedDataException ?? new MalformedDataException("the keyring file is not valid keyring JSON");
        }
    }

    /// <summary>Audit events parsed on first use: a keyring load needs only the head, and a long trail
    /// (four events per rotation) would otherwise dominate loading. Keeps its JsonDocument alive.</summary>
    private sealed class LazyAuditList(JsonDocument doc, JsonElement[] items) : IReadOnlyList<AuditEvent>
    {
        private readonly AuditEvent?[] _parsed = new AuditEvent?[items.Length];
        private readonly JsonDocument _doc = doc;

        public int Count => items.Length;

        public AuditEvent this[int index]
        {
            get
            {
                GC.KeepAlive(_doc);
                return Volatile.Read(ref _parsed[index]) ?? (_parsed[index] = KeyringJson.ReadAudit(items[index]));
            }
        }

        public IEnumerator<AuditEvent> GetEnumerator()
        {
            for (int i = 0; i < items.Length; i++) yield return this[i];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private FileStream AcquireLock()
    {
        EnsureDirectory();
        var deadline = DateTime.UtcNow + _lockTimeout;
        var delay = 5;
        while (true)
        {
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
                if (!OperatingSystem.IsWindows()) options.UnixCreateMode = FileMode600;
                return new FileStream(Path + ".lock", options);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(delay);
                delay = Math.Min(delay * 2, 200);
            }
            catch (IOException e) { throw new KeyStoreException($"keyring {Path} is locked by another writer: {e.Message}", e); }
        }
    }

    private void EnsureDirectory()
    {
        var dir = System.IO.Path.GetDirectoryName(Path)!;
        if (Directory.Exists(dir)) return;
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(dir);
        else Directory.CreateDirectory(dir, DirMode700);
    }

    private void WriteAtomically(byte[] bytes)
    {
        var tmp = $"{Path}.tmp-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6))}";
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = FileMode600;
            using (var fs = new FileStream(tmp, options))
            {
                fs.Write(bytes);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, Path, overwrite: true);
            DirectorySync.Flush(System.IO.Path.GetDirectoryName(Path)!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(tmp);
            throw new KeyStoreException($"cannot write keyring {Path}: {e.Message}", e);
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    public void Dispose() { }
}

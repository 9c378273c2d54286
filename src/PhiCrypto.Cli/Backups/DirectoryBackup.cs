// phicrypt backup --jobs N: `pg_dump --format=directory --jobs=N` into a ScratchDirectory, then every file
// pg_dump wrote (toc.dat and one per table) compressed and encrypted as its own message, N files at a
// time, each into its own part (<file>.phi). Each message's encryption context adds the file's name, and
// the signed manifest lists every file with its stored length, SHA-256 and message digests, so restore
// can refuse a missing, extra, renamed or swapped file. The plaintext file is deleted once encrypted.
using PhiCrypto.Messages;

namespace PhiCrypto.Cli.Backups;

internal static class DirectoryBackup
{
    /// <summary>The encryption context key naming the dump file a message holds.</summary>
    public const string FileContextKey = "phicrypto-backup-file";

    public static void Run(BackupArgs args, BackupManifest manifest, BackupKeys keys, PartStore store)
    {
        if (!store.IsFolder) throw new UsageException("--jobs writes one part per dump file: give -o DIR/ or -o s3://bucket/prefix");
        if (store.ListParts() is { Count: > 0 })
            throw new UsageException($"{store.Location} is not empty: a --jobs backup needs a folder of its own (verify and restore refuse files it did not write)");
        using var scratch = ScratchDirectory.Create(args.TempDir, "phicrypt-dump-");
        var dumpDir = Path.Combine(scratch.Path, "dump");
        using (var dump = ChildProcess.Start("pg_dump", [.. manifest.PgDumpArgs, $"--jobs={args.Jobs}", "--file=" + dumpDir, "--dbname=" + args.Pg], pipeStdin: false, pipeStdout: false))
            dump.WaitAndCheck();
        var wrappers = keys.Wrappers.Select(w => (IDataKeyWrapper)new OneAtATimeWrapper(w)).ToList();
        var files = DumpFiles(dumpDir);
        var entries = new ManifestFile[files.Count];
        FileJobs.Run(files.Count, args.Jobs, i => entries[i] = EncryptFile(files[i], store, manifest, wrappers, args.Jobs));
        manifest.Files = [.. entries.OrderBy(f => f.Name, StringComparer.Ordinal)];
        manifest.DumpBytes = entries.Sum(f => f.DumpBytes);
        manifest.EncryptedBytes = entries.Sum(f => f.Bytes);
        manifest.Completed = DateTime.UtcNow;
    }

    /// <summary>pg_dump's files, largest first (so the long ones start early); a subfolder is not pg_dump's.</summary>
    private static List<FileInfo> DumpFiles(string dumpDir)
    {
        var dir = new DirectoryInfo(dumpDir);
        if (dir.EnumerateDirectories().Any()) throw new BackupFailedException("pg_dump wrote a subfolder into its directory-format output: not supported");
        var files = dir.EnumerateFiles().OrderByDescending(f => f.Length).ToList();
        if (!files.Any(f => f.Name == "toc.dat")) throw new BackupFailedException("pg_dump wrote no toc.dat: not a directory-format dump");
        return files;
    }

    private static ManifestFile EncryptFile(FileInfo file, PartStore store, BackupManifest manifest, List<IDataKeyWrapper> wrappers, int jobs)
    {
        var options = new MessageEncryptOptions { Wrappers = wrappers, FrameLength = BackupRun.FrameLength, EncryptionContext = FileContext(manifest.EncryptionContext, file.Name) };
        var pipeline = FileJobs.Pipeline(jobs);   // files run in parallel: each gets a share of the cores
        var entry = new ManifestFile { Name = file.Name, Part = ManifestFile.PartFor(file.Name) };
        using (var input = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
        using (var zstd = DumpCompression.Compressing(input, manifest.Compression, lanes: pipeline.Workers))
        using (var writer = new PartWriter(store, 0, entry.Part))
        {
            long plaintext = MessagePipeline.Encrypt(zstd ?? (Stream)input, writer, options, pipeline);
            var part = writer.Complete()[0];
            (entry.Bytes, entry.Sha256, entry.DumpBytes) = (part.Bytes, part.Sha256, zstd?.PlaintextLength ?? plaintext);
            (entry.HeaderBytes, entry.HeaderSha384, entry.MessageSha384) = writer.Digests();
        }
        file.Delete();   // plaintext: no longer on disk than needed
        return entry;
    }

    /// <summary>The backup's context plus the file's name: a message moved to another file's name fails to decrypt.</summary>
    public static Dictionary<string, string> FileContext(IReadOnlyDictionary<string, string> backup, string name) =>
        new(backup, StringComparer.Ordinal) { [FileContextKey] = name };
}

/// <summary>A data-key wrapper used by one thread at a time: the wrappers (AES contexts, PKCS#11 sessions) are not all thread-safe.</summary>
internal sealed class OneAtATimeWrapper(IDataKeyWrapper inner) : IDataKeyWrapper
{
    public EncryptedDataKey Wrap(ReadOnlySpan<byte> dataKey, ReadOnlySpan<byte> serializedContext)
    {
        lock (this) return inner.Wrap(dataKey, serializedContext);
    }

    public bool TryUnwrap(EncryptedDataKey edk, ReadOnlySpan<byte> serializedContext, Span<byte> dataKey)
    {
        lock (this) return inner.TryUnwrap(edk, serializedContext, dataKey);
    }
}

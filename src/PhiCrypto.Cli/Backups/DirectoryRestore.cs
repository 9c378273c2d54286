// Restore and verify of a directory-format backup (`backup --jobs N`). Before anything is decrypted:
// every file the signed manifest lists must be stored with its length, and nothing else may be stored
// beside them (in the folder, or under the S3 prefix).
// Each file is then read (SHA-256 checked against the manifest), its message header and whole message
// checked against the signed digests, its encryption context against the manifest's plus its own name,
// and decrypted and decompressed, N files at a time: into a ScratchDirectory for restore, into a counter
// for verify. Only when every file has passed does `pg_restore --jobs=N` start, on that folder; the
// folder is removed afterwards, whether pg_restore succeeded or not.
using System.Runtime.ExceptionServices;
using PhiCrypto.Messages;

namespace PhiCrypto.Cli.Backups;

internal static class DirectoryRestore
{
    public static void CheckPresent(PartStore store, BackupManifest manifest)
    {
        PartReader.CheckPresent(store, manifest.StoredParts);
        if (store.ListParts() is not { } stored) return;
        var listed = manifest.Files.Select(f => f.Part).ToHashSet(StringComparer.Ordinal);
        if (stored.FirstOrDefault(name => !listed.Contains(name)) is { } extra)
            throw new BackupFailedException($"the backup holds {extra}, which its signed manifest does not list: refused. "
                + "Something was added or renamed where the backup is stored; restore from another copy, or move the file away after checking it");
    }

    public static void Restore(CheckedBackup backup, BackupArgs args)
    {
        int jobs = args.Jobs > 0 ? args.Jobs : Environment.ProcessorCount;
        using var scratch = ScratchDirectory.Create(args.TempDir, "phicrypt-restore-");
        long bytes = DecryptAll(backup, scratch, jobs);
        CheckTotal(backup.Manifest, bytes);
        using var restore = ChildProcess.Start("pg_restore",
            ["--exit-on-error", $"--jobs={jobs}", .. args.PgRestoreArgs ?? [], "--format=directory", "--dbname=" + args.Pg, scratch.Path], pipeStdin: false, pipeStdout: false);
        restore.WaitAndCheck();
    }

    /// <summary>Decrypts and checks every file, writing nothing; returns the dump's bytes.</summary>
    public static long Verify(CheckedBackup backup, BackupArgs args)
    {
        long bytes = DecryptAll(backup, null, args.Jobs > 0 ? args.Jobs : Environment.ProcessorCount);
        CheckTotal(backup.Manifest, bytes);
        return bytes;
    }

    private static void CheckTotal(BackupManifest m, long bytes)
    {
        if (bytes != m.DumpBytes) throw new BackupFailedException($"the backup decrypts to {bytes} bytes of dump, the manifest says {m.DumpBytes}");
    }

    private static long DecryptAll(CheckedBackup backup, ScratchDirectory? into, int jobs)
    {
        var wrappers = backup.Keys.Wrappers.Select(w => (IDataKeyWrapper)new OneAtATimeWrapper(w)).ToList();
        var files = backup.Manifest.Files.OrderByDescending(f => f.Bytes).ToList();
        var bytes = new long[files.Count];
        FileJobs.Run(files.Count, jobs, i => bytes[i] = DecryptFile(backup, files[i], wrappers, into, jobs));
        return bytes.Sum();
    }

    private static long DecryptFile(CheckedBackup backup, ManifestFile file, List<IDataKeyWrapper> wrappers, ScratchDirectory? into, int jobs)
    {
        var m = backup.Manifest;
        var context = DirectoryBackup.FileContext(m.EncryptionContext, file.Name);
        var options = new MessageDecryptOptions { Wrappers = wrappers, RequireKeyCommitment = true, ExpectedContext = context };
        try
        {
            using var parts = new PartReader(backup.Store, [file.AsPart()]);
            using var message = SignedMessageStream.Open(parts, file);
            CheckedBackup.CheckContext(context, message.Header);
            using var sink = new DumpCheckStream(into?.CreateFile(file.Name));
            using (var unzstd = DumpCompression.Decompressing(sink, m.Compression))
            {
                MessagePipeline.Decrypt(message, unzstd ?? (Stream)sink, options, FileJobs.Pipeline(jobs));
                unzstd?.Complete();
            }
            if (sink.Bytes != file.DumpBytes) throw new BackupFailedException($"decrypts to {sink.Bytes} bytes, the manifest says {file.DumpBytes}");
            if (file.Name == "toc.dat" && !sink.StartsWithCustomMagic) throw new BackupFailedException("toc.dat is not a pg_dump archive header");
            return sink.Bytes;
        }
        catch (PhiCryptoException e) when (e is not BackupPartException)   // that one names its part already
        {
            // Name the file, so the operator knows which copy to fetch again.
            throw new PhiCryptoException(e.Status, $"backup file {file.Part}: {e.Message}");
        }
    }
}

/// <summary>N files at a time, each with a share of the cores; the first failure is rethrown as itself.</summary>
internal static class FileJobs
{
    public static void Run(int count, int jobs, Action<int> each)
    {
        try { Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = jobs }, each); }
        catch (AggregateException e) { ExceptionDispatchInfo.Throw(e.Flatten().InnerExceptions[0]); }
    }

    /// <summary>The message pipeline of one of <paramref name="jobs"/> files processed at once.</summary>
    public static PipelineOptions Pipeline(int jobs) =>
        new() { Workers = Math.Max(1, Environment.ProcessorCount / jobs), MemoryBudget = Math.Max(8L << 20, (32L << 20) / jobs) };
}

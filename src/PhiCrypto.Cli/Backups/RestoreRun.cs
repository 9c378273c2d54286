// phicrypt restore / verify. Before anything reaches pg_restore or psql (before any child process
// starts): the manifest's signature is checked against the pinned verification key, its dump format,
// compression and pg_dump arguments are checked against each other and against the message header's
// encryption context, every part's length is checked, and the message header is read and checked
// against its signed digest. Then: parts (SHA-256 per part as read) -> decrypt (parallel, each frame
// authenticated before release; the final frame only after the whole message's signed digest) ->
// [zstd -d, in process] -> pg_restore (custom, tar) or `psql -X -v ON_ERROR_STOP=1` (plain, signed only),
// or, for verify, a counter. A part found damaged midway fails the command after the frames before it
// were restored, so the runbook restores into a fresh database and runs `phicrypt verify` first.
// Directory-format backups (`backup --jobs N`) go through DirectoryRestore instead: every file is
// decrypted and checked before pg_restore starts.
using PhiCrypto.Cli.Streaming;
using PhiCrypto.Messages;
using PhiCrypto.IO;

namespace PhiCrypto.Cli.Backups;

internal static class RestoreRun
{
    private static readonly PipelineOptions Pipeline = new() { MemoryBudget = 32L << 20 };

    public static BackupManifest Restore(BackupArgs args)
    {
        if (args.Source is null || args.Pg is null) throw new UsageException("restore needs a backup (FILE|DIR|s3://bucket/prefix) and --pg CONNINFO");
        using var backup = CheckedBackup.Open(args);
        var manifest = backup.Manifest;
        if (manifest.IsDirectory) { DirectoryRestore.Restore(backup, args); return manifest; }
        RefuseJobs(args);
        string[] command = manifest.DumpFormat == "plain"
            ? ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "--dbname=" + args.Pg, "-f", "-"]
            : ["pg_restore", "--exit-on-error", .. args.PgRestoreArgs ?? [], "--dbname=" + args.Pg];
        using var target = ChildProcess.Start(command[0], command[1..], pipeStdin: true, pipeStdout: false);
        try { Run(backup, target.Stdin, "restoring"); }
        catch (IOException)
        {
            // The restore tool failed first and its stdin broke: its exit status and stderr say why.
            target.WaitAndCheck();
            throw;
        }
        catch
        {
            target.Kill();
            throw;
        }
        target.WaitAndCheck();
        return manifest;
    }

    /// <summary>Reads, authenticates and decompresses the whole backup; writes nothing.</summary>
    public static (BackupManifest Manifest, long DumpBytes, string Origin) Verify(BackupArgs args)
    {
        if (args.Source is null) throw new UsageException("verify needs a backup (FILE|DIR|s3://bucket/prefix)");
        using var backup = CheckedBackup.Open(args);
        var manifest = backup.Manifest;
        if (manifest.IsDirectory) return (manifest, DirectoryRestore.Verify(backup, args), backup.Origin);
        RefuseJobs(args);
        var sink = new DumpCheckStream();
        Run(backup, sink, "verifying");
        if (sink.Bytes != manifest.DumpBytes)
            throw new BackupFailedException($"the backup decrypts to {sink.Bytes} bytes of dump, the manifest says {manifest.DumpBytes}");
        if (manifest.DumpFormat == "custom" && !sink.StartsWithCustomMagic)
            throw new BackupFailedException("the decrypted dump is not a pg_dump custom-format archive");
        return (manifest, sink.Bytes, backup.Origin);
    }

    /// <summary>A one-stream backup reaches pg_restore through a pipe, which it reads with one job: a
    /// --jobs that would silently do nothing is refused (before any child process starts).</summary>
    private static void RefuseJobs(BackupArgs args)
    {
        if (args.Jobs > 0)
            throw new UsageException("--jobs applies to backups made with --jobs (pg_dump's directory format); this backup is one stream, restored with one job: drop --jobs");
    }

    /// <summary>Decrypts (and decompresses) the backup into <paramref name="output"/>, which it closes.</summary>
    private static void Run(CheckedBackup backup, Stream output, string verb)
    {
        var manifest = backup.Manifest;
        var options = new MessageDecryptOptions
        {
            Wrappers = backup.Keys.Wrappers,
            RequireKeyCommitment = true,
            ExpectedContext = manifest.EncryptionContext,
        };
        using var unzstd = DumpCompression.Decompressing(output, manifest.Compression);
        try
        {
            using var progress = ProgressBar.Create(verb, manifest.EncryptedBytes);
            MessagePipeline.Decrypt(backup.Message!, unzstd ?? output, options, Pipeline, progress);
        }
        catch (PhiCryptoException e) when (e is not BackupFailedException && backup.Parts!.CurrentPart is { } part)
        {
            // Name the part, so the operator knows which copy to fetch again.
            throw new PhiCryptoException(e.Status, $"backup part {part}: {e.Message}");
        }
        unzstd?.Complete();
        output.Dispose();
    }
}

/// <summary>A backup whose manifest, signature, parts' presence and message header have been checked.</summary>
internal sealed class CheckedBackup : IDisposable
{
    public PartStore Store { get; }
    public BackupManifest Manifest { get; }
    public BackupKeys Keys { get; }
    /// <summary>The parts of the one message; null for a directory-format backup (DirectoryRestore reads its files).</summary>
    public PartReader? Parts { get; }
    /// <summary>The message stream: header-checked when signed; null for a directory-format backup.</summary>
    public Stream? Message { get; }
    /// <summary>Who signed it, for the operator.</summary>
    public string Origin { get; }

    private CheckedBackup(PartStore store, BackupManifest manifest, BackupKeys keys, PartReader? parts, Stream? message, string origin)
    {
        (Store, Manifest, Keys, Parts, Message, Origin) = (store, manifest, keys, parts, message, origin);
    }

    public static CheckedBackup Open(BackupArgs args)
    {
        var store = PartStore.For(args.Source!, forWriting: false);
        BackupKeys? keys = null;
        PartReader? parts = null;
        try
        {
            var manifest = BackupManifest.Parse(store.ReadManifest());
            keys = BackupKeys.ForDecrypt(args);
            string origin = BackupSignature.Check(manifest, args.VerifyKey, keys.Keyring, args.AllowUnsigned);
            CheckConsistent(manifest);
            if (manifest.IsDirectory)
            {
                DirectoryRestore.CheckPresent(store, manifest);
                return new CheckedBackup(store, manifest, keys, null, null, origin);
            }
            PartReader.CheckPresent(store, manifest.Parts);
            parts = new PartReader(store, manifest.Parts);
            Stream message = parts;
            if (manifest.IsSigned)
            {
                var signed = SignedMessageStream.Open(parts, manifest);
                CheckContext(manifest.EncryptionContext, signed.Header);
                message = signed;
            }
            return new CheckedBackup(store, manifest, keys, parts, message, origin);
        }
        catch
        {
            parts?.Dispose();
            keys?.Dispose();
            store.Dispose();
            throw;
        }
    }

    /// <summary>The format and compression restore acts on must be the ones pg_dump's arguments and the message say.</summary>
    private static void CheckConsistent(BackupManifest m)
    {
        string argsFormat;
        try { DumpArgs.Prepare(m.PgDumpArgs, out argsFormat, directory: m.IsDirectory); }
        catch (UsageException) { throw new MalformedDataException("the backup manifest's pg_dump arguments are not ones phicrypt backup accepts"); }
        if (argsFormat != m.DumpFormat)
            throw new MalformedDataException($"the backup manifest says dump format '{m.DumpFormat}' but its pg_dump arguments make '{argsFormat}'");
        if (!m.EncryptionContext.TryGetValue(BackupRun.ContextId, out var id) || id != m.BackupId
            || !m.EncryptionContext.TryGetValue("dump-format", out var format) || format != m.DumpFormat
            || !m.EncryptionContext.TryGetValue("compression", out var compression) || compression != m.Compression)
            throw new MalformedDataException("the backup manifest's encryption context disagrees with its backup id, dump format or compression");
    }

    /// <summary>The authenticated header must carry exactly the manifest's encryption context.</summary>
    internal static void CheckContext(IReadOnlyDictionary<string, string> expected, MessageHeader header)
    {
        bool same = header.EncryptionContext.Count == expected.Count
            && expected.All(kv => header.EncryptionContext.TryGetValue(kv.Key, out var v) && v == kv.Value);
        if (!same) throw new MalformedDataException("the message's encryption context disagrees with the backup manifest");
    }

    public void Dispose()
    {
        Message?.Dispose();
        Parts?.Dispose();
        Keys.Dispose();
        Store.Dispose();
    }
}

/// <summary>Counts the dump's bytes and remembers whether it starts like a custom-format archive or a
/// directory dump's toc.dat ("PGDMP"); passes them on to <c>inner</c> when given (which it disposes).</summary>
internal sealed class DumpCheckStream(Stream? inner = null) : WriteOnlyStream
{
    private readonly byte[] _head = new byte[5];
    public long Bytes { get; private set; }
    public bool StartsWithCustomMagic => Bytes >= 5 && _head.AsSpan().SequenceEqual("PGDMP"u8);

    public override void Write(ReadOnlySpan<byte> data)
    {
        if (Bytes < 5) data[..(int)Math.Min(data.Length, 5 - Bytes)].CopyTo(_head.AsSpan((int)Bytes));
        inner?.Write(data);
        Bytes += data.Length;
    }

    public override void Flush() => inner?.Flush();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner?.Dispose();
        base.Dispose(disposing);
    }
}

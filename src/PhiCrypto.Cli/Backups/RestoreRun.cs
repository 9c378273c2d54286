// phicrypt restore / verify: parts (lengths checked first, SHA-256 per part as read) -> decrypt
// (parallel, each frame authenticated before release; the message must carry this manifest's backup
// id) -> [zstd -d] -> pg_restore (custom, tar) or psql (plain), or, for verify, a counter.
// A restore streams: a part found damaged midway fails the command after the frames before it were
// restored, so the runbook restores into a fresh database and runs `phicrypt verify` first.
using PhiCrypto.Messages;
using PhiCrypto.IO;

namespace PhiCrypto.Cli.Backups;

internal static class RestoreRun
{
    private static readonly PipelineOptions Pipeline = new() { MemoryBudget = 32L << 20 };

    public static BackupManifest Restore(BackupArgs args)
    {
        if (args.Source is null || args.Pg is null) throw new UsageException("restore needs a backup (FILE|DIR|s3://bucket/prefix) and --pg CONNINFO");
        using var store = Open(args, out var manifest);
        using var keys = BackupKeys.ForDecrypt(args);
        string[] command = manifest.DumpFormat == "plain"
            ? ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "--dbname=" + args.Pg, "-f", "-"]
            : ["pg_restore", "--exit-on-error", .. args.PgRestoreArgs ?? [], "--dbname=" + args.Pg];
        using var target = ChildProcess.Start(command[0], command[1..], pipeStdin: true, pipeStdout: false);
        try { Run(store, manifest, keys, target.Stdin); }
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
    public static (BackupManifest Manifest, long DumpBytes) Verify(BackupArgs args)
    {
        if (args.Source is null) throw new UsageException("verify needs a backup (FILE|DIR|s3://bucket/prefix)");
        using var store = Open(args, out var manifest);
        using var keys = BackupKeys.ForDecrypt(args);
        var sink = new DumpCheckStream();
        Run(store, manifest, keys, sink);
        if (sink.Bytes != manifest.DumpBytes)
            throw new BackupFailedException($"the backup decrypts to {sink.Bytes} bytes of dump, the manifest says {manifest.DumpBytes}");
        if (manifest.DumpFormat == "custom" && !sink.StartsWithCustomMagic)
            throw new BackupFailedException("the decrypted dump is not a pg_dump custom-format archive");
        return (manifest, sink.Bytes);
    }

    private static PartStore Open(BackupArgs args, out BackupManifest manifest)
    {
        var store = PartStore.For(args.Source!, forWriting: false);
        try
        {
            manifest = BackupManifest.Parse(store.ReadManifest());
            PartReader.CheckPresent(store, manifest.Parts);
            return store;
        }
        catch { store.Dispose(); throw; }
    }

    /// <summary>Decrypts (and decompresses) the backup into <paramref name="output"/>, which it closes.</summary>
    private static void Run(PartStore store, BackupManifest manifest, BackupKeys keys, Stream output)
    {
        var options = new MessageDecryptOptions
        {
            Wrappers = keys.Wrappers,
            RequireKeyCommitment = true,
            ExpectedContext = new Dictionary<string, string> { [BackupRun.ContextId] = manifest.BackupId },
        };
        using var unzstd = manifest.Compression == "zstd" ? ChildProcess.Start("zstd", ["-d", "-q", "-c"], pipeStdin: true, pipeStdout: true) : null;
        var pump = unzstd is null ? null : new Pump("zstd -> restore", unzstd.Stdout, output);
        try
        {
            using var parts = new PartReader(store, manifest.Parts);
            var decryptedTo = unzstd?.Stdin ?? output;
            try { MessagePipeline.Decrypt(parts, decryptedTo, options, Pipeline); }
            catch (PhiCryptoException e) when (e is not BackupFailedException && parts.CurrentPart is { } part)
            {
                // Name the part, so the operator knows which copy to fetch again.
                throw new PhiCryptoException(e.Status, $"backup part {part}: {e.Message}");
            }
            decryptedTo.Dispose();
            pump?.Join();
            unzstd?.WaitAndCheck();
        }
        catch
        {
            unzstd?.Kill();
            throw;
        }
    }
}

/// <summary>Counts the dump's bytes and remembers whether it starts like a custom-format archive ("PGDMP").</summary>
internal sealed class DumpCheckStream : WriteOnlyStream
{
    private readonly byte[] _head = new byte[5];
    public long Bytes { get; private set; }
    public bool StartsWithCustomMagic => Bytes >= 5 && _head.AsSpan().SequenceEqual("PGDMP"u8);

    public override void Write(ReadOnlySpan<byte> data)
    {
        if (Bytes < 5) data[..(int)Math.Min(data.Length, 5 - Bytes)].CopyTo(_head.AsSpan((int)Bytes));
        Bytes += data.Length;
    }

}

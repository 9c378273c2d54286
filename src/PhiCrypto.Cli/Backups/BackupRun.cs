// phicrypt backup: pg_dump -> [zstd, in process] -> AWS Encryption SDK message (parallel frames) -> parts
// -> manifest; with --jobs N, DirectoryBackup instead (one message per file of a directory-format dump).
// zstd is ZstdSharp's seekable format (1 MiB frames compressed in parallel): standard zstd frames that
// `zstd -d` also reads. Memory is bounded by the pipeline's frame ring (32 MiB), the compressor's lanes
// (2 x 1 MiB per core) and, for S3, the upload buffers (64 MiB): well under 200 MB whatever the dump
// size. Every stage must succeed (pg_dump exits 0, every part written) before the manifest is written;
// otherwise everything this run wrote is removed and the command fails.
using PhiCrypto.Cli.Streaming;
using PhiCrypto.Compression;
using PhiCrypto.Messages;

namespace PhiCrypto.Cli.Backups;

internal static class BackupRun
{
    public const int FrameLength = 1 << 20;
    public const string ContextId = "phicrypto-backup-id";
    private static readonly PipelineOptions Pipeline = new() { MemoryBudget = 32L << 20 };

    public static BackupManifest Run(BackupArgs args)
    {
        if ((args.Pg is null) == !args.FromStdin || args.Output is null)
            throw new UsageException("backup needs --pg CONNINFO (or --stdin) and -o FILE|DIR|s3://bucket/prefix");
        var dumpArgs = DumpArgs.Prepare(args.PgDumpArgs, out var format, directory: args.Jobs > 0);
        if (args.Jobs > 0 && (args.FromStdin || args.SplitBytes > 0))
            throw new UsageException("--jobs runs pg_dump itself and writes one part per file: drop --stdin and --split");
        using var keys = BackupKeys.ForEncrypt(args);
        BackupSignature.OpenSigningKey(keys.Keyring!).Dispose();   // fail before pg_dump runs, not after
        var manifest = new BackupManifest
        {
            BackupId = Guid.NewGuid().ToString("N"),
            Created = DateTime.UtcNow,
            PgDumpVersion = args.FromStdin ? "(dump read from stdin)" : ChildProcess.RunForOutput("pg_dump", "--version"),
            PgDumpArgs = dumpArgs,
            DumpFormat = format,
            Compression = args.Compress,
            Suite = "0x0478",
            FrameLength = FrameLength,
            Keys = keys.Names,
        };
        manifest.EncryptionContext = new() { [ContextId] = manifest.BackupId, ["dump-format"] = format, ["compression"] = args.Compress };
        var options = new MessageEncryptOptions { Wrappers = keys.Wrappers, FrameLength = FrameLength, EncryptionContext = manifest.EncryptionContext };

        using var store = PartStore.For(args.Output, forWriting: true, args.S3);
        try
        {
            if (args.Jobs > 0) DirectoryBackup.Run(args, manifest, keys, store);
            else OneStream(args, manifest, options, store);
            BackupSignature.Sign(manifest, keys.Keyring!);
            store.Commit(manifest.ToJson());
            return manifest;
        }
        catch
        {
            store.Abort();
            throw;
        }
    }

    private static void OneStream(BackupArgs args, BackupManifest manifest, MessageEncryptOptions options, PartStore store)
    {
        // --stdin: the dump comes from elsewhere (pg_dumpall, a dump on disk); its producer's status is the caller's to check.
        using var dump = args.FromStdin ? null : ChildProcess.Start("pg_dump", [.. manifest.PgDumpArgs, "--dbname=" + args.Pg], pipeStdin: false, pipeStdout: true);
        var dumpOut = dump?.Stdout ?? Console.OpenStandardInput(1 << 20);
        using var zstd = DumpCompression.Compressing(dumpOut, manifest.Compression, lanes: 0);
        try
        {
            using var writer = new PartWriter(store, args.SplitBytes);
            long plaintext;
            using (var progress = ProgressBar.Create("backing up", -1))
                plaintext = MessagePipeline.Encrypt(zstd ?? dumpOut, writer, options, Pipeline, progress);
            // The exit status before the parts are final: a failed dump ends its output early, and
            // that truncated output encrypts into a perfectly valid message.
            dump?.WaitAndCheck();
            manifest.Parts = writer.Complete();
            manifest.DumpBytes = zstd?.PlaintextLength ?? plaintext;
            manifest.EncryptedBytes = writer.TotalBytes;
            manifest.Completed = DateTime.UtcNow;
            writer.RecordDigests(manifest);
        }
        catch
        {
            dump?.Kill();
            throw;
        }
    }
}

/// <summary>pg_dump's arguments: a streamable format (custom by default), or directory for --jobs; never the output or connection.</summary>
internal static class DumpArgs
{
    public static List<string> Prepare(List<string> given, out string format, bool directory = false)
    {
        format = directory ? "directory" : "custom";
        bool hasFormat = false, hasCompress = false;
        for (int i = 0; i < given.Count; i++)
        {
            string a = given[i];
            if (a is "-f" or "-j" or "--jobs" or "--file" || a.StartsWith("--file=", StringComparison.Ordinal) || a.StartsWith("--jobs=", StringComparison.Ordinal)
                || (a.StartsWith("-f", StringComparison.Ordinal) && !a.StartsWith("--", StringComparison.Ordinal)) || a.StartsWith("-j", StringComparison.Ordinal)
                || a.StartsWith("--dbname", StringComparison.Ordinal) || a == "-d")
                throw new UsageException($"--pg-dump-args may not contain {a}: phicrypt sets the output and the connection");
            string? f = a == "-F" || a == "--format" ? (i + 1 < given.Count ? given[i + 1] : null)
                : a.StartsWith("--format=", StringComparison.Ordinal) ? a["--format=".Length..]
                : a.StartsWith("-F", StringComparison.Ordinal) ? a[2..] : null;
            if (f is not null)
            {
                hasFormat = true;
                format = f switch
                {
                    "c" or "custom" => "custom",
                    "p" or "plain" => "plain",
                    "t" or "tar" => "tar",
                    "d" or "directory" => "directory",
                    _ => throw new UsageException($"pg_dump format '{f}' cannot be streamed: use custom, plain or tar"),
                };
                if ((format == "directory") != directory)
                    throw new UsageException(directory ? "--jobs dumps in pg_dump's directory format: drop --format from --pg-dump-args"
                        : "the directory format needs --jobs N (one message per file); without it use custom, plain or tar");
            }
            if (a is "-Z" or "--compress" || a.StartsWith("-Z", StringComparison.Ordinal) || a.StartsWith("--compress=", StringComparison.Ordinal)) hasCompress = true;
        }
        var result = new List<string>(given);
        if (!hasFormat) result.Insert(0, "--format=" + format);
        // pg_dump's own compression is single-threaded gzip: with zstd after it it only costs time, and
        // with --compress none the user asked for none. -Z in --pg-dump-args still turns it on.
        if (!hasCompress && format is "custom" or "directory") result.Insert(1, "--compress=0");
        return result;
    }
}

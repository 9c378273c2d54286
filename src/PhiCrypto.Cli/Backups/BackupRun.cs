// phicrypt backup: pg_dump -> [zstd] -> AWS Encryption SDK message (parallel frames) -> parts -> manifest.
// Memory is bounded by the pipeline's frame ring (32 MiB), the pumps' 1 MiB buffers and, for S3, the
// upload buffers (64 MiB): well under 200 MB whatever the dump size. Every stage must succeed (pg_dump
// and zstd exit 0, every part written) before the manifest is written; otherwise everything this run
// wrote is removed and the command fails.
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
        var dumpArgs = DumpArgs.Prepare(args.PgDumpArgs, out var format);
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

        using var store = PartStore.For(args.Output, forWriting: true);
        // --stdin: the dump comes from elsewhere (pg_dumpall, a dump on disk); its producer's status is the caller's to check.
        using var dump = args.FromStdin ? null : ChildProcess.Start("pg_dump", [.. dumpArgs, "--dbname=" + args.Pg], pipeStdin: false, pipeStdout: true);
        var dumpOut = dump?.Stdout ?? Console.OpenStandardInput(1 << 20);
        using var zstd = args.Compress == "zstd" ? ChildProcess.Start("zstd", ["-q", "-c", "-3", "-T0"], pipeStdin: true, pipeStdout: true) : null;
        try
        {
            var pump = zstd is null ? null : new Pump("pg_dump -> zstd", dumpOut, zstd.Stdin);
            using var writer = new PartWriter(store, args.SplitBytes);
            long plaintext = MessagePipeline.Encrypt(zstd?.Stdout ?? dumpOut, writer, options, Pipeline);
            // Exit statuses before the parts are final: a failed dump ends its output early, and
            // that truncated output encrypts into a perfectly valid message.
            pump?.Join();
            dump?.WaitAndCheck();
            zstd?.WaitAndCheck();
            manifest.Parts = writer.Complete();
            manifest.DumpBytes = pump?.Bytes ?? plaintext;
            manifest.EncryptedBytes = writer.TotalBytes;
            manifest.Completed = DateTime.UtcNow;
            writer.RecordDigests(manifest);
            BackupSignature.Sign(manifest, keys.Keyring!);
            store.Commit(manifest.ToJson());
            return manifest;
        }
        catch
        {
            zstd?.Kill();
            dump?.Kill();
            store.Abort();
            throw;
        }
    }
}

/// <summary>pg_dump's arguments: a streamable format (custom by default), nothing that writes elsewhere.</summary>
internal static class DumpArgs
{
    public static List<string> Prepare(List<string> given, out string format)
    {
        format = "custom";
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
                    _ => throw new UsageException($"pg_dump format '{f}' cannot be streamed: use custom, plain or tar"),
                };
            }
            if (a is "-Z" or "--compress" || a.StartsWith("-Z", StringComparison.Ordinal) || a.StartsWith("--compress=", StringComparison.Ordinal)) hasCompress = true;
        }
        var result = new List<string>(given);
        if (!hasFormat) result.Insert(0, "--format=custom");
        // pg_dump's own compression is single-threaded gzip: with zstd after it it only costs time, and
        // with --compress none the user asked for none. -Z in --pg-dump-args still turns it on.
        if (!hasCompress && format == "custom") result.Insert(1, "--compress=0");
        return result;
    }
}

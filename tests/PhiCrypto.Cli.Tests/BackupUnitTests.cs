using PhiCrypto.Cli.Backups;
using PhiCrypto.Cli.Streaming;

namespace PhiCrypto.Cli.Tests;

/// <summary>Option parsing and the manifest, without processes.</summary>
public sealed class BackupUnitTests
{
    [Theory]
    [InlineData("1G", 1L << 30)]
    [InlineData("500M", 500L << 20)]
    [InlineData("2048K", 2048L << 10)]
    [InlineData("1048576", 1L << 20)]
    public void Sizes_parse_with_binary_units(string text, long expected) => Assert.Equal(expected, BackupArgs.ParseSize(text));

    [Theory]
    [InlineData("0")]
    [InlineData("1K")]
    [InlineData("-5M")]
    [InlineData("1X")]
    [InlineData("")]
    public void Bad_or_tiny_sizes_are_usage_errors(string text) => Assert.Throws<UsageException>(() => BackupArgs.ParseSize(text));

    [Fact]
    public void Dump_args_split_on_whitespace_and_keep_quoted_groups() =>
        Assert.Equal(["--schema", "a b", "-t", "x"], BackupArgs.SplitArgs("  --schema 'a b'  -t \"x\" "));

    [Fact]
    public void Custom_format_without_pg_dump_compression_is_the_default()
    {
        Assert.Equal(["--format=custom", "--compress=0"], DumpArgs.Prepare([], out var f));
        Assert.Equal("custom", f);
        Assert.Equal(["--format=custom", "-Z6"], DumpArgs.Prepare(["-Z6"], out _));
        Assert.Equal(["-Fp", "--no-owner"], DumpArgs.Prepare(["-Fp", "--no-owner"], out f));
        Assert.Equal("plain", f);
    }

    [Theory]
    [InlineData("-f")]
    [InlineData("--file=x")]
    [InlineData("-j4")]
    [InlineData("-Fd")]
    [InlineData("--format=directory")]
    [InlineData("--dbname=other")]
    public void Dump_args_that_redirect_output_or_cannot_stream_are_refused(string arg) =>
        Assert.Throws<UsageException>(() => DumpArgs.Prepare([arg], out _));

    [Fact]
    public void Manifest_round_trips_and_rejects_hostile_part_names()
    {
        var m = new BackupManifest { Format = BackupManifest.UnsignedFormatName, BackupId = "abc", Compression = "zstd", Parts = [new ManifestPart { Name = "part-00001.phi", Bytes = 5, Sha256 = new string('0', 64) }] };
        var back = BackupManifest.Parse(m.ToJson());
        Assert.Equal("part-00001.phi", back.Parts[0].Name);
        Assert.False(back.IsSigned);
        m.Parts[0].Name = "../../etc/passwd";
        Assert.Throws<MalformedDataException>(() => BackupManifest.Parse(m.ToJson()));
        Assert.Throws<MalformedDataException>(() => BackupManifest.Parse("{"u8.ToArray()));
    }

    [Fact]
    public void A_version_2_manifest_without_its_signature_or_digests_is_malformed()
    {
        var m = SignedManifest();
        Assert.True(BackupManifest.Parse(m.ToJson()).IsSigned);
        m.Signature = null;
        Assert.Throws<MalformedDataException>(() => BackupManifest.Parse(m.ToJson()));
        m = SignedManifest();
        m.HeaderSha384 = "";
        Assert.Throws<MalformedDataException>(() => BackupManifest.Parse(m.ToJson()));
    }

    [Fact]
    public void The_signed_data_survives_the_json_round_trip_and_changes_with_every_field()
    {
        var original = BackupSignature.SignedData(SignedManifest());
        Assert.Equal(original, BackupSignature.SignedData(BackupManifest.Parse(SignedManifest().ToJson())));
        Action<BackupManifest>[] edits =
        [
            m => m.BackupId = "other", m => m.Created = m.Created.AddTicks(1), m => m.Completed = m.Completed.AddSeconds(1),
            m => m.PgDumpVersion = "16", m => m.PgDumpArgs.Add("--no-owner"), m => m.DumpFormat = "plain", m => m.Compression = "none",
            m => m.DumpBytes++, m => m.EncryptedBytes++, m => m.Suite = "0x0578", m => m.FrameLength = 4096,
            m => m.Keys[0].Name = "recovery/00", m => m.EncryptionContext["dump-format"] = "plain", m => m.EncryptionContext["x"] = "y",
            m => m.HeaderBytes++, m => m.HeaderSha384 = new string('b', 96), m => m.MessageSha384 = new string('c', 96),
            m => m.Parts[0].Name = "part-00002.phi", m => m.Parts[0].Bytes++, m => m.Parts[0].Sha256 = new string('d', 64),
            m => m.Parts.Add(new ManifestPart { Name = "p2", Bytes = 1, Sha256 = new string('e', 64) }),
            m => m.Signature!.KeyName = "backup-signing/v2", m => m.Signature!.Fingerprint = "SHA256:00",
        ];
        foreach (var edit in edits)
        {
            var m = SignedManifest();
            edit(m);
            Assert.NotEqual(original, BackupSignature.SignedData(m));
        }
        // Moving a string between adjacent fields changes the bytes too (every string is length-prefixed).
        var shifted = SignedManifest();
        (shifted.PgDumpArgs[0], shifted.DumpFormat) = (shifted.PgDumpArgs[0] + "c", "ustom");
        Assert.NotEqual(original, BackupSignature.SignedData(shifted));
    }

    [Fact]
    public void A_substituted_header_is_refused_before_any_byte_is_released_and_changed_bytes_at_the_end()
    {
        var (message, headerLength) = Message();
        var m = SignedManifest();
        m.HeaderBytes = headerLength;
        m.HeaderSha384 = Convert.ToHexStringLower(System.Security.Cryptography.SHA384.HashData(message.AsSpan(0, headerLength)));
        m.MessageSha384 = Convert.ToHexStringLower(System.Security.Cryptography.SHA384.HashData(message));
        using (var s = SignedMessageStream.Open(new MemoryStream(message), m))
            Assert.Equal(message, ReadAll(s));

        var (other, _) = Message();   // another message: another header (message id, data key)
        var e = Assert.Throws<PhiCryptoException>(() => SignedMessageStream.Open(new MemoryStream(other), m));
        Assert.Equal(PhiStatus.AuthenticationFailed, e.Status);

        var changed = (byte[])message.Clone();
        changed[^1] ^= 1;
        using var t = SignedMessageStream.Open(new MemoryStream(changed), m);
        var end = Assert.Throws<PhiCryptoException>(() => ReadAll(t));
        Assert.Equal(PhiStatus.AuthenticationFailed, end.Status);
    }

    [Fact]
    public void Plaintext_staging_and_decrypted_outputs_are_owner_only_from_their_first_byte()
    {
        // docs/threat-model.md, local user on the backup host: the --jobs staging folder is 0700, its
        // files 0600 and removed with it; a decrypt's output file is 0600; none is ever created over a file.
        const UnixFileMode Rw = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var parent = Directory.CreateTempSubdirectory("phicrypt-owner-").FullName;
        try
        {
            string staged;
            using (var scratch = ScratchDirectory.Create(parent, "stage-"))
            {
                staged = scratch.Path;
                Assert.Equal(Rw | UnixFileMode.UserExecute, File.GetUnixFileMode(staged));
                using (var file = scratch.CreateFile("toc.dat")) file.WriteByte(1);
                Assert.Equal(Rw, File.GetUnixFileMode(Path.Combine(staged, "toc.dat")));
                Assert.Throws<IOException>(() => scratch.CreateFile("toc.dat"));
            }
            Assert.False(Directory.Exists(staged));

            var output = Path.Combine(parent, "scan.dcm");
            using (var target = OutputTarget.Open(output))
            {
                target.Stream.WriteByte(1);
                target.Commit();
            }
            Assert.Equal(Rw, File.GetUnixFileMode(output));
        }
        finally { Directory.Delete(parent, recursive: true); }
    }

    [Fact]
    public void Without_a_whole_message_digest_a_changed_last_part_is_refused_before_its_last_byte_is_released()
    {
        var (message, headerLength) = Message();
        var dir = Directory.CreateTempSubdirectory("phicrypt-parts-").FullName;
        try
        {
            var m = SignedManifest();
            WriteParts(dir, message, m);
            Assert.Equal(headerLength, m.HeaderBytes);
            Assert.Equal("", m.MessageSha384);   // no longer written: the signed part digests cover every byte
            Assert.True(BackupManifest.Parse(m.ToJson()).IsSigned);
            using (var reader = new FilePartStore(dir, null, forWriting: false))
            using (var s = SignedMessageStream.Open(new PartReader(reader, m.Parts), m))
                Assert.Equal(message, ReadAll(s));

            var last = Path.Combine(dir, m.Parts[^1].Name);
            var bytes = File.ReadAllBytes(last);
            bytes[^1] ^= 1;
            File.WriteAllBytes(last, bytes);
            using var store2 = new FilePartStore(dir, null, forWriting: false);
            using var t = SignedMessageStream.Open(new PartReader(store2, m.Parts), m);
            var released = new MemoryStream();
            var buffer = new byte[1000];
            var e = Assert.Throws<BackupPartException>(() => { int n; while ((n = t.Read(buffer)) > 0) released.Write(buffer, 0, n); });
            Assert.Contains("corrupted", e.Message);
            Assert.True(released.Length < message.Length - 1, "the changed last byte's read was released");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void A_commit_that_fails_after_naming_the_manifest_is_undone_by_abort()
    {
        // Commit flushes the folder after the manifest's rename; if that flush fails, the run aborts.
        // Abort must then take the manifest too, or it would name parts Abort just deleted.
        var (message, _) = Message();
        var dir = Directory.CreateTempSubdirectory("phicrypt-parts-").FullName;
        try
        {
            WriteParts(dir, message, SignedManifest(), afterCommit: store => store.Abort());
            Assert.Empty(Directory.EnumerateFileSystemEntries(dir));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    private static byte[] ReadAll(Stream s)
    {
        var output = new MemoryStream();
        s.CopyTo(output);
        return output.ToArray();
    }

    // The message as the 1 MiB parts of a backup in dir, committed under m; afterCommit sees the store before it closes.
    private static void WriteParts(string dir, byte[] message, BackupManifest m, Action<FilePartStore>? afterCommit = null)
    {
        using var store = new FilePartStore(dir, null, forWriting: true);
        using var writer = new PartWriter(store, splitBytes: 1 << 20);
        writer.Write(message);
        m.Parts = writer.Complete();
        writer.RecordDigests(m);
        store.Commit(m.ToJson());
        afterCommit?.Invoke(store);
    }

    private static (byte[] Message, int HeaderLength) Message()
    {
        using var wrapper = new PhiCrypto.Messages.RawAesKeyring("phicrypto", "test", new byte[32]);
        var output = new MemoryStream();
        PhiCrypto.Messages.MessagePipeline.Encrypt(new MemoryStream(new byte[10000]), output,
            new PhiCrypto.Messages.MessageEncryptOptions { Wrappers = [wrapper], FrameLength = 4096 });
        var bytes = output.ToArray();
        return (bytes, PhiCrypto.Messages.MessageHeader.Read(new MemoryStream(bytes)).Length);
    }

    [Fact]
    public void A_directory_manifest_signs_every_file_field_and_refuses_hostile_or_repeated_names()
    {
        var original = BackupSignature.SignedData(DirectoryManifest());
        Assert.Equal(original, BackupSignature.SignedData(BackupManifest.Parse(DirectoryManifest().ToJson())));
        Action<ManifestFile>[] edits =
        [
            f => f.Name = "3001.dat", f => f.Part = "3001.dat.phi", f => f.Bytes++, f => f.Sha256 = new string('d', 64), f => f.DumpBytes++,
            f => f.HeaderBytes++, f => f.HeaderSha384 = new string('b', 96), f => f.MessageSha384 = new string('c', 96),
        ];
        foreach (var edit in edits)
        {
            var m = DirectoryManifest();
            edit(m.Files[1]);
            Assert.NotEqual(original, BackupSignature.SignedData(m));
        }
        var dropped = DirectoryManifest();
        dropped.Files.RemoveAt(1);
        Assert.NotEqual(original, BackupSignature.SignedData(dropped));
        var swapped = DirectoryManifest();
        swapped.Files.Reverse();
        Assert.NotEqual(original, BackupSignature.SignedData(swapped));

        Action<BackupManifest>[] malformed =
        [
            m => m.Files[1].Name = "../toc.dat", m => m.Files[1].Name = "manifest.json", m => m.Files[1].Part = "other.phi",
            m => m.Files.Add(m.Files[1]), m => m.Files.RemoveAt(0), m => m.Files.Clear(), m => m.Files[1].HeaderSha384 = "",
            m => m.Format = BackupManifest.UnsignedFormatName, m => m.Signature = null,
            m => m.Parts = [new ManifestPart { Name = "part-00001.phi", Bytes = 1, Sha256 = new string('a', 64) }],
        ];
        foreach (var edit in malformed)
        {
            var m = DirectoryManifest();
            edit(m);
            Assert.Throws<MalformedDataException>(() => BackupManifest.Parse(m.ToJson()));
        }
    }

    private static BackupManifest DirectoryManifest()
    {
        var m = SignedManifest();
        (m.DumpFormat, m.PgDumpArgs, m.Parts, m.HeaderBytes, m.HeaderSha384, m.MessageSha384) = ("directory", ["--format=directory", "--compress=0"], [], 0, "", "");
        m.EncryptionContext["dump-format"] = "directory";
        m.Files = [File("toc.dat"), File("3000.dat")];
        return m;

        static ManifestFile File(string name) => new()
        {
            Name = name, Part = ManifestFile.PartFor(name), Bytes = 50, Sha256 = new string('a', 64), DumpBytes = 40,
            HeaderBytes = 100, HeaderSha384 = new string('1', 96), MessageSha384 = new string('2', 96),
        };
    }

    [Fact]
    public void Dumps_compressed_by_the_zstd_executable_before_still_decompress_and_ours_decompress_with_it()
    {
        // Compressible, dump-like bytes, more than one of our 1 MiB frames.
        var text = string.Concat(Enumerable.Range(0, 120_000).Select(i => $"{i}\tpatient {i}\t{i % 97}\t2026-01-{1 + i % 28}\n"));
        var dump = System.Text.Encoding.ASCII.GetBytes(text);
        Assert.True(dump.Length > 3 << 20);
        // What `phicrypt backup` did until it used ZstdSharp: `zstd -q -c -3 -T0` (one standard frame).
        var old = ZstdExecutable(dump, "-q", "-c", "-3", "-T0");
        var restored = new MemoryStream();
        var decoder = DumpCompression.Decompressing(restored, "zstd")!;
        foreach (var chunk in old.Chunk(65536)) decoder.Write(chunk);
        decoder.Complete();
        Assert.Equal(dump, restored.ToArray());
        // Cut inside the frame: refused at the end, not silently short.
        var cut = DumpCompression.Decompressing(new MemoryStream(), "zstd")!;
        cut.Write(old.AsSpan(0, old.Length - 10));
        Assert.Throws<MalformedDataException>(cut.Complete);

        // Ours (seekable, 1 MiB frames) read by the zstd executable: the runbook's manual path.
        using var encoder = DumpCompression.Compressing(new MemoryStream(dump), "zstd", lanes: 2)!;
        var ours = new MemoryStream();
        encoder.CopyTo(ours);
        Assert.Equal(dump.Length, encoder.PlaintextLength);
        Assert.True(ours.Length < dump.Length / 3);
        Assert.Equal(dump, ZstdExecutable(ours.ToArray(), "-q", "-d", "-c"));
        Assert.Null(DumpCompression.Compressing(new MemoryStream(dump), "none", 0));
    }

    private static byte[] ZstdExecutable(byte[] input, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("zstd") { RedirectStandardInput = true, RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var feed = Task.Run(() => { p.StandardInput.BaseStream.Write(input); p.StandardInput.Close(); });
        var output = new MemoryStream();
        p.StandardOutput.BaseStream.CopyTo(output);
        feed.Wait();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        return output.ToArray();
    }

    private static BackupManifest SignedManifest() => new()
    {
        BackupId = "abc",
        Created = new DateTime(2026, 12, 1, 6, 0, 0, DateTimeKind.Utc).AddTicks(1234567),
        Completed = new DateTime(2026, 12, 1, 6, 1, 0, DateTimeKind.Utc),
        PgDumpVersion = "pg_dump (PostgreSQL) 15",
        PgDumpArgs = ["--format=custom", "--compress=0"],
        DumpFormat = "custom",
        Compression = "zstd",
        DumpBytes = 10,
        EncryptedBytes = 20,
        Suite = "0x0478",
        FrameLength = 1 << 20,
        Keys = [new ManifestKey { Provider = "phicrypto", Name = "backups/v1" }],
        EncryptionContext = new() { ["phicrypto-backup-id"] = "abc", ["dump-format"] = "custom", ["compression"] = "zstd" },
        Parts = [new ManifestPart { Name = "part-00001.phi", Bytes = 20, Sha256 = new string('a', 64) }],
        HeaderBytes = 100,
        HeaderSha384 = new string('1', 96),
        MessageSha384 = new string('2', 96),
        Signature = new ManifestSignature { Algorithm = BackupSignature.Algorithm, KeyName = "backup-signing/v1", Fingerprint = "SHA256:ab", Value = "AA==" },
    };
}

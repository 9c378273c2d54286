// Options for writing and reading messages. Defaults follow docs/message-format.md: suite 0x0478,
// 64 KiB frames; readers accept every raw-key ESDK suite and bound what a hostile header may claim.
using PhiCrypto.Primitives;

namespace PhiCrypto.Messages;

/// <summary>How to write a message.</summary>
public sealed class MessageEncryptOptions
{
    /// <summary>Wraps the data key; at least one. Each adds one EDK to the header.</summary>
    public required IReadOnlyList<IDataKeyWrapper> Wrappers { get; init; }
    /// <summary>0x0478 (default) or 0x0578 (signed).</summary>
    public AlgorithmSuite Suite { get; init; } = AlgorithmSuite.Committing;
    /// <summary>Plaintext bytes per frame, 4 KiB to 16 MiB.</summary>
    public int FrameLength { get; init; } = MessageHeader.DefaultFrameLength;
    /// <summary>Authenticated metadata stored in the clear header.</summary>
    public IReadOnlyDictionary<string, string> EncryptionContext { get; init; } = new Dictionary<string, string>();
    /// <summary>Context keys authenticated but not stored ("required encryption context keys"): the reader must supply them.</summary>
    public IReadOnlyCollection<string> AuthenticateOnlyKeys { get; init; } = [];
    public AeadBackend? Backend { get; init; }

    internal void Validate()
    {
        if (Wrappers is null || Wrappers.Count == 0) throw new ArgumentException("at least one data key wrapper is required", nameof(Wrappers));
        if (Wrappers.Count > ushort.MaxValue) throw new ArgumentException("too many data key wrappers", nameof(Wrappers));
        if (Suite != AlgorithmSuite.Committing && Suite != AlgorithmSuite.CommittingSigned)
            throw new ArgumentException("messages are written with suite 0x0478 or 0x0578 only", nameof(Suite));
        if (FrameLength < MessageHeader.MinFrameLength || FrameLength > MessageHeader.MaxFrameLength)
            throw new ArgumentException("frame length must be 4 KiB to 16 MiB", nameof(FrameLength));
        EncryptionContextFormat.ValidateCallerContext(EncryptionContext, nameof(EncryptionContext));
        foreach (var key in AuthenticateOnlyKeys)
            if (!this.EncryptionContext.ContainsKey(key)) throw new ArgumentException($"authenticate-only key '{key}' is not in the encryption context", nameof(AuthenticateOnlyKeys));
    }
}

/// <summary>How to read a message.</summary>
public sealed class MessageDecryptOptions
{
    /// <summary>Tried in order on each EDK in header order until one unwraps.</summary>
    public required IReadOnlyList<IDataKeyWrapper> Wrappers { get; init; }
    /// <summary>
    /// Pairs the message must carry. A pair the header stores must have this value; a key the header does not
    /// store is supplied as authenticate-only context (it must then match what the writer authenticated).
    /// </summary>
    public IReadOnlyDictionary<string, string>? ExpectedContext { get; init; }
    /// <summary>
    /// Also read suites that do not commit to their data key (every format-v1 suite). Off by default, as
    /// the AWS Encryption SDK's REQUIRE_ENCRYPT_REQUIRE_DECRYPT: without commitment one ciphertext can
    /// decrypt to different plaintexts under different keys. Turn on only to read old SDKs' files.
    /// </summary>
    public bool AllowLegacy { get; init; }
    /// <summary>The opposite of <see cref="AllowLegacy"/>, kept for existing callers.</summary>
    public bool RequireKeyCommitment { get => !AllowLegacy; init => AllowLegacy = !value; }
    /// <summary>
    /// Signed messages (0x0578): release no frame before the footer signature verified. The message is
    /// walked once first (in place when the input can seek, else from a temporary copy). Off by default:
    /// the streaming readers release each frame once its own tag verified.
    /// </summary>
    public bool VerifySignatureFirst { get; init; }
    /// <summary>Where VerifySignatureFirst copies a non-seekable signed message (ciphertext only); null: the temp folder.</summary>
    public string? SpoolDirectory { get; init; }
    /// <summary>Refuse messages whose frame length exceeds this (bounds memory per frame).</summary>
    public int MaxFrameLength { get; init; } = MessageHeader.MaxFrameLength;
    /// <summary>Refuse headers longer than this.</summary>
    public int MaxHeaderLength { get; init; } = 1024 * 1024;
    /// <summary>Refuse messages with more EDKs than this.</summary>
    public int MaxEncryptedDataKeys { get; init; } = 64;
    /// <summary>Legacy non-framed bodies must be buffered whole to verify before release; refuse larger ones.</summary>
    public int MaxNonFramedLength { get; init; } = 64 * 1024 * 1024;
    public AeadBackend? Backend { get; init; }

    internal void Validate()
    {
        if (Wrappers is null || Wrappers.Count == 0) throw new ArgumentException("at least one data key wrapper is required", nameof(Wrappers));
        if (MaxFrameLength < 1 || MaxHeaderLength < 64 || MaxEncryptedDataKeys < 1 || MaxNonFramedLength < 0)
            throw new ArgumentException("decrypt limits must be positive");
    }
}

// Policy knobs of a Keyring. Defaults follow SP 800-38D 8.3 (at most 2^32 random-nonce GCM messages
// per key: we stop at 2^30) and a seven-year retention (HIPAA-style records schedules).
namespace PhiCrypto.Keys;

public enum UsageLimitPolicy
{
    /// <summary>Rotate the purpose to a new version and carry on (the default).</summary>
    Rotate,
    /// <summary>Refuse with <see cref="PolicyViolationException"/> until an operator rotates.</summary>
    Refuse,
}

public sealed record KeyringOptions
{
    /// <summary>Randomized (random-nonce AES-GCM) encryptions allowed per key version. At most 2^31.</summary>
    public long UsageLimit { get; init; } = 1L << 30;

    public UsageLimitPolicy UsagePolicy { get; init; } = UsageLimitPolicy.Rotate;

    /// <summary>Encryptions a process reserves in the store at a time. Counts survive restarts and are
    /// shared by every process: a process that exits early wastes at most one block. 0: count in this
    /// process only (for a read-only store), which bounds each process but not their sum.</summary>
    public long UsageReservationBlock { get; init; } = 1 << 16;

    /// <summary>Who the audit trail says acted. Default: OS user @ host.</summary>
    public string Actor { get; init; } = AuditChain.DefaultActor();

    /// <summary>How many items a key version still protects, if the host can tell (null: unknown).
    /// A version that protects data, or whose use is unknown, is destroyed only with force.</summary>
    public Func<string, uint, long?>? ProtectedItemCount { get; init; }

    /// <summary>Allow compromised versions to decrypt (for a deliberate recovery). Off by default.</summary>
    public bool DecryptWithCompromisedKeys { get; init; }

    /// <summary>On an unknown key version, reload from the store (at most once a second) before failing.</summary>
    public bool ReloadOnUnknownVersion { get; init; } = true;

    /// <summary>Called when a ciphertext names a version the keyring lacks; return true to retry (after reloading, say).</summary>
    public Func<string, uint, bool>? OnUnknownVersion { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Before choosing the active version to encrypt under, reload a snapshot older than this, so a
    /// version another process deactivated, compromised or destroyed stops encrypting here within this
    /// time. A failed reload fails the encryption. Zero or less: never (reload explicitly).</summary>
    public TimeSpan SnapshotTtl { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Dispose the store with the keyring (the keyring never owns it otherwise).</summary>
    public bool DisposeStore { get; init; }

    /// <summary>How often a write is retried after another writer got there first.</summary>
    public int MaxConflictRetries { get; init; } = 20;

    internal void Validate()
    {
        if (UsageLimit is < 1 or > 1L << 31) throw new ArgumentException("usage limit must be 1 to 2^31 (SP 800-38D 8.3 allows 2^32 in all)");
        if (UsageReservationBlock < 0) throw new ArgumentException("usage reservation block must not be negative");
    }
}

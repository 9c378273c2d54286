// Key lookup for the formats: the active version of a purpose for encrypting, the version a
// ciphertext names for decrypting (with one reload when it is unknown: another process may have
// rotated), and copies of data keys for the streaming format's raw AES keyring ("files/v3").
using PhiCrypto.Primitives;

namespace PhiCrypto.Keys;

public sealed partial class Keyring
{
    /// <summary>The active version of <paramref name="purpose"/> for encrypting, from a snapshot no older
    /// than the options' SnapshotTtl (a state changed elsewhere stops encryption under that version).</summary>
    internal KeyVersion ActiveForEncrypt(string purpose)
    {
        if (Snapshot.IsOlderThan(_options.SnapshotTtl, _options.Time))
            lock (_writeLock) if (Snapshot.IsOlderThan(_options.SnapshotTtl, _options.Time)) ReloadCore();
        var keys = Snapshot.Find(purpose) ?? throw UnknownPurpose(purpose);
        return keys.Active is { Material: not null } active ? active
            : throw new KeyNotAvailableException($"purpose '{purpose}' has no active key version: rotate it to make one");
    }

    /// <summary>The version a ciphertext names, if it may still decrypt; reloads once when unknown.</summary>
    internal KeyVersion ForDecrypt(string purpose, uint version)
    {
        for (int attempt = 0; ; attempt++)
        {
            var v = Snapshot.Find(purpose)?.Find(version);
            if (v is not null) return CheckDecryptable(v);
            if (attempt > 0 || !TryRecoverUnknown(purpose, version))
                throw new KeyNotAvailableException($"key {KeyNames.Format(purpose, version)} is not in the keyring");
        }
    }

    private KeyVersion CheckDecryptable(KeyVersion v)
    {
        var s = v.Record.State;
        bool ok = KeyLifecycle.CanDecrypt(s) || (s == KeyState.Compromised && _options.DecryptWithCompromisedKeys);
        if (!ok || v.Material is null)
            throw new KeyNotAvailableException($"key {v.Record.KeyName} is {KeyLifecycle.Name(s)} and cannot decrypt");
        return v;
    }

    /// <summary>Lets the host handle an unknown version (reload from its store), else reloads at most once a second.</summary>
    private bool TryRecoverUnknown(string purpose, uint version)
    {
        if (_options.OnUnknownVersion is { } hook) return hook(purpose, version);
        if (!_options.ReloadOnUnknownVersion) return false;
        long now = Environment.TickCount64, last = Interlocked.Read(ref _lastUnknownReloadTicks);
        if (now - last < 1000 || Interlocked.CompareExchange(ref _lastUnknownReloadTicks, now, last) != last) return false;
        Reload();
        return true;
    }

    /// <summary>Versions of <paramref name="purpose"/> that can still decrypt, newest first.</summary>
    internal IEnumerable<KeyVersion> Decryptable(string purpose)
    {
        var keys = Snapshot.Find(purpose) ?? throw UnknownPurpose(purpose);
        for (int i = keys.Versions.Length - 1; i >= 0; i--)
        {
            var v = keys.Versions[i];
            if (v.Material is null) continue;
            if (KeyLifecycle.CanDecrypt(v.Record.State) || (v.Record.State == KeyState.Compromised && _options.DecryptWithCompromisedKeys)) yield return v;
        }
    }

    /// <summary>A copy of the active data key of <paramref name="purpose"/> and its key name ("files/v3"),
    /// for the streaming format's raw AES keyring. The caller disposes the key.</summary>
    public (string KeyName, uint Version, SecretKey Key) GetEncryptionKey(string purpose)
    {
        var v = ActiveForEncrypt(purpose);
        return (v.Record.KeyName, v.Record.Version, v.Material!.CopyDek());
    }

    /// <summary>A copy of the data key a ciphertext names, if that version may decrypt. The caller disposes it.</summary>
    public SecretKey GetDecryptionKey(string purpose, uint version) =>
        ForDecrypt(purpose, version).Material!.CopyDek();

    /// <summary>Like <see cref="GetDecryptionKey(string, uint)"/> for a key name such as "files/v3".</summary>
    public SecretKey GetDecryptionKey(string keyName) =>
        KeyNames.TryParse(keyName, out var purpose, out var version)
            ? GetDecryptionKey(purpose, version)
            : throw new KeyNotAvailableException("the key name is not of the form purpose/vN");
}

// Keyrings (phicrypto.h, "Keyrings"): a store of versioned DEKs per purpose, wrapped under a KEK
// (PhiCrypto.Keys.Keyring): open, lifecycle, audit, listing. Fields and streams reach a keyring's keys
// through a key source (SourceExports: phi_source_from_keyring), one purpose at a time.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;
using PhiCrypto.Keys;

namespace PhiCrypto.Native;

internal static unsafe class KeyringExports
{
    private static string Purpose(byte* purpose) =>
        NativeBuffers.String(purpose, "purpose") is { Length: > 0 } p ? p : throw new ArgumentException("purpose is NULL or empty");

    [UnmanagedCallersOnly(EntryPoint = "phi_keyring_open", CallConvs = [typeof(CallConvCdecl)])]
    private static int Open(byte* location, byte* kekSpec, byte* passphrase, int flags, nint* keyring)
    {
        try
        {
            if (keyring == null) throw new ArgumentException("keyring is NULL");
            *keyring = 0;
            *keyring = Handles.New(KeyringOpener.Open(NativeBuffers.String(location, "location"), NativeBuffers.String(kekSpec, "kek"), NativeBuffers.String(passphrase, "passphrase"), flags));
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_keyring_free", CallConvs = [typeof(CallConvCdecl)])]
    private static int Free(nint keyring)
    {
        try
        {
            Handles.Release<Keyring>(keyring, "keyring");
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_keyring_add_purpose", CallConvs = [typeof(CallConvCdecl)])]
    private static int AddPurpose(nint keyring, byte* purpose, uint* version)
    {
        try
        {
            var record = Handles.Get<Keyring>(keyring, "keyring").AddPurpose(Purpose(purpose));
            if (version != null) *version = record.Version;
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_keyring_rotate", CallConvs = [typeof(CallConvCdecl)])]
    private static int Rotate(nint keyring, byte* purpose, uint* version)
    {
        try
        {
            var record = Handles.Get<Keyring>(keyring, "keyring").Rotate(Purpose(purpose), "rotated through the C ABI");
            if (version != null) *version = record.Version;
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_keyring_rewrap", CallConvs = [typeof(CallConvCdecl)])]
    private static int Rewrap(nint keyring, byte* newKekSpec, byte* newPassphrase, nuint* rewrapped)
    {
        try
        {
            var k = Handles.Get<Keyring>(keyring, "keyring");
            string spec = NativeBuffers.String(newKekSpec, "new_kek") is { Length: > 0 } s ? s : throw new ArgumentException("new_kek is NULL or empty");
            // A new passphrase KEK gets fresh parameters (salt): empty settings.
            var kek = KeyringOpener.CreateKek(spec, new Dictionary<string, string>(), NativeBuffers.String(newPassphrase, "new_passphrase"));
            int n = k.Rewrap(kek);
            if (rewrapped != null) *rewrapped = (nuint)n;
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    // Never forced: destroying a version that may still protect data stays a deliberate CLI act (--force).
    [UnmanagedCallersOnly(EntryPoint = "phi_keyring_set_state", CallConvs = [typeof(CallConvCdecl)])]
    private static int SetState(nint keyring, byte* purpose, uint version, byte* state, byte* reason)
    {
        try
        {
            var target = KeyLifecycle.Parse(NativeBuffers.String(state, "state") ?? throw new ArgumentException("state is NULL"));
            Handles.Get<Keyring>(keyring, "keyring").SetState(Purpose(purpose), version, target, force: false, NativeBuffers.String(reason, "reason") ?? "");
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_keyring_reload", CallConvs = [typeof(CallConvCdecl)])]
    private static int Reload(nint keyring)
    {
        try
        {
            Handles.Get<Keyring>(keyring, "keyring").Reload();
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    // {"valid": bool, "count": n, "broken_at": sequence or null, "message": "..."}
    [UnmanagedCallersOnly(EntryPoint = "phi_keyring_audit_verify", CallConvs = [typeof(CallConvCdecl)])]
    private static int AuditVerify(nint keyring, byte* json, nuint* jsonLength)
    {
        try
        {
            if (jsonLength == null) throw new ArgumentException("json_len is NULL");
            var v = Handles.Get<Keyring>(keyring, "keyring").VerifyAudit();
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteBoolean("valid", v.IsValid);
                w.WriteNumber("count", v.Count);
                if (v.BrokenAtSequence is { } seq) w.WriteNumber("broken_at", seq);
                else w.WriteNull("broken_at");
                w.WriteString("message", v.Message);
                w.WriteEndObject();
            }
            InfoExports.WriteString(buffer.ToArray(), json, jsonLength);
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_keyring_list", CallConvs = [typeof(CallConvCdecl)])]
    private static int List(nint keyring, byte* purpose, byte* json, nuint* jsonLength)
    {
        try
        {
            if (jsonLength == null) throw new ArgumentException("json_len is NULL");
            var k = Handles.Get<Keyring>(keyring, "keyring");
            string? only = NativeBuffers.String(purpose, "purpose");
            var purposes = string.IsNullOrEmpty(only) ? k.Purposes : [only];
            InfoExports.WriteString(Describe(k, purposes), json, jsonLength);
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    // {"kek_id": ..., "kek_check_value": ..., "purposes": {"p": [{"version": 1, "state": "active", ...}]}}
    private static byte[] Describe(Keyring keyring, IReadOnlyList<string> purposes)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("kek_id", keyring.KekId);
            w.WriteString("kek_check_value", keyring.KekCheckValue);
            w.WriteStartObject("purposes");
            foreach (var purpose in purposes)
            {
                w.WriteStartArray(purpose);
                foreach (var r in keyring.Versions(purpose))
                {
                    w.WriteStartObject();
                    w.WriteNumber("version", r.Version);
                    w.WriteString("state", KeyLifecycle.Name(r.State));
                    w.WriteString("key_name", r.KeyName);
                    w.WriteString("kek_id", r.KekId);
                    Time(w, "created", r.Created);
                    Time(w, "activated", r.Activated);
                    Time(w, "deactivated", r.Deactivated);
                    Time(w, "compromised", r.Compromised);
                    Time(w, "destroyed", r.Destroyed);
                    w.WriteNumber("usage_reserved", r.UsageReserved);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static void Time(Utf8JsonWriter w, string name, DateTimeOffset? t)
    {
        if (t is { } v) w.WriteString(name, v.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
        else w.WriteNull(name);
    }
}

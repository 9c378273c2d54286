// Key sources (phicrypto.h, "Key sources"): the one handle every field, stream and reader call takes.
// A source is a raw key standing for one version of a purpose, or a keyring plus one purpose
// (PhiCrypto.Keys.KeySource); decryption through it never uses another purpose's keys.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PhiCrypto.Keys;

namespace PhiCrypto.Native;

internal static unsafe class SourceExports
{
    [UnmanagedCallersOnly(EntryPoint = "phi_source_from_key", CallConvs = [typeof(CallConvCdecl)])]
    private static int FromKey(nint key, uint version, byte* purpose, nint* source) =>
        New(source, () => KeySource.FromKey(Handles.Get<NativeKey>(key, "key").Secret, version, Purpose(purpose)));

    [UnmanagedCallersOnly(EntryPoint = "phi_source_from_keyring", CallConvs = [typeof(CallConvCdecl)])]
    private static int FromKeyring(nint keyring, byte* purpose, nint* source) =>
        New(source, () => KeySource.FromKeyring(Handles.Get<Keyring>(keyring, "keyring"), Purpose(purpose)));

    [UnmanagedCallersOnly(EntryPoint = "phi_source_free", CallConvs = [typeof(CallConvCdecl)])]
    private static int Free(nint source)
    {
        try
        {
            Handles.Release<KeySource>(source, "source");
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    internal static KeySource Get(nint source) => Handles.Get<KeySource>(source, "source");

    private static int New(nint* source, Func<KeySource> create)
    {
        try
        {
            if (source == null) throw new ArgumentException("source is NULL");
            *source = 0;
            *source = Handles.New(create());
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    /// <summary>A NUL-terminated UTF-8 purpose (checked by KeySource).</summary>
    private static string Purpose(byte* purpose) =>
        NativeBuffers.String(purpose, "purpose") ?? throw new ArgumentException("purpose is NULL");
}

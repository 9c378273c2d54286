// Opaque handles (phicrypto.h, "Handles"): a handle is a GCHandle to a managed object, so the object
// stays alive and unmoved while C holds it. The handle's type is checked on every call, so a keyring
// handle passed where a key is expected is an error, not a crash. Freeing a handle while another
// thread still uses that same handle is the caller's bug (as with free()); every other concurrent use
// is safe because the objects behind handles are thread-safe.
using System.Runtime.InteropServices;

namespace PhiCrypto.Native;

internal static class Handles
{
    internal static nint New(object target) => GCHandle.ToIntPtr(GCHandle.Alloc(target, GCHandleType.Normal));

    internal static T Get<T>(nint handle, string name) where T : class
    {
        if (handle == 0) throw new ArgumentException($"{name} is NULL");
        return GCHandle.FromIntPtr(handle).Target as T
            ?? throw new ArgumentException($"{name} is not a {typeof(T).Name} handle");
    }

    /// <summary>Checks the handle is a <typeparamref name="T"/>, then frees it. NULL is a no-op.</summary>
    internal static void Release<T>(nint handle, string name) where T : class
    {
        if (handle != 0) Get<T>(handle, name);
        Free(handle);
    }

    /// <summary>Disposes the object behind the handle and releases the handle. NULL is a no-op.</summary>
    internal static void Free(nint handle)
    {
        if (handle == 0) return;
        var gc = GCHandle.FromIntPtr(handle);
        (gc.Target as IDisposable)?.Dispose();
        gc.Free();
    }
}

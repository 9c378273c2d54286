// Opaque handles (phicrypto.h, "Handles"). A handle names a slot in a table plus the slot's
// generation, not a pointer: a freed, stale or forged handle is refused with a typed error instead
// of reaching freed memory or another caller's object that now reuses the slot (ABA). The type is
// checked on every call, so a keyring handle passed where a key is expected is an error, not a crash.
// Freeing while another thread uses the same handle is safe: the objects behind handles hold their key
// material through KeyLifetime leases, so a free closes them at once (new calls fail) and zeroes the
// keys only after the calls in flight end (the SafeHandle pattern). Lookups take no lock.
namespace PhiCrypto.Native;

internal static class Handles
{
    private sealed record Entry(object Target, uint Generation);

    private static readonly object Gate = new();
    private static Entry?[] s_slots = new Entry?[64];
    private static uint[] s_generations = new uint[64];
    private static readonly Stack<int> FreeSlots = new();
    private static int s_used;

    // 64-bit handle: generation (high 32 bits, never 0) | slot index + 1 (low 32 bits, never 0).
    private static nint Encode(int index, uint generation) => (nint)(((ulong)generation << 32) | (uint)(index + 1));

    internal static nint New(object target)
    {
        ArgumentNullException.ThrowIfNull(target);
        lock (Gate)
        {
            int index = FreeSlots.Count > 0 ? FreeSlots.Pop() : s_used++;
            if (index >= s_slots.Length) Grow();
            uint generation = s_generations[index] == uint.MaxValue ? 1 : s_generations[index] + 1;
            s_generations[index] = generation;
            Volatile.Write(ref s_slots[index], new Entry(target, generation));
            return Encode(index, generation);
        }
    }

    internal static T Get<T>(nint handle, string name) where T : class
    {
        if (handle == 0) throw new ArgumentException($"{name} is NULL");
        return Find(handle)?.Target as T ?? throw Invalid<T>(handle, name);
    }

    /// <summary>Checks the handle is a live <typeparamref name="T"/>, then frees it. NULL is a no-op.</summary>
    internal static void Release<T>(nint handle, string name) where T : class
    {
        if (handle == 0) return;
        IDisposable? target;
        lock (Gate)
        {
            var entry = Find(handle);
            if (entry?.Target is not T) throw Invalid<T>(handle, name);
            int index = (int)((ulong)handle & 0xFFFF_FFFF) - 1;
            Volatile.Write(ref s_slots[index], null);
            FreeSlots.Push(index);
            target = entry.Target as IDisposable;
        }
        target?.Dispose();
    }

    /// <summary>Disposes the object behind a live handle of any type and releases the handle. NULL is a no-op.</summary>
    internal static void Free(nint handle) => Release<object>(handle, "handle");

    private static Entry? Find(nint handle)
    {
        ulong value = (ulong)handle;
        long index = (long)(value & 0xFFFF_FFFF) - 1;
        var slots = Volatile.Read(ref s_slots);
        if (index < 0 || index >= slots.Length) return null;
        var entry = Volatile.Read(ref slots[index]);
        return entry is not null && entry.Generation == (uint)(value >> 32) ? entry : null;
    }

    private static void Grow()
    {
        var slots = new Entry?[s_slots.Length * 2];
        Array.Copy(s_slots, slots, s_slots.Length);
        Array.Resize(ref s_generations, slots.Length);
        Volatile.Write(ref s_slots, slots);
    }

    private static ArgumentException Invalid<T>(nint handle, string name) =>
        new(Find(handle) is null ? $"{name} is not a live handle (freed, or never returned by this library)" : $"{name} is not a {typeof(T).Name} handle");
}

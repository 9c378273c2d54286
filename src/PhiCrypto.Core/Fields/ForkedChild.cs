// Whether this process is a fork() child of the process that started the .NET runtime. fork copies
// only the calling thread; the thread pool's bookkeeping still counts the parent's workers, so work
// queued to it in a child waits for threads that do not exist (Parallel.For hangs). Threads made
// with new Thread (LongRunning tasks) do start in a child. The pid is taken when the module
// initializes, which NativeAOT does at runtime start-up, before any pool thread exists.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PhiCrypto.Fields;

internal static partial class ForkedChild
{
    private static int s_runtimePid;

#pragma warning disable CA2255 // deliberate: the pid must be the runtime's, not that of the first caller
    [ModuleInitializer]
    internal static void RecordRuntimeProcess() => s_runtimePid = getpid();
#pragma warning restore CA2255

    /// <summary>True in a process forked after the runtime started: use no thread-pool work here.</summary>
    public static bool IsForked => getpid() != s_runtimePid;

    [LibraryImport("libc", SetLastError = false)]
    private static partial int getpid();
}

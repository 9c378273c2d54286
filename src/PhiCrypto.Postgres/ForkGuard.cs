// A process forked after a PostgreSQL keyring store was used cannot do PostgreSQL I/O: fork copies
// only the calling thread, and Npgsql's sockets are non-blocking, so every "blocking" read waits for
// the runtime's epoll and thread-pool threads, which the child does not have, until the 15 s timeout
// (seen as "The operation has timed out" in children of gunicorn --preload, Celery prefork and
// multiprocessing 'fork'). The runtime cannot restart those threads, so a store opened in such a
// child refuses at once, with the remedy, instead of hanging.
using System.Runtime.InteropServices;
using PhiCrypto.Keys;

namespace PhiCrypto.Postgres;

internal static class ForkGuard
{
    private static readonly int s_firstUsePid = getpid();

    /// <summary>Throws <see cref="KeyStoreException"/> in a process forked after a store was first used.</summary>
    public static void Check(string location)
    {
        if (getpid() != s_firstUsePid)
            throw new KeyStoreException($"keyring database {location}: this process was forked after a PostgreSQL keyring was used, " +
                                        "and the runtime threads its connections need do not survive fork. Open keyrings only after fork: " +
                                        "gunicorn post_fork (or no --preload), Celery worker_process_init, multiprocessing 'spawn' or 'forkserver'");
    }

    [DllImport("libc", EntryPoint = "getpid")]
    private static extern int getpid();
}

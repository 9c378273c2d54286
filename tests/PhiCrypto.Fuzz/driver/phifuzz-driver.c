/* phifuzz-driver: libFuzzer on one side, a SharpFuzz-instrumented .NET process on the other.
 *
 * Built with `clang-16 -fsanitize=fuzzer` (build/fuzz.cake). libFuzzer owns main(); this file gives it
 * LLVMFuzzerInitialize, which starts the .NET target, and LLVMFuzzerTestOneInput, which hands it each
 * input. The protocol is the one SharpFuzz's Fuzzer.LibFuzzer.Run speaks (SharpFuzz docs/libFuzzer.md):
 *   - one System V shared-memory segment: 64 KiB of edge counters (SharpFuzz writes them), then the
 *     input bytes (at most 1 MiB); its id in __LIBFUZZER_SHM_ID
 *   - a control pipe (driver -> .NET: int32 input length) and a status pipe (.NET -> driver: int32, 0 =
 *     ok, else an exception escaped the target); their fds in __LIBFUZZER_CONTROL_PIPE_ID / _STATUS_
 *   - .NET writes one int32 when ready.
 * The counters are copied into libFuzzer's extra-counters section after each run, so libFuzzer's "ft"
 * (features) measures .NET coverage; "cov" counts only this file's own edges.
 *
 * Usage: phifuzz-driver --dotnet_target=<path/to/PhiCrypto.Fuzz> --target_name=<target> [libFuzzer flags] dirs
 * (libFuzzer ignores flags that start with "--"). A status other than 0, or the .NET process dying
 * (stack overflow, fail-fast), aborts: libFuzzer then saves the input as crash-<sha1>. A hang is caught by
 * libFuzzer's -timeout; the child gets SIGKILL when this process exits (PR_SET_PDEATHSIG).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <unistd.h>

#define MAP_SIZE (1 << 16)
#define MAX_INPUT (1 << 20)
#define CONTROL_FD 198
#define STATUS_FD 199

/* Read by libFuzzer through the section's __start_/__stop_ symbols: external and "used", or the compiler
 * sees only writes and drops the array. */
__attribute__((used, section("__libfuzzer_extra_counters"))) uint8_t extra_counters[MAP_SIZE];

static uint8_t *shared;
static int shm_id = -1;
static int control_fd = -1, status_fd = -1;

static void fail(const char *what)
{
    fprintf(stderr, "phifuzz-driver: %s: %s\n", what, strerror(errno));
    exit(1);
}

static const char *flag(int argc, char **argv, const char *name)
{
    size_t n = strlen(name);
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], name, n) == 0 && argv[i][n] == '=') return argv[i] + n + 1;
    return NULL;
}

static void remove_segment(void) { if (shm_id >= 0) shmctl(shm_id, IPC_RMID, NULL); }

/* Exactly n bytes, retrying on EINTR (libFuzzer's timers interrupt reads). 0 when the pipe closed. */
static int transfer(int fd, void *buf, size_t n, int writing)
{
    size_t done = 0;
    while (done < n)
    {
        ssize_t r = writing ? write(fd, (char *)buf + done, n - done) : read(fd, (char *)buf + done, n - done);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) fail(writing ? "write" : "read");
        if (r == 0) return 0;
        done += (size_t)r;
    }
    return 1;
}

static void start_target(const char *path, const char *name, int control[2], int status[2])
{
    char id[16];
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail("prctl");
    if (dup2(control[0], CONTROL_FD) < 0 || dup2(status[1], STATUS_FD) < 0) fail("dup2");
    close(control[0]); close(control[1]); close(status[0]); close(status[1]);
    snprintf(id, sizeof id, "%d", shm_id);
    setenv("__LIBFUZZER_SHM_ID", id, 1);
    setenv("__LIBFUZZER_CONTROL_PIPE_ID", "198", 1);
    setenv("__LIBFUZZER_STATUS_PIPE_ID", "199", 1);
    execl(path, path, name, (char *)NULL);
    fail("exec of the .NET fuzz target");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *path = flag(*argc, *argv, "--dotnet_target");
    const char *name = flag(*argc, *argv, "--target_name");
    int control[2], status[2], ready;
    if (!path || !name)
    {
        fprintf(stderr, "usage: phifuzz-driver --dotnet_target=PATH --target_name=NAME [libFuzzer flags] [corpus dirs]\n");
        exit(2);
    }
    if (pipe(control) || pipe(status)) fail("pipe");
    shm_id = shmget(IPC_PRIVATE, MAP_SIZE + MAX_INPUT, IPC_CREAT | IPC_EXCL | 0600);
    if (shm_id < 0) fail("shmget");
    atexit(remove_segment);
    shared = shmat(shm_id, NULL, 0);
    if (shared == (void *)-1) fail("shmat");
    pid_t child = fork();
    if (child < 0) fail("fork");
    if (child == 0) start_target(path, name, control, status);
    close(control[0]);
    close(status[1]);
    control_fd = control[1];
    status_fd = status[0];
    if (!transfer(status_fd, &ready, sizeof ready, 0))
    {
        fprintf(stderr, "phifuzz-driver: the .NET target exited before it was ready\n");
        exit(1);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int32_t length = (int32_t)size, status;
    if (size > MAX_INPUT) return -1; /* never reached with -max_len below 1 MiB; not added to the corpus */
    memset(shared, 0, MAP_SIZE);
    memcpy(shared + MAP_SIZE, data, size);
    if (!transfer(control_fd, &length, sizeof length, 1) || !transfer(status_fd, &status, sizeof status, 0))
    {
        fprintf(stderr, "phifuzz-driver: the .NET target died on this input\n");
        abort();
    }
    memcpy(extra_counters, shared, MAP_SIZE);
    if (status != 0)
    {
        fprintf(stderr, "phifuzz-driver: an undocumented exception escaped the target (stack trace above)\n");
        abort();
    }
    return 0;
}

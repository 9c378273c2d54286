/* Hostile sizes and handle misuse at the C boundary (issue 12, sections 1 and 2).
 * The first attack runs in a forked child before the parent touches the library: the old
 * phi_key_unwrap_record put a caller-sized buffer on the stack, and 64 MB killed the host. The
 * child's exit status tells; the parent then repeats the checks in-process. */
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

#define MB64 ((size_t)64 * 1024 * 1024 + 9) /* the 9-byte header and 64 MiB of "wrapped" key */

static uint8_t *hostile_record(size_t len)
{
    uint8_t *record = calloc(1, len);
    CHECK(record != NULL);
    memcpy(record, "PHWK\x01\x00\x00\x00\x01", 9); /* a valid header: magic, format 1, version 1 */
    return record;
}

static int unwrap_64mb_record(void)
{
    phi_key *kek = NULL, *key = NULL;
    OK(phi_key_generate(32, &kek));
    uint8_t *record = hostile_record(MB64);
    uint32_t version = 0;
    int rc = phi_key_unwrap_record(kek, record, MB64, &key, &version);
    free(record);
    OK(phi_key_free(kek));
    return rc == PHI_ERR_MALFORMED && key == NULL ? 0 : 1;
}

static void test_64mb_record_in_a_child(void)
{
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) _exit(unwrap_64mb_record());
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    if (WIFSIGNALED(status)) fprintf(stderr, "child killed by signal %d\n", WTERMSIG(status));
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_record_lengths(void)
{
    phi_key *kek = NULL, *dek = NULL, *back = NULL;
    OK(phi_key_generate(32, &kek));
    OK(phi_key_generate(64, &dek));
    uint8_t good[89 + 4096];
    size_t len = 89;
    OK(phi_key_wrap_record(kek, dek, 3, good, &len));
    CHECK(len == 89); /* the longest record: a 64-byte key */
    uint32_t version = 0;
    OK(phi_key_unwrap_record(kek, good, len, &back, &version));
    CHECK(version == 3);
    OK(phi_key_free(back));
    size_t extras[] = { 8, 16, 4096 };
    for (size_t i = 0; i < sizeof extras / sizeof extras[0]; i++)
    {
        memset(good + 89, 0, extras[i]);
        FAILS(PHI_ERR_MALFORMED, phi_key_unwrap_record(kek, good, 89 + extras[i], &back, &version));
        CHECK(back == NULL);
    }
    CHECK(unwrap_64mb_record() == 0);
    uint8_t *record = hostile_record(MB64);
    FAILS(PHI_ERR_MALFORMED, phi_key_unwrap(kek, 1, record, MB64, &back));
    free(record);
    OK(phi_key_free(kek));
    OK(phi_key_free(dek));
}

static void test_freed_handles_are_refused(void)
{
    phi_key *key = NULL, *other = NULL;
    OK(phi_key_generate(32, &key));
    OK(phi_key_free(key));
    OK(phi_key_generate(32, &other)); /* may reuse the freed slot: the stale handle must not reach it */
    size_t size = 0;
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_key_size(key, &size));
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_key_free(key)); /* a double free is an error, not a crash */
    phi_source *source = NULL;
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_source_from_key(key, 1, "p", &source));
    CHECK(source == NULL);
    OK(phi_key_size(other, &size));
    CHECK(size == 32);
    OK(phi_key_free(other));
}

/* A buffer of `n` bytes of 'a' and no NUL: the library must stop at its limit, not scan past the
 * end (valgrind reports any read beyond the allocation). */
static char *unterminated(size_t n)
{
    char *p = malloc(n);
    CHECK(p != NULL);
    memset(p, 'a', n);
    return p;
}

static void test_strings_and_counts_are_bounded_before_use(void)
{
    phi_key *key = NULL;
    OK(phi_key_generate(32, &key));
    phi_source *source = key_source(key, 1, "files"), *none = NULL;

    char *purpose = unterminated(PHI_STRING_MAX + 1);
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_source_from_key(key, 1, purpose, &none));
    CHECK(strstr(phi_test_error(), "longer than") != NULL && none == NULL);
    phi_keyring *ring = NULL;
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_keyring_open(purpose, NULL, NULL, 0, &ring));
    free(purpose);

    char *context = unterminated(PHI_CONTEXT_JSON_MAX + 1);
    phi_stream *stream = NULL;
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_stream_encryptor_new(source, 0, context, 0, &stream));
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_stream_decryptor_new(source, context, 0, &stream));
    CHECK(stream == NULL);
    free(context);

    /* counts are refused before the length arrays are read: one real entry is enough */
    size_t one = 1, out_len = 64, out_lens[1];
    uint8_t out[64];
    size_t counts[] = { (size_t)PHI_FIELD_BATCH_MAX_COUNT + 1, SIZE_MAX };
    for (size_t i = 0; i < 2; i++)
    {
        FAILS(PHI_ERR_INVALID_ARGUMENT, phi_field_encrypt_batch(source, PHI_FIELD_RANDOMIZED, (const uint8_t *)"x", &one, counts[i],
                                                                NULL, 0, out, &out_len, out_lens));
        CHECK(strstr(phi_test_error(), "PHI_FIELD_BATCH_MAX_COUNT") != NULL);
        FAILS(PHI_ERR_INVALID_ARGUMENT, phi_field_decrypt_batch(source, (const uint8_t *)"x", &one, counts[i],
                                                                NULL, 0, out, &out_len, out_lens, NULL));
    }

    OK(phi_stream_encryptor_new(source, 0, NULL, 0, &stream));
    uint8_t byte = 0;
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_stream_push(stream, &byte, (size_t)PHI_STREAM_PUSH_MAX + 1));
    OK(phi_stream_free(stream));
    OK(phi_source_free(source));
    OK(phi_key_free(key));
}

int main(void)
{
    test_64mb_record_in_a_child();
    test_record_lengths();
    test_freed_handles_are_refused();
    test_strings_and_counts_are_bounded_before_use();
    puts("test_oversize: ok");
    return 0;
}

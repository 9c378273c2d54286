/* One key source shared by 16 threads encrypting and decrypting at once; the last error is per thread. */
#include <pthread.h>
#include "check.h"

enum { THREADS = 16, ROUNDS = 200 };
static phi_key *shared_key;
static phi_source *shared_source;

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    char pt[32];
    uint8_t env[64], out[64];
    for (int r = 0; r < ROUNDS; r++) {
        int n = snprintf(pt, sizeof pt, "thread %d round %d", id, r);
        int32_t mode = (r & 1) ? PHI_FIELD_DETERMINISTIC : PHI_FIELD_RANDOMIZED;
        size_t env_len = sizeof env, out_len = sizeof out;
        OK(phi_field_encrypt(shared_source, mode, (const uint8_t *)pt, (size_t)n, NULL, 0, env, &env_len));
        OK(phi_field_decrypt(shared_source, env, env_len, NULL, 0, out, &out_len));
        CHECK(out_len == (size_t)n && memcmp(out, pt, (size_t)n) == 0);
    }
    /* this thread's error stays this thread's */
    phi_source *none = NULL;
    if (id % 2) FAILS(PHI_ERR_INVALID_ARGUMENT, phi_source_from_key(shared_key, 1, "", &none));
    else FAILS(PHI_ERR_INVALID_ARGUMENT, phi_field_encrypt(shared_source, 0, NULL, 0, NULL, 0, env, NULL));
    CHECK(strstr(phi_test_error(), id % 2 ? "purpose" : "out_len is NULL") != NULL);
    return NULL;
}

int main(void)
{
    OK(phi_key_generate(32, &shared_key));
    shared_source = key_source(shared_key, 1, "threads");
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++) CHECK(pthread_create(&threads[i], NULL, worker, (void *)(intptr_t)i) == 0);
    for (int i = 0; i < THREADS; i++) CHECK(pthread_join(threads[i], NULL) == 0);
    OK(phi_source_free(shared_source));
    OK(phi_key_free(shared_key));
    puts("threads: ok");
    return 0;
}

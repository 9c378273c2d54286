/* A key and its source freed while another thread encrypts under them (issue 12, section 1). The
 * worker runs 10,000-field deterministic batches; the main thread frees both handles mid-way. Every batch must either
 * succeed with envelopes the real key (an independent copy) decrypts, or fail with
 * PHI_ERR_INVALID_ARGUMENT before writing anything. On the old code the round keys were zeroed under
 * the worker, which went on encrypting with a public permutation. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include "check.h"

#define COUNT 10000
#define VALUE_LEN 13
#define ROUNDS 20

static uint8_t values[COUNT * VALUE_LEN + 1]; /* + 1: room for the last snprintf NUL */
static size_t value_lens[COUNT];

struct job {
    phi_source *source;
    uint8_t *out;
    size_t out_len;
    size_t out_lens[COUNT];
    int rc;
};

static void *encrypt_batch(void *arg)
{
    struct job *job = arg;
    job->rc = phi_field_encrypt_batch(job->source, PHI_FIELD_DETERMINISTIC, values, value_lens, COUNT,
                                      NULL, 0, job->out, &job->out_len, job->out_lens);
    return NULL;
}

static void check_round(const uint8_t *raw)
{
    static struct job job;
    phi_key *real = NULL, *doomed = NULL;
    OK(phi_key_import(raw, 32, &real));
    OK(phi_key_import(raw, 32, &doomed));
    job.source = key_source(doomed, 1, "clinic.Patient.ssn");
    phi_source *real_source = key_source(real, 1, "clinic.Patient.ssn");
    size_t capacity = COUNT * (VALUE_LEN + 32);
    job.out = calloc(1, capacity);
    job.out_len = capacity;
    CHECK(job.out != NULL);
    pthread_t worker;
    CHECK(pthread_create(&worker, NULL, encrypt_batch, &job) == 0);
    struct timespec pause = { 0, (long)(rand() % 3000) * 1000 };
    nanosleep(&pause, NULL);
    OK(phi_key_free(doomed));
    OK(phi_source_free(job.source));
    CHECK(pthread_join(worker, NULL) == 0);

    if (job.rc == PHI_OK)
    {
        uint8_t *plain = malloc(COUNT * VALUE_LEN);
        size_t plain_len = COUNT * VALUE_LEN, plain_lens[COUNT];
        OK(phi_field_decrypt_batch(real_source, job.out, job.out_lens, COUNT, NULL, 0, plain, &plain_len, plain_lens, NULL));
        CHECK(memcmp(plain, values, COUNT * VALUE_LEN) == 0);
        free(plain);
    }
    else
    {
        CHECK(job.rc == PHI_ERR_INVALID_ARGUMENT);
        for (size_t i = 0; i < capacity; i++) CHECK(job.out[i] == 0);
    }
    free(job.out);
    OK(phi_source_free(real_source));
    OK(phi_key_free(real));
}

int main(void)
{
    for (size_t i = 0; i < COUNT; i++)
    {
        snprintf((char *)values + i * VALUE_LEN, VALUE_LEN + 1, "SSN-%09zu", i);
        value_lens[i] = VALUE_LEN;
    }
    uint8_t raw[32];
    for (int i = 0; i < 32; i++) raw[i] = (uint8_t)(i * 7 + 1);
    srand((unsigned)time(NULL));
    for (int round = 0; round < ROUNDS; round++) check_round(raw);
    puts("test_lifetime: ok");
    return 0;
}

/* Field envelopes through the C ABI and raw-key sources: both modes, overheads, tampering, purpose and
 * AD binding, key versions, and a 10,000-field batch in one call. */
#include "check.h"

#define PURPOSE "clinic.Patient.ssn"

static phi_key *new_key(void)
{
    phi_key *key = NULL;
    OK(phi_key_generate(32, &key));
    return key;
}

static void test_round_trip(int32_t mode, size_t overhead)
{
    phi_key *key = new_key();
    phi_source *src = key_source(key, 1, PURPOSE);
    const char *pt = "Sensitive PII data: SSN 123-45-6789";
    size_t pt_len = strlen(pt);
    size_t expected = 0;
    OK(phi_field_envelope_length(mode, 1, pt_len, &expected));
    CHECK(expected == pt_len + overhead);

    uint8_t env[128], out[128];
    size_t env_len = 0;
    FAILS(PHI_ERR_BUFFER_TOO_SMALL, phi_field_encrypt(src, mode, (const uint8_t *)pt, pt_len, NULL, 0, NULL, &env_len));
    CHECK(env_len == expected);
    OK(phi_field_encrypt(src, mode, (const uint8_t *)pt, pt_len, NULL, 0, env, &env_len));
    CHECK(env_len == expected);

    int32_t got_mode = -1;
    uint32_t got_version = 0;
    size_t got_len = 0;
    OK(phi_field_header(env, env_len, &got_mode, &got_version, &got_len));
    CHECK(got_mode == mode && got_version == 1 && got_len == pt_len);

    size_t out_len = sizeof out;
    OK(phi_field_decrypt(src, env, env_len, NULL, 0, out, &out_len));
    CHECK(out_len == pt_len && memcmp(out, pt, pt_len) == 0);

    /* every single-byte change is detected and releases nothing */
    for (size_t i = 1; i < env_len; i++) {
        env[i] ^= 0x01;
        memset(out, 0xAA, sizeof out);
        out_len = sizeof out;
        FAILS(PHI_ERR_AUTHENTICATION, phi_field_decrypt(src, env, env_len, NULL, 0, out, &out_len));
        for (size_t j = 0; j < pt_len; j++) CHECK(out[j] == 0);
        env[i] ^= 0x01;
    }
    /* another purpose, another ad, another key version: no decryption */
    out_len = sizeof out;
    phi_source *mrn = NULL, *v2 = NULL;
    OK(phi_source_from_key(key, 1, "clinic.Patient.mrn", &mrn));
    OK(phi_source_from_key(key, 2, PURPOSE, &v2));
    OK(phi_key_free(key)); /* sources hold their own copy of the key */
    FAILS(PHI_ERR_AUTHENTICATION, phi_field_decrypt(mrn, env, env_len, NULL, 0, out, &out_len));
    FAILS(PHI_ERR_AUTHENTICATION, phi_field_decrypt(src, env, env_len, (const uint8_t *)"row 2", 5, out, &out_len));
    FAILS(PHI_ERR_KEY_NOT_FOUND, phi_field_decrypt(v2, env, env_len, NULL, 0, out, &out_len));
    /* a truncated envelope is malformed, not an authentication failure */
    FAILS(PHI_ERR_MALFORMED, phi_field_decrypt(src, env, 5, NULL, 0, out, &out_len));
    OK(phi_source_free(mrn));
    OK(phi_source_free(v2));
    OK(phi_source_free(src));
}

static void test_modes_differ(void)
{
    phi_key *key = new_key();
    phi_source *src = key_source(key, 1, PURPOSE), *v300 = key_source(key, 300, PURPOSE), *none = NULL;
    const uint8_t pt[] = "123-45-6789";
    uint8_t a[64], b[64], c[64];
    size_t la = sizeof a, lb = sizeof b, lc = sizeof c;
    OK(phi_field_encrypt(src, PHI_FIELD_DETERMINISTIC, pt, 11, NULL, 0, a, &la));
    OK(phi_field_encrypt(src, PHI_FIELD_DETERMINISTIC, pt, 11, NULL, 0, b, &lb));
    CHECK(la == lb && memcmp(a, b, la) == 0); /* searchable */
    OK(phi_field_encrypt(src, PHI_FIELD_DETERMINISTIC, (const uint8_t *)"987-65-4321", 11, NULL, 0, c, &lc));
    CHECK(memcmp(a, c, la) != 0);
    la = lb = sizeof a;
    OK(phi_field_encrypt(src, PHI_FIELD_RANDOMIZED, pt, 11, NULL, 0, a, &la));
    OK(phi_field_encrypt(src, PHI_FIELD_RANDOMIZED, pt, 11, NULL, 0, b, &lb));
    CHECK(memcmp(a, b, la) != 0); /* fresh nonce each time */

    /* the empty value is a real envelope; a key version above 31 takes a longer header */
    size_t le = sizeof a;
    OK(phi_field_encrypt(src, PHI_FIELD_RANDOMIZED, NULL, 0, NULL, 0, a, &le));
    CHECK(le == 29);
    uint8_t out[8];
    size_t lo = sizeof out;
    OK(phi_field_decrypt(src, a, le, NULL, 0, out, &lo));
    CHECK(lo == 0);
    le = sizeof a;
    OK(phi_field_encrypt(v300, PHI_FIELD_DETERMINISTIC, pt, 11, NULL, 0, a, &le));
    uint32_t version = 0;
    OK(phi_field_header(a, le, NULL, &version, NULL));
    CHECK(version == 300 && le == 11 + 17 + 2);

    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_field_encrypt(src, 5, pt, 11, NULL, 0, a, &la));
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_source_from_key(key, 0, PURPOSE, &none));
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_source_from_key(key, 1, NULL, &none));
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_source_from_key(key, 1, "", &none));
    CHECK(none == NULL);
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_field_encrypt(NULL, 0, pt, 11, NULL, 0, a, &la));
    /* a key handle is not a source handle */
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_field_encrypt((phi_source *)key, 0, pt, 11, NULL, 0, a, &la));
    OK(phi_source_free(src));
    OK(phi_source_free(v300));
    OK(phi_key_free(key));
}

static void test_batch(int32_t mode)
{
    enum { N = 10000 };
    phi_key *key = new_key();
    phi_source *src = key_source(key, 1, PURPOSE);
    size_t *lens = malloc(N * sizeof *lens), *env_lens = malloc(N * sizeof *env_lens), *out_lens = malloc(N * sizeof *out_lens);
    int32_t *statuses = malloc(N * sizeof *statuses);
    uint8_t *values = malloc(N * 16);
    size_t total = 0;
    for (int i = 0; i < N; i++) {
        lens[i] = (size_t)snprintf((char *)values + total, 16, "SSN-%09d", i);
        total += lens[i];
    }
    size_t env_total = 0;
    FAILS(PHI_ERR_BUFFER_TOO_SMALL, phi_field_encrypt_batch(src, mode, values, lens, N, NULL, 0, NULL, &env_total, env_lens));
    size_t per = mode == PHI_FIELD_RANDOMIZED ? 29 : 17;
    CHECK(env_total == total + N * per);
    uint8_t *envs = malloc(env_total);
    OK(phi_field_encrypt_batch(src, mode, values, lens, N, (const uint8_t *)"ad", 2, envs, &env_total, env_lens));

    /* item 1234 decrypts alone, with the single-field call */
    size_t offset = 0;
    for (int i = 0; i < 1234; i++) offset += env_lens[i];
    uint8_t one[32];
    size_t one_len = sizeof one;
    OK(phi_field_decrypt(src, envs + offset, env_lens[1234], (const uint8_t *)"ad", 2, one, &one_len));
    CHECK(one_len == 13 && memcmp(one, "SSN-000001234", 13) == 0);

    uint8_t *plain = malloc(env_total);
    size_t plain_len = env_total;
    OK(phi_field_decrypt_batch(src, envs, env_lens, N, (const uint8_t *)"ad", 2, plain, &plain_len, out_lens, statuses));
    CHECK(plain_len == total && memcmp(plain, values, total) == 0);
    for (int i = 0; i < N; i++) CHECK(out_lens[i] == lens[i] && statuses[i] == PHI_OK);

    /* one tampered item fails alone; the others still decrypt */
    envs[offset + 3] ^= 0x80;
    plain_len = env_total;
    FAILS(PHI_ERR_AUTHENTICATION, phi_field_decrypt_batch(src, envs, env_lens, N, (const uint8_t *)"ad", 2, plain, &plain_len, out_lens, statuses));
    CHECK(strncmp(phi_test_error(), "field 1234:", 11) == 0);
    CHECK(statuses[1234] == PHI_ERR_AUTHENTICATION && statuses[1233] == PHI_OK && statuses[1235] == PHI_OK);
    CHECK(memcmp(plain, values, 13 * 1234) == 0);
    FAILS(PHI_ERR_AUTHENTICATION, phi_field_decrypt_batch(src, envs, env_lens, N, (const uint8_t *)"ad", 2, plain, &plain_len, out_lens, NULL));

    free(lens); free(env_lens); free(out_lens); free(statuses); free(values); free(envs); free(plain);
    OK(phi_source_free(src));
    OK(phi_key_free(key));
}

int main(void)
{
    test_round_trip(PHI_FIELD_RANDOMIZED, 29);
    test_round_trip(PHI_FIELD_DETERMINISTIC, 17);
    test_modes_differ();
    test_batch(PHI_FIELD_RANDOMIZED);
    test_batch(PHI_FIELD_DETERMINISTIC);
    puts("fields: ok");
    return 0;
}

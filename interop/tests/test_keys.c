/* Key handles, import/export, AES-KW (RFC 3394 4.6) and AES-KWP (RFC 5649 section 6) vectors,
 * the versioned wrapped-key record. */
#include "check.h"

static void test_generate_export_import(void)
{
    phi_key *key = NULL, *copy = NULL;
    OK(phi_key_generate(32, &key));
    CHECK(key != NULL);
    size_t size = 0;
    OK(phi_key_size(key, &size));
    CHECK(size == 32);

    uint8_t raw[32], raw2[32];
    size_t len = 0;
    FAILS(PHI_ERR_BUFFER_TOO_SMALL, phi_key_export(key, NULL, &len));
    CHECK(len == 32);
    OK(phi_key_export(key, raw, &len));
    OK(phi_key_import(raw, sizeof raw, &copy));
    len = sizeof raw2;
    OK(phi_key_export(copy, raw2, &len));
    CHECK(memcmp(raw, raw2, 32) == 0);

    phi_key *other = NULL;
    OK(phi_key_generate(32, &other));
    len = sizeof raw2;
    OK(phi_key_export(other, raw2, &len));
    CHECK(memcmp(raw, raw2, 32) != 0); /* two generated keys differ */

    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_key_generate(8, &other));
    CHECK(other == NULL); /* the out handle is cleared on failure */
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_key_import(raw, 15, &other));
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_key_size(NULL, &size));
    OK(phi_key_free(NULL));
    OK(phi_key_free(key));
    OK(phi_key_free(copy));
}

static void test_aes_kw_vector(void)
{
    /* RFC 3394 section 4.6: 256-bit key data with a 256-bit KEK */
    uint8_t kek_raw[32], key_raw[32], expected[40], out[40];
    hex_to_bytes("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", kek_raw, 32);
    hex_to_bytes("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F", key_raw, 32);
    hex_to_bytes("28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21", expected, 40);
    phi_key *kek, *key, *back;
    OK(phi_key_import(kek_raw, 32, &kek));
    OK(phi_key_import(key_raw, 32, &key));
    size_t len = sizeof out;
    OK(phi_key_wrap(kek, key, PHI_WRAP_AES_KW, out, &len));
    CHECK(len == 40);
    CHECK(memcmp(out, expected, 40) == 0);

    OK(phi_key_unwrap(kek, PHI_WRAP_AES_KW, out, len, &back));
    uint8_t raw[32];
    size_t raw_len = sizeof raw;
    OK(phi_key_export(back, raw, &raw_len));
    CHECK(memcmp(raw, key_raw, 32) == 0);
    OK(phi_key_free(back));

    out[5] ^= 1;
    back = (phi_key *)1;
    FAILS(PHI_ERR_AUTHENTICATION, phi_key_unwrap(kek, PHI_WRAP_AES_KW, out, len, &back));
    CHECK(back == NULL);
    CHECK(strcmp(phi_test_error(), "authentication failed") == 0);
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_key_wrap(kek, key, 7, out, &len));
    OK(phi_key_free(kek));
    OK(phi_key_free(key));
}

static void test_aes_kwp_vector(void)
{
    /* RFC 5649 section 6: 20 octets of key data with a 192-bit KEK */
    uint8_t kek_raw[24], key_raw[20], expected[32], out[32];
    hex_to_bytes("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8", kek_raw, 24);
    hex_to_bytes("c37b7e6492584340bed12207808941155068f738", key_raw, 20);
    hex_to_bytes("138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a", expected, 32);
    phi_key *kek, *key, *back;
    OK(phi_key_import(kek_raw, 24, &kek));
    OK(phi_key_import(key_raw, 20, &key));
    size_t len = 0;
    FAILS(PHI_ERR_BUFFER_TOO_SMALL, phi_key_wrap(kek, key, PHI_WRAP_AES_KWP, NULL, &len));
    CHECK(len == 32);
    OK(phi_key_wrap(kek, key, PHI_WRAP_AES_KWP, out, &len));
    CHECK(memcmp(out, expected, 32) == 0);
    /* a 20-byte key is not a multiple of 8: plain AES-KW refuses it */
    size_t kw_len = sizeof out;
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_key_wrap(kek, key, PHI_WRAP_AES_KW, out + 0, &kw_len));

    OK(phi_key_unwrap(kek, PHI_WRAP_AES_KWP, expected, 32, &back));
    size_t size = 0;
    OK(phi_key_size(back, &size));
    CHECK(size == 20);
    uint8_t raw[20];
    size_t raw_len = sizeof raw;
    OK(phi_key_export(back, raw, &raw_len));
    CHECK(memcmp(raw, key_raw, 20) == 0);
    OK(phi_key_free(back));
    OK(phi_key_free(kek));
    OK(phi_key_free(key));
}

static void test_wrap_record(void)
{
    phi_key *kek, *other_kek, *dek, *back;
    OK(phi_key_generate(32, &kek));
    OK(phi_key_generate(32, &other_kek));
    OK(phi_key_generate(32, &dek));
    uint8_t record[64];
    size_t len = sizeof record;
    OK(phi_key_wrap_record(kek, dek, 7, record, &len));
    CHECK(len == 57);
    CHECK(memcmp(record, "PHWK\x01", 5) == 0);

    uint32_t version = 0;
    OK(phi_key_record_version(record, len, &version));
    CHECK(version == 7);
    version = 0;
    OK(phi_key_unwrap_record(kek, record, len, &back, &version));
    CHECK(version == 7);
    uint8_t a[32], b[32];
    size_t la = 32, lb = 32;
    OK(phi_key_export(dek, a, &la));
    OK(phi_key_export(back, b, &lb));
    CHECK(memcmp(a, b, 32) == 0);
    OK(phi_key_free(back));

    FAILS(PHI_ERR_AUTHENTICATION, phi_key_unwrap_record(other_kek, record, len, &back, NULL));
    record[8] = 8; /* the clear version edited: the wrapped copy disagrees */
    FAILS(PHI_ERR_AUTHENTICATION, phi_key_unwrap_record(kek, record, len, &back, NULL));
    record[0] = 'X';
    FAILS(PHI_ERR_MALFORMED, phi_key_unwrap_record(kek, record, len, &back, NULL));
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_key_wrap_record(kek, dek, 0, record, &len));
    OK(phi_key_free(kek));
    OK(phi_key_free(other_kek));
    OK(phi_key_free(dek));
}

int main(void)
{
    test_generate_export_import();
    test_aes_kw_vector();
    test_aes_kwp_vector();
    test_wrap_record();
    puts("keys: ok");
    return 0;
}

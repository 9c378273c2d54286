/* Decrypt flags (issue 12, section 4): legacy suites are refused unless PHI_DECRYPT_ALLOW_LEGACY,
 * and PHI_DECRYPT_VERIFY_FIRST releases no plaintext of a signed message before its signature
 * verified, through every decrypt call: by descriptor, by range, by push, by reader. */
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>
#include "check.h"

#define SIZE 10000 /* two regular frames of 4096 and a final one */
#define ALL_FLAGS (PHI_DECRYPT_ALLOW_LEGACY | PHI_DECRYPT_VERIFY_FIRST)

static off_t size_of(int fd) { return lseek(fd, 0, SEEK_END); }

/* A format-v1 header of suite 0x0178 (AES-256-GCM, HKDF-SHA-256, no key commitment) with one raw
 * AES EDK of this library's namespace, followed by a few body bytes. */
static size_t legacy_message(uint8_t *out)
{
    static const uint8_t head[] = { 0x01, 0x80, 0x01, 0x78 };
    size_t n = 0;
    memcpy(out + n, head, sizeof head); n += sizeof head;
    memset(out + n, 0x11, 16); n += 16;                 /* message id */
    out[n++] = 0; out[n++] = 0;                         /* no encryption context */
    out[n++] = 0; out[n++] = 1;                         /* one EDK */
    out[n++] = 0; out[n++] = 9; memcpy(out + n, "phicrypto", 9); n += 9;
    out[n++] = 0; out[n++] = 23; memcpy(out + n, "raw", 3); n += 3;
    out[n++] = 0; out[n++] = 0; out[n++] = 0; out[n++] = 128; /* tag bits */
    out[n++] = 0; out[n++] = 0; out[n++] = 0; out[n++] = 12;  /* IV length */
    memset(out + n, 0x22, 12); n += 12;
    out[n++] = 0; out[n++] = 48; memset(out + n, 0x33, 48); n += 48;
    out[n++] = 2;                                       /* framed */
    memset(out + n, 0, 4); n += 4;                      /* reserved */
    out[n++] = 12;                                      /* IV length */
    out[n++] = 0; out[n++] = 0; out[n++] = 0x10; out[n++] = 0; /* frame length 4096 */
    memset(out + n, 0x44, 12 + 16 + 64); n += 12 + 16 + 64;   /* header IV, tag, some body */
    return n;
}

static void test_legacy_needs_the_opt_in(phi_source *source)
{
    uint8_t message[512];
    size_t n = legacy_message(message);
    int in = temp_file(message, n), out = temp_file(NULL, 0);
    FAILS(PHI_ERR_POLICY, phi_stream_decrypt_fd(source, in, out, NULL, 0, NULL, NULL));
    CHECK(strstr(phi_test_error(), "PHI_DECRYPT_ALLOW_LEGACY") != NULL);
    phi_reader *reader = NULL;
    FAILS(PHI_ERR_POLICY, phi_reader_open_fd(source, in, NULL, 0, &reader));
    CHECK(lseek(in, 0, SEEK_SET) == 0);
    /* with the opt-in the suite is accepted: the (made-up) data key then fails to unwrap */
    int rc = phi_stream_decrypt_fd(source, in, out, NULL, PHI_DECRYPT_ALLOW_LEGACY, NULL, NULL);
    CHECK(rc < 0 && rc != PHI_ERR_POLICY);
    CHECK(size_of(out) == 0);
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_stream_decrypt_fd(source, in, out, NULL, 4, NULL, NULL));
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_reader_open_fd(source, in, NULL, ~ALL_FLAGS, &reader));
    close(in);
    close(out);
}

/* A signed message whose signature's last byte is flipped: every frame's tag still verifies. */
static int forged_signed_message(phi_source *source, const uint8_t *plain, int *good)
{
    int in = temp_file(plain, SIZE);
    *good = temp_file(NULL, 0);
    OK(phi_stream_encrypt_fd(source, in, *good, 4096, "{\"kind\":\"report\"}", PHI_STREAM_SIGNED, NULL));
    size_t n = (size_t)size_of(*good);
    uint8_t *bytes = malloc(n);
    CHECK(pread(*good, bytes, n, 0) == (ssize_t)n);
    bytes[n - 1] ^= 0x01;
    int forged = temp_file(bytes, n);
    free(bytes);
    close(in);
    CHECK(lseek(*good, 0, SEEK_SET) == 0);
    return forged;
}

static size_t push_all(phi_stream *dec, int fd, uint8_t *out, size_t capacity, int *finish_rc)
{
    uint8_t chunk[1000];
    ssize_t r;
    size_t total = 0;
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
    while ((r = read(fd, chunk, sizeof chunk)) > 0)
    {
        if (phi_stream_push(dec, chunk, (size_t)r) != PHI_OK) break;
        size_t len = capacity - total;
        if (phi_stream_pull(dec, out + total, &len) == PHI_OK) total += len;
    }
    *finish_rc = phi_stream_finish(dec);
    size_t len = capacity - total;
    if (phi_stream_pull(dec, out + total, &len) == PHI_OK) total += len;
    return total;
}

static void test_verify_first(phi_source *source)
{
    uint8_t *plain = malloc(SIZE), *back = malloc(SIZE + 1);
    for (size_t i = 0; i < SIZE; i++) plain[i] = (uint8_t)(i * 7);
    int good = -1, forged = forged_signed_message(source, plain, &good);

    /* the default: regular frames are released before the signature fails (a push caller that pulls
     * as it goes receives both regular frames; by descriptor, as many as were written in time) */
    phi_stream *dec = NULL;
    int finish_rc = 0;
    OK(phi_stream_decryptor_new(source, NULL, 0, &dec));
    CHECK(push_all(dec, forged, back, SIZE + 1, &finish_rc) == 8192 && memcmp(back, plain, 8192) == 0);
    CHECK(finish_rc == PHI_ERR_AUTHENTICATION);
    OK(phi_stream_free(dec));
    int out = temp_file(NULL, 0);
    CHECK(lseek(forged, 0, SEEK_SET) == 0);
    FAILS(PHI_ERR_AUTHENTICATION, phi_stream_decrypt_fd(source, forged, out, NULL, 0, NULL, NULL));
    close(out);
    /* verify-first: nothing is released, by any path */
    out = temp_file(NULL, 0);
    CHECK(lseek(forged, 0, SEEK_SET) == 0);
    FAILS(PHI_ERR_AUTHENTICATION, phi_stream_decrypt_fd(source, forged, out, NULL, PHI_DECRYPT_VERIFY_FIRST, NULL, NULL));
    CHECK(size_of(out) == 0);
    FAILS(PHI_ERR_AUTHENTICATION, phi_stream_decrypt_range_fd(source, forged, out, NULL, PHI_DECRYPT_VERIFY_FIRST, 0, 100, NULL));
    CHECK(size_of(out) == 0);
    phi_reader *reader = NULL;
    FAILS(PHI_ERR_AUTHENTICATION, phi_reader_open_fd(source, forged, NULL, PHI_DECRYPT_VERIFY_FIRST, &reader));
    CHECK(reader == NULL);
    OK(phi_stream_decryptor_new(source, NULL, PHI_DECRYPT_VERIFY_FIRST, &dec));
    CHECK(push_all(dec, forged, back, SIZE + 1, &finish_rc) == 0);
    CHECK(finish_rc == PHI_ERR_AUTHENTICATION);
    OK(phi_stream_free(dec));
    close(out);

    /* an intact signed message decrypts whole through every path with the flag */
    out = temp_file(NULL, 0);
    OK(phi_stream_decrypt_fd(source, good, out, "{\"kind\":\"report\"}", PHI_DECRYPT_VERIFY_FIRST, NULL, NULL));
    CHECK(size_of(out) == SIZE && pread(out, back, SIZE, 0) == SIZE && memcmp(back, plain, SIZE) == 0);
    OK(phi_reader_open_fd(source, good, NULL, PHI_DECRYPT_VERIFY_FIRST, &reader));
    size_t len = 100;
    OK(phi_reader_read(reader, 9000, back, &len));
    CHECK(len == 100 && memcmp(back, plain + 9000, 100) == 0);
    OK(phi_reader_free(reader));
    OK(phi_stream_decryptor_new(source, NULL, PHI_DECRYPT_VERIFY_FIRST | PHI_DECRYPT_ALLOW_LEGACY, &dec));
    CHECK(push_all(dec, good, back, SIZE + 1, &finish_rc) == SIZE && finish_rc == PHI_OK);
    CHECK(memcmp(back, plain, SIZE) == 0);
    OK(phi_stream_free(dec));
    close(out);
    close(good);
    close(forged);
    free(plain);
    free(back);
}

int main(void)
{
    phi_key *key = NULL;
    OK(phi_key_generate(32, &key));
    phi_source *source = key_source(key, 1, "files");
    test_legacy_needs_the_opt_in(source);
    test_verify_first(source);
    OK(phi_source_free(source));
    OK(phi_key_free(key));
    puts("test_decrypt_flags: ok");
    return 0;
}

/* Streaming messages through the C ABI: by descriptor, by push, by range; inspect. */
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>
#include "check.h"

#define SIZE (300 * 1024 + 123) /* several 64 KiB frames and a short final one */

static uint8_t *pattern(size_t n)
{
    uint8_t *p = malloc(n);
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(i * 31 + (i >> 8));
    return p;
}

static uint8_t *read_all(int fd, size_t *n)
{
    off_t end = lseek(fd, 0, SEEK_END);
    uint8_t *p = malloc((size_t)end + 1);
    CHECK(pread(fd, p, (size_t)end, 0) == end);
    *n = (size_t)end;
    return p;
}

static void test_fd_round_trip(phi_source *key)
{
    uint8_t *plain = pattern(SIZE);
    int in = temp_file(plain, SIZE), enc = temp_file(NULL, 0), dec = temp_file(NULL, 0);
    uint64_t read_len = 0;
    OK(phi_stream_encrypt_fd(key, in, enc, 0, "{\"patient\":\"P-1234\",\"content-type\":\"application/dicom\"}", 0, &read_len));
    CHECK(read_len == SIZE);
    CHECK(lseek(enc, 0, SEEK_SET) == 0);
    char context[256];
    size_t context_len = sizeof context;
    OK(phi_stream_decrypt_fd(key, enc, dec, NULL, 0, context, &context_len));
    CHECK(strcmp(context, "{\"content-type\":\"application/dicom\",\"patient\":\"P-1234\"}") == 0);
    size_t n = 0;
    uint8_t *back = read_all(dec, &n);
    CHECK(n == SIZE && memcmp(back, plain, SIZE) == 0);

    /* inspect, without the key: 5 frames, the context in the clear */
    CHECK(lseek(enc, 0, SEEK_SET) == 0);
    size_t json_len = 0;
    FAILS(PHI_ERR_BUFFER_TOO_SMALL, phi_stream_inspect_fd(enc, 0, NULL, &json_len));
    char *json = malloc(json_len);
    OK(phi_stream_inspect_fd(enc, 0, json, &json_len));
    CHECK(strstr(json, "\"suite\":\"0x0478\"") && strstr(json, "\"frame_count\":5") && strstr(json, "\"plaintext_length\":307323"));
    CHECK(strstr(json, "\"authenticated\":false") && strstr(json, "\"patient\":\"P-1234\""));
    free(json);

    /* the header alone, without walking the frames */
    json_len = 4096;
    json = malloc(json_len);
    CHECK(lseek(enc, 0, SEEK_SET) == 0);
    OK(phi_stream_inspect_fd(enc, PHI_INSPECT_HEADER_ONLY, json, &json_len));
    CHECK(strstr(json, "\"frame_count\":-1") && strstr(json, "\"header_length\":") && strstr(json, "\"frame_length\":65536"));
    free(json);

    /* an expected context is checked before any plaintext: a mismatch writes nothing */
    int refused = temp_file(NULL, 0);
    CHECK(lseek(enc, 0, SEEK_SET) == 0);
    FAILS(PHI_ERR_POLICY, phi_stream_decrypt_fd(key, enc, refused, "{\"patient\":\"P-9999\"}", 0, NULL, NULL));
    CHECK(lseek(refused, 0, SEEK_END) == 0);
    CHECK(lseek(enc, 0, SEEK_SET) == 0);
    OK(phi_stream_decrypt_fd(key, enc, refused, "{\"patient\":\"P-1234\"}", 0, NULL, NULL));
    CHECK(lseek(refused, 0, SEEK_END) == SIZE);
    close(refused);

    /* a range from inside frame 2 to inside frame 4 */
    int range = temp_file(NULL, 0);
    uint64_t written = 0;
    OK(phi_stream_decrypt_range_fd(key, enc, range, NULL, 0, 100000, 150000, &written));
    CHECK(written == 150000);
    uint8_t *part = read_all(range, &n);
    CHECK(n == 150000 && memcmp(part, plain + 100000, 150000) == 0);

    /* a flipped byte in the body: no success, and the wrong key never decrypts */
    uint8_t byte;
    CHECK(pread(enc, &byte, 1, 200000) == 1);
    byte ^= 1;
    CHECK(pwrite(enc, &byte, 1, 200000) == 1);
    CHECK(lseek(enc, 0, SEEK_SET) == 0);
    int sink = temp_file(NULL, 0);
    FAILS(PHI_ERR_AUTHENTICATION, phi_stream_decrypt_fd(key, enc, sink, NULL, 0, NULL, NULL));
    phi_key *other_key;
    OK(phi_key_generate(32, &other_key));
    phi_source *other = key_source(other_key, 1, "files");
    OK(phi_key_free(other_key));
    CHECK(lseek(enc, 0, SEEK_SET) == 0);
    int rc = phi_stream_decrypt_fd(other, enc, sink, NULL, 0, NULL, NULL);
    CHECK(rc == PHI_ERR_AUTHENTICATION || rc == PHI_ERR_KEY_NOT_FOUND);
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_stream_encrypt_fd(key, in, enc, 0, "[1,2]", 0, NULL));
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_stream_encrypt_fd(key, -1, enc, 0, NULL, 0, NULL));
    OK(phi_source_free(other));
    free(plain); free(back); free(part);
    close(in); close(enc); close(dec); close(range); close(sink);
}

static size_t drain(phi_stream *s, uint8_t *out, size_t at)
{
    for (;;) {
        size_t n = 7000; /* an odd size, so pulls split frames */
        OK(phi_stream_pull(s, out + at, &n));
        if (n == 0) return at;
        at += n;
    }
}

static void test_push_round_trip(phi_source *key)
{
    uint8_t *plain = pattern(SIZE);
    uint8_t *message = malloc(SIZE + 16384), *back = malloc(SIZE + 16384);
    phi_stream *enc, *dec;
    OK(phi_stream_encryptor_new(key, 4096, "{\"name\":\"scan.dcm\"}", PHI_STREAM_SIGNED, &enc));
    size_t m = 0;
    for (size_t at = 0; at < SIZE; at += 10000) {
        size_t n = SIZE - at < 10000 ? SIZE - at : 10000;
        OK(phi_stream_push(enc, plain + at, n));
        m = drain(enc, message, m);
    }
    OK(phi_stream_finish(enc));
    m = drain(enc, message, m);
    OK(phi_stream_free(enc));

    OK(phi_stream_decryptor_new(key, NULL, 0, &dec));
    size_t p = 0;
    for (size_t at = 0; at < m; at += 3333) {
        OK(phi_stream_push(dec, message + at, m - at < 3333 ? m - at : 3333));
        p = drain(dec, back, p);
    }
    OK(phi_stream_finish(dec));
    p = drain(dec, back, p);
    CHECK(p == SIZE && memcmp(back, plain, SIZE) == 0);
    char context[256];
    size_t len = sizeof context;
    OK(phi_stream_context(dec, context, &len));
    /* the signed suite adds its public key to the context (aws-crypto-public-key) */
    CHECK(strstr(context, "\"name\":\"scan.dcm\"") && strstr(context, "\"aws-crypto-public-key\""));
    OK(phi_stream_free(dec));

    /* a truncated message fails at finish, and a decryptor freed early neither leaks nor hangs */
    OK(phi_stream_decryptor_new(key, NULL, 0, &dec));
    OK(phi_stream_push(dec, message, m - 10));
    p = drain(dec, back, 0);
    int rc = phi_stream_finish(dec);
    CHECK(rc == PHI_ERR_MALFORMED || rc == PHI_ERR_AUTHENTICATION);
    size_t none = 100;
    CHECK(phi_stream_pull(dec, back, &none) == rc);
    OK(phi_stream_free(dec));
    OK(phi_stream_decryptor_new(key, NULL, 0, &dec));
    OK(phi_stream_push(dec, message, 100));
    OK(phi_stream_free(dec));
    /* an unexpected context fails as soon as the header is in, with no plaintext */
    OK(phi_stream_decryptor_new(key, "{\"name\":\"other.dcm\"}", 0, &dec));
    OK(phi_stream_push(dec, message, m));
    size_t nothing = 100;
    FAILS(PHI_ERR_POLICY, phi_stream_pull(dec, back, &nothing));
    OK(phi_stream_free(dec));
    /* a stream handle is not a key handle */
    OK(phi_stream_encryptor_new(key, 0, NULL, 0, &enc));
    size_t size;
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_key_size((phi_key *)enc, &size));
    OK(phi_stream_free(enc));
    free(plain); free(message); free(back);
}

static void test_reader(phi_source *key)
{
    uint8_t *plain = pattern(SIZE);
    int in = temp_file(plain, SIZE), enc = temp_file(NULL, 0);
    OK(phi_stream_encrypt_fd(key, in, enc, 8192, NULL, 0, NULL));
    phi_reader *r;
    phi_reader *refused = NULL;
    FAILS(PHI_ERR_POLICY, phi_reader_open_fd(key, enc, "{\"patient\":\"P-1\"}", 0, &refused));
    CHECK(refused == NULL);
    OK(phi_reader_open_fd(key, enc, NULL, 0, &r));
    uint64_t length = 0;
    OK(phi_reader_length(r, &length));
    CHECK(length == SIZE);
    uint8_t buf[20000];
    uint64_t positions[] = {0, 8191, 8192, 123456, SIZE - 5000, SIZE - 1};
    for (size_t i = 0; i < sizeof positions / sizeof *positions; i++) {
        size_t n = sizeof buf;
        OK(phi_reader_read(r, positions[i], buf, &n));
        size_t expected = SIZE - positions[i] < sizeof buf ? SIZE - positions[i] : sizeof buf;
        CHECK(n == expected && memcmp(buf, plain + positions[i], n) == 0);
    }
    size_t n = sizeof buf;
    OK(phi_reader_read(r, SIZE, buf, &n));
    CHECK(n == 0);
    OK(phi_reader_free(r));
    free(plain);
    close(in); close(enc);
}

int main(void)
{
    phi_key *key;
    OK(phi_key_generate(32, &key));
    phi_source *source = key_source(key, 1, "files");
    test_fd_round_trip(source);
    test_push_round_trip(source);
    test_reader(source);
    OK(phi_source_free(source));
    OK(phi_key_free(key));
    puts("streams: ok");
    return 0;
}

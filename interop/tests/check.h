/* A minimal test harness for the C suite: CHECK stops the test with the library's last error. */
#ifndef PHI_TEST_CHECK_H
#define PHI_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "phicrypto.h"

static inline const char *phi_test_error(void)
{
    static _Thread_local char message[512];
    size_t len = sizeof message;
    if (phi_last_error(message, &len) != PHI_OK) snprintf(message, sizeof message, "(no message)");
    return message;
}

#define CHECK(cond) do { if (!(cond)) { \
    fprintf(stderr, "%s:%d: CHECK failed: %s (last error: %s)\n", __FILE__, __LINE__, #cond, phi_test_error()); \
    exit(1); } } while (0)

/* A call that must succeed. */
#define OK(call) do { int rc_ = (call); if (rc_ != PHI_OK) { \
    fprintf(stderr, "%s:%d: %s returned %d: %s\n", __FILE__, __LINE__, #call, rc_, phi_test_error()); \
    exit(1); } } while (0)

/* A call that must fail with `status`. */
#define FAILS(status, call) do { int rc_ = (call); if (rc_ != (status)) { \
    fprintf(stderr, "%s:%d: %s returned %d, expected %d (%s)\n", __FILE__, __LINE__, #call, rc_, (status), phi_test_error()); \
    exit(1); } } while (0)

/* A key source over `key` standing for key `version` of `purpose`; the caller frees it. */
static inline phi_source *key_source(const phi_key *key, uint32_t version, const char *purpose)
{
    phi_source *source = NULL;
    OK(phi_source_from_key(key, version, purpose, &source));
    return source;
}

static inline void hex_to_bytes(const char *hex, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) sscanf(hex + 2 * i, "%2hhx", &out[i]);
}

/* An unlinked temporary file holding data[0..n), positioned at its start. */
static inline int temp_file(const uint8_t *data, size_t n)
{
    char name[] = "/tmp/phicrypto-ctest-XXXXXX";
    int fd = mkstemp(name);
    CHECK(fd >= 0);
    unlink(name);
    if (n) CHECK(write(fd, data, n) == (ssize_t)n);
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
    return fd;
}

#endif

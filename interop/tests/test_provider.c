/* Error mapping (issue 12, section 4): a refusal by the crypto provider is PHI_ERR_CRYPTO_PROVIDER,
 * never PHI_ERR_AUTHENTICATION. Provoked honestly: an OpenSSL configuration whose default properties
 * demand a FIPS provider that is not loaded ("fips=yes"), so OpenSSL refuses every algorithm,
 * the random generator included. OpenSSL reads OPENSSL_CONF when the library first uses it. */
#include <stdint.h>
#include <unistd.h>
#include "check.h"

static const char config[] =
    "openssl_conf = openssl_init\n[openssl_init]\nalg_section = evp_properties\n"
    "[evp_properties]\ndefault_properties = fips=yes\n";

int main(void)
{
    char name[] = "/tmp/phicrypto-ctest-XXXXXX";
    int fd = mkstemp(name);
    CHECK(fd >= 0 && write(fd, config, sizeof config - 1) == (ssize_t)(sizeof config - 1));
    close(fd);
    CHECK(setenv("OPENSSL_CONF", name, 1) == 0);

    phi_key *key = NULL;
    FAILS(PHI_ERR_CRYPTO_PROVIDER, phi_key_generate(32, &key));
    CHECK(key == NULL);
    CHECK(strstr(phi_test_error(), "cryptographic provider") != NULL);
    uint8_t raw[32] = { 1, 2, 3 };
    OK(phi_key_import(raw, sizeof raw, &key));
    phi_source *source = key_source(key, 1, "files");
    uint8_t envelope[64];
    size_t envelope_len = sizeof envelope;
    /* a randomized envelope needs a random nonce: refused by the provider, not "authentication failed" */
    FAILS(PHI_ERR_CRYPTO_PROVIDER, phi_field_encrypt(source, PHI_FIELD_RANDOMIZED, (const uint8_t *)"x", 1, NULL, 0, envelope, &envelope_len));
    OK(phi_source_free(source));
    OK(phi_key_free(key));
    unlink(name);
    puts("test_provider: ok");
    return 0;
}

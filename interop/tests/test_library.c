/* Library information, the last-error convention and the buffer convention. */
#include "check.h"

int main(void)
{
    char version[32];
    size_t len = sizeof version;
    OK(phi_version(version, &len));
    CHECK(len == strlen(version) + 1);
    CHECK(strchr(version, '.') != NULL);

    /* size query: NULL buffer, capacity 0 -> needed size */
    size_t needed = 0;
    FAILS(PHI_ERR_BUFFER_TOO_SMALL, phi_version(NULL, &needed));
    CHECK(needed == len);
    size_t small = 2;
    FAILS(PHI_ERR_BUFFER_TOO_SMALL, phi_version(version, &small));
    CHECK(small == len);
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_version(version, NULL));

    /* the last error names the mistake and a too-small message buffer reports its need */
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_key_generate(32, NULL));
    CHECK(strstr(phi_test_error(), "key is NULL") != NULL);
    size_t err_len = 0;
    FAILS(PHI_ERR_BUFFER_TOO_SMALL, phi_last_error(NULL, &err_len));
    CHECK(err_len == strlen("key is NULL") + 1);

    int32_t fips = -1, provider = -1;
    OK(phi_fips_status(&fips, &provider));
    CHECK(fips == 0 || fips == 1);
    CHECK(provider == 0 || provider == 1 || provider == -1);
    OK(phi_fips_status(NULL, NULL));
    puts("library: ok");
    return 0;
}

/* Blind indexes and FF1 through the C ABI (phicrypto.h, "Search"; docs/search.md): the nine NIST FF1
 * samples, the published blind-index vectors (exact, case-insensitive through ICU, prefix, compound),
 * FF1 through a source and its versions, the planner, and hostile arguments. */
#include "check.h"

#define LAST_NAME "clinic.Patient.last_name"

static phi_key *import_hex(const char *hex)
{
    uint8_t raw[32];
    size_t n = strlen(hex) / 2;
    hex_to_bytes(hex, raw, n);
    phi_key *key = NULL;
    OK(phi_key_import(raw, n, &key));
    return key;
}

static phi_key *dek_0_to_31(void)
{
    uint8_t raw[32];
    for (int i = 0; i < 32; i++) raw[i] = (uint8_t)i;
    phi_key *key = NULL;
    OK(phi_key_import(raw, sizeof raw, &key));
    return key;
}

static void to_hex(const uint8_t *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", in[i]);
}

static void test_nist_ff1_samples(void)
{
    static const struct { const char *key; uint32_t radix; const char *tweak, *pt, *ct; } samples[] = {
        {"2B7E151628AED2A6ABF7158809CF4F3C", 10, "", "0123456789", "2433477484"},
        {"2B7E151628AED2A6ABF7158809CF4F3C", 10, "39383736353433323130", "0123456789", "6124200773"},
        {"2B7E151628AED2A6ABF7158809CF4F3C", 36, "3737373770717273373737", "0123456789abcdefghi", "a9tv40mll9kdu509eum"},
        {"2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F", 10, "", "0123456789", "2830668132"},
        {"2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F", 10, "39383736353433323130", "0123456789", "2496655549"},
        {"2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F", 36, "3737373770717273373737", "0123456789abcdefghi", "xbj3kv35jrawxv32ysr"},
        {"2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F7F036D6F04FC6A94", 10, "", "0123456789", "6657667009"},
        {"2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F7F036D6F04FC6A94", 10, "39383736353433323130", "0123456789", "1001623463"},
        {"2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F7F036D6F04FC6A94", 36, "3737373770717273373737", "0123456789abcdefghi", "xs8a0azh2avyalyzuwd"},
    };
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        phi_key *key = import_hex(samples[i].key);
        uint8_t tweak[16];
        size_t tweak_len = strlen(samples[i].tweak) / 2, n = strlen(samples[i].pt);
        hex_to_bytes(samples[i].tweak, tweak, tweak_len);
        char out[32] = {0}, back[32] = {0};
        size_t out_len = sizeof out;
        OK(phi_ff1_encrypt_key(key, samples[i].radix, tweak, tweak_len, samples[i].pt, n, out, &out_len));
        CHECK(out_len == n && memcmp(out, samples[i].ct, n) == 0);
        size_t back_len = sizeof back;
        OK(phi_ff1_decrypt_key(key, samples[i].radix, tweak, tweak_len, out, n, back, &back_len));
        CHECK(back_len == n && memcmp(back, samples[i].pt, n) == 0);
        OK(phi_key_free(key));
    }
}

static void test_ff1_refuses_bad_input(void)
{
    phi_key *key = dek_0_to_31();
    char out[300];
    size_t out_len = sizeof out;
    /* SP 800-38G Rev. 1: radix^length >= 1,000,000 */
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_ff1_encrypt_key(key, 10, NULL, 0, "12345", 5, out, &out_len));
    out_len = sizeof out;
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_ff1_encrypt_key(key, 10, NULL, 0, "12345678a", 9, out, &out_len));
    out_len = sizeof out;
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_ff1_encrypt_key(key, 37, NULL, 0, "123456789", 9, out, &out_len));
    out_len = sizeof out;
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_ff1_encrypt_key(key, 10, NULL, 5, "123456789", 9, out, &out_len));
    out_len = 3; /* too small: the size needed comes back, nothing is written */
    memset(out, 'x', sizeof out);
    FAILS(PHI_ERR_BUFFER_TOO_SMALL, phi_ff1_encrypt_key(key, 10, NULL, 0, "123456789", 9, out, &out_len));
    CHECK(out_len == 9 && out[0] == 'x');
    char big[257];
    memset(big, '1', sizeof big);
    out_len = sizeof out;
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_ff1_encrypt_key(key, 10, NULL, 0, big, sizeof big, out, &out_len));
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_ff1_encrypt_key(NULL, 10, NULL, 0, "123456789", 9, out, &out_len));
    OK(phi_key_free(key));
}

static void test_ff1_through_a_source(void)
{
    phi_key *key = dek_0_to_31();
    phi_source *ssn = key_source(key, 3, "clinic.Patient.ssn"), *mrn = key_source(key, 3, "clinic.Patient.mrn");
    char ct[9], other[9], raw[9], back[9];
    size_t len = sizeof ct;
    uint32_t version = 0;
    OK(phi_ff1_encrypt(ssn, &version, 10, NULL, 0, "123456789", 9, ct, &len));
    CHECK(version == 3 && len == 9);
    for (int i = 0; i < 9; i++) CHECK(ct[i] >= '0' && ct[i] <= '9');
    version = 0, len = sizeof other;
    OK(phi_ff1_encrypt(mrn, &version, 10, NULL, 0, "123456789", 9, other, &len));
    CHECK(memcmp(ct, other, 9) != 0);                         /* another purpose, another permutation */
    len = sizeof raw;
    OK(phi_ff1_encrypt_key(key, 10, NULL, 0, "123456789", 9, raw, &len));
    CHECK(memcmp(ct, raw, 9) != 0);                           /* a derived key, not the DEK itself */
    len = sizeof back;
    OK(phi_ff1_decrypt(ssn, 3, 10, NULL, 0, ct, 9, back, &len));
    CHECK(memcmp(back, "123456789", 9) == 0);
    len = sizeof back;
    FAILS(PHI_ERR_KEY_NOT_FOUND, phi_ff1_decrypt(ssn, 2, 10, NULL, 0, ct, 9, back, &len));
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_ff1_decrypt(ssn, 0, 10, NULL, 0, ct, 9, back, &len));
    version = 4;
    FAILS(PHI_ERR_KEY_NOT_FOUND, phi_ff1_encrypt(ssn, &version, 10, NULL, 0, "123456789", 9, ct, &len));
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_ff1_encrypt(ssn, NULL, 10, NULL, 0, "123456789", 9, ct, &len));

    uint32_t versions[4];
    size_t count = 0;
    FAILS(PHI_ERR_BUFFER_TOO_SMALL, phi_source_versions(ssn, NULL, &count));
    CHECK(count == 1);
    count = 4;
    OK(phi_source_versions(ssn, versions, &count));
    CHECK(count == 1 && versions[0] == 3);
    OK(phi_source_free(ssn));
    OK(phi_source_free(mrn));
    OK(phi_key_free(key));
}

/* One index value as hex, through phi_blind_index. */
static void index_hex(phi_source *src, uint32_t version, int32_t kind, uint32_t bits, uint32_t norms, uint32_t lo, uint32_t hi,
                      const char *name, const char *value, char *hex)
{
    uint8_t out[32];
    size_t out_len = sizeof out;
    OK(phi_blind_index(src, version, kind, bits, norms, lo, hi, name, (const uint8_t *)value, strlen(value), out, &out_len));
    CHECK(out_len == (bits + 7) / 8);
    to_hex(out, out_len, hex);
}

static void test_blind_index_vectors(void)
{
    phi_key *dek = dek_0_to_31();
    phi_source *v1 = key_source(dek, 1, LAST_NAME), *v2 = key_source(dek, 2, LAST_NAME);
    char hex[65];
    index_hex(v1, 0, PHI_INDEX_EXACT, 32, 0, 0, 0, "last_name_exact", "O'Brien", hex);
    CHECK(strcmp(hex, "24413a15") == 0);
    index_hex(v2, 2, PHI_INDEX_EXACT, 32, 0, 0, 0, "last_name_exact", "O'Brien", hex);
    CHECK(strcmp(hex, "2b7adb65") == 0);
    /* case-insensitive: NFKC and case folding from ICU inside the library */
    index_hex(v1, 0, PHI_INDEX_EXACT, 20, PHI_NORM_CASE_INSENSITIVE, 0, 0, "last_name_ci", "  \xc3\x89mile\xc2\xa0 ZOLA\t", hex);
    CHECK(strcmp(hex, "c10100") == 0);
    const char *strasse[] = {"STRASSE", "Stra\xc3\x9f" "e", "\xef\xbc\xb3\xef\xbc\xb4\xef\xbc\xb2\xef\xbc\xa1\xef\xbc\xb3\xef\xbc\xb3\xef\xbc\xa5"};
    for (int i = 0; i < 3; i++) {
        index_hex(v1, 0, PHI_INDEX_EXACT, 20, PHI_NORM_CASE_INSENSITIVE, 0, 0, "last_name_ci", strasse[i], hex);
        CHECK(strcmp(hex, "f06840") == 0);
    }
    /* prefix: the lookup value of startswith("smit") is the stored value of length 4 */
    index_hex(v1, 0, PHI_INDEX_PREFIX, 16, PHI_NORM_CASE_INSENSITIVE, 3, 5, "last_name_prefix", "SMIT", hex);
    CHECK(strcmp(hex, "7181") == 0);
    uint8_t out[64];
    size_t lens[3] = {8, 2, 5}, counts[3], out_len = 0;
    const char *packed = "SmithsonLiSmith";
    FAILS(PHI_ERR_BUFFER_TOO_SMALL, phi_blind_index_batch(v1, 0, PHI_INDEX_PREFIX, 16, 1, 3, 5, "last_name_prefix",
        (const uint8_t *)packed, lens, 3, 1, NULL, &out_len, counts));
    CHECK(out_len == 6 * 2);
    OK(phi_blind_index_batch(v1, 0, PHI_INDEX_PREFIX, 16, 1, 3, 5, "last_name_prefix", (const uint8_t *)packed, lens, 3, 1, out, &out_len, counts));
    CHECK(counts[0] == 3 && counts[1] == 0 && counts[2] == 3);
    to_hex(out, 6, hex);
    CHECK(strcmp(hex, "f92171811cdc") == 0);
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_blind_index_batch(v1, 0, PHI_INDEX_PREFIX, 16, 1, 3, 5, "last_name_prefix",
        (const uint8_t *)packed, lens, 3, 1, out, &out_len, NULL));     /* prefix counts are required */
    /* exact batch = singles */
    size_t exact_lens[2] = {7, 5};
    out_len = sizeof out;
    OK(phi_blind_index_batch(v1, 0, PHI_INDEX_EXACT, 32, 0, 0, 0, "last_name_exact", (const uint8_t *)"O'BrienSmith", exact_lens, 2, 1, out, &out_len, NULL));
    CHECK(out_len == 8);
    to_hex(out, 4, hex);
    CHECK(strcmp(hex, "24413a15") == 0);
    OK(phi_source_free(v1));
    OK(phi_source_free(v2));

    /* compound (purpose clinic.Patient): last name case-insensitive, date of birth exact; SIZE_MAX = NULL */
    phi_source *patient = key_source(dek, 1, "clinic.Patient");
    size_t field_lens[4] = {5, 10, 5, SIZE_MAX};
    out_len = sizeof out;
    OK(phi_blind_index_batch(patient, 0, PHI_INDEX_COMPOUND, 24, 1, 0, 0, "name_dob", (const uint8_t *)"Smith1980-02-29Smith",
        field_lens, 2, 2, out, &out_len, NULL));
    CHECK(out_len == 6);
    to_hex(out, 6, hex);
    CHECK(strcmp(hex, "c4e5d61dc010") == 0);
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_blind_index(patient, 0, PHI_INDEX_COMPOUND, 24, 1, 0, 0, "name_dob", (const uint8_t *)"Smith", 5, out, &out_len));
    OK(phi_source_free(patient));
    OK(phi_key_free(dek));
}

static void test_blind_index_refuses_bad_input(void)
{
    phi_key *dek = dek_0_to_31();
    phi_source *src = key_source(dek, 1, LAST_NAME);
    uint8_t out[32];
    size_t out_len = sizeof out;
    const uint8_t *v = (const uint8_t *)"Smith";
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_blind_index(src, 0, 9, 32, 0, 0, 0, "n", v, 5, out, &out_len));        /* kind */
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_blind_index(src, 0, PHI_INDEX_EXACT, 0, 0, 0, 0, "n", v, 5, out, &out_len));
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_blind_index(src, 0, PHI_INDEX_EXACT, 257, 0, 0, 0, "n", v, 5, out, &out_len));
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_blind_index(src, 0, PHI_INDEX_EXACT, 32, 2, 0, 0, "n", v, 5, out, &out_len)); /* field 1 */
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_blind_index(src, 0, PHI_INDEX_EXACT, 32, 0, 3, 5, "n", v, 5, out, &out_len));
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_blind_index(src, 0, PHI_INDEX_PREFIX, 32, 0, 5, 3, "n", v, 5, out, &out_len));
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_blind_index(src, 0, PHI_INDEX_PREFIX, 32, 0, 3, 5, "n", v, 2, out, &out_len)); /* "Sm" < 3 */
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_blind_index(src, 0, PHI_INDEX_EXACT, 32, 0, 0, 0, NULL, v, 5, out, &out_len));
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_blind_index(src, 0, PHI_INDEX_EXACT, 32, 0, 0, 0, "", v, 5, out, &out_len));
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_blind_index(src, 0, PHI_INDEX_EXACT, 32, 0, 0, 0, "n", (const uint8_t *)"\xff\xfe", 2, out, &out_len));
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_blind_index(src, 0, PHI_INDEX_EXACT, 32, 0, 0, 0, "n", NULL, 5, out, &out_len));
    FAILS(PHI_ERR_KEY_NOT_FOUND, phi_blind_index(src, 7, PHI_INDEX_EXACT, 32, 0, 0, 0, "n", v, 5, out, &out_len));
    out_len = 2;
    FAILS(PHI_ERR_BUFFER_TOO_SMALL, phi_blind_index(src, 0, PHI_INDEX_EXACT, 32, 0, 0, 0, "n", v, 5, out, &out_len));
    CHECK(out_len == 4);
    size_t lens[2] = {5, SIZE_MAX};
    out_len = sizeof out;
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_blind_index_batch(src, 0, PHI_INDEX_EXACT, 32, 0, 0, 0, "n", v, lens, 2, 1, out, &out_len, NULL)); /* NULL */
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_blind_index_batch(src, 0, PHI_INDEX_COMPOUND, 32, 0, 0, 0, "n", v, lens, 1, 17, out, &out_len, NULL));
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_blind_index_batch(src, 0, PHI_INDEX_EXACT, 32, 0, 0, 0, "n", NULL, lens, 1, 1, out, &out_len, NULL));
    /* a 32-byte DEK is required: a 16-byte raw key cannot key indexes */
    phi_key *short_key = NULL;
    OK(phi_key_generate(16, &short_key));
    phi_source *short_src = key_source(short_key, 1, LAST_NAME);
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_blind_index(short_src, 0, PHI_INDEX_EXACT, 32, 0, 0, 0, "n", v, 5, out, &out_len));
    OK(phi_source_free(short_src));
    OK(phi_key_free(short_key));
    /* a freed source computes nothing */
    OK(phi_source_free(src));
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_blind_index(src, 0, PHI_INDEX_EXACT, 32, 0, 0, 0, "n", v, 5, out, &out_len));
    OK(phi_key_free(dek));
}

static void test_planner(void)
{
    char json[1024];
    size_t len = sizeof json;
    OK(phi_blind_index_plan(1000000, 1000000, 2, 0, 0, 0, json, &len));
    CHECK(strstr(json, "\"bits\":19") != NULL && strstr(json, "\"warnings\":[]") != NULL);
    len = sizeof json;
    OK(phi_blind_index_plan(1000000, 3, 2, 0, 0, 0, json, &len));
    CHECK(strstr(json, "low_cardinality") != NULL && strstr(json, "reveals_equality") != NULL);
    len = sizeof json;
    OK(phi_blind_index_plan(100000, 50000, 4, 1, 3, 26, json, &len));
    CHECK(strstr(json, "\"length\":1,\"distinct_prefixes\":26") != NULL && strstr(json, "\"length\":3") != NULL);
    len = sizeof json;
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_blind_index_plan(10, 20, 2, 0, 0, 0, json, &len));
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_blind_index_plan(10, 5, 1, 0, 0, 0, json, &len));
}

int main(void)
{
    test_nist_ff1_samples();
    test_ff1_refuses_bad_input();
    test_ff1_through_a_source();
    test_blind_index_vectors();
    test_blind_index_refuses_bad_input();
    test_planner();
    puts("test_search: ok");
    return 0;
}

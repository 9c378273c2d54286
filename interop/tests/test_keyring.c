/* Keyrings through the C ABI: a JSON file store under an environment KEK; purposes, rotation
 * without re-encryption, search across versions, KEK rotation, wrong KEK, batches, listing, reload,
 * audit verification; key sources bound to one purpose (a "backups" source refuses a "files" message). */
#include <fcntl.h>
#include <unistd.h>
#include "check.h"

#define PURPOSE "clinic.Patient.ssn"

int main(void)
{
    /* the runtime reads the environment once: set KEKs before the first call */
    setenv("PHI_TEST_KEK", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", 1);
    setenv("PHI_TEST_KEK2", "HxwdHhobGBkWFxQVEhMQEQ4PDA0KCwgJBgcEBQIDAAE=", 1);
    char dir[] = "/tmp/phicrypto-keyring-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[128];
    snprintf(path, sizeof path, "%s/keyring.json", dir);

    phi_keyring *kr = NULL;
    FAILS(PHI_ERR_KEY_NOT_FOUND, phi_keyring_open(path, "env:PHI_TEST_KEK", NULL, 0, &kr));
    OK(phi_keyring_open(path, "env:PHI_TEST_KEK", NULL, PHI_KEYRING_CREATE, &kr));
    uint32_t version = 0;
    OK(phi_keyring_add_purpose(kr, PURPOSE, &version));
    CHECK(version == 1);

    phi_source *ssn_keys = NULL;
    OK(phi_source_from_keyring(kr, PURPOSE, &ssn_keys));
    const uint8_t ssn[] = "123-45-6789";
    uint8_t env1[64], det1[64], out[64];
    size_t env1_len = sizeof env1, det1_len = sizeof det1, out_len;
    OK(phi_field_encrypt(ssn_keys, PHI_FIELD_RANDOMIZED, ssn, 11, NULL, 0, env1, &env1_len));
    OK(phi_field_encrypt(ssn_keys, PHI_FIELD_DETERMINISTIC, ssn, 11, NULL, 0, det1, &det1_len));
    CHECK(env1_len == 11 + 29 && det1_len == 11 + 17);

    OK(phi_keyring_rotate(kr, PURPOSE, &version));
    CHECK(version == 2);
    uint8_t det2[64];
    size_t det2_len = sizeof det2;
    OK(phi_field_encrypt(ssn_keys, PHI_FIELD_DETERMINISTIC, ssn, 11, NULL, 0, det2, &det2_len));
    CHECK(det2[0] == (0x40 | 0x20 | 2)); /* format 1, deterministic, key version 2 */
    out_len = sizeof out;
    OK(phi_field_decrypt(ssn_keys, env1, env1_len, NULL, 0, out, &out_len)); /* old data still reads */
    CHECK(out_len == 11 && memcmp(out, ssn, 11) == 0);

    /* search: the deterministic envelopes under versions 2 and 1, newest first */
    size_t count = 0, total = 0;
    FAILS(PHI_ERR_BUFFER_TOO_SMALL, phi_field_search(ssn_keys, ssn, 11, NULL, 0, NULL, &total, NULL, &count));
    CHECK(count == 2 && total == det1_len + det2_len);
    uint8_t found[128];
    size_t found_lens[2];
    total = sizeof found;
    OK(phi_field_search(ssn_keys, ssn, 11, NULL, 0, found, &total, found_lens, &count));
    CHECK(memcmp(found, det2, det2_len) == 0 && memcmp(found + found_lens[0], det1, det1_len) == 0);

    /* batches */
    const uint8_t values[] = "aaabbbbcc";
    size_t lens[] = {3, 4, 2}, env_lens[3], plain_lens[3];
    uint8_t envs[256], plain[256];
    size_t envs_len = sizeof envs, plain_len = sizeof plain;
    OK(phi_field_encrypt_batch(ssn_keys, PHI_FIELD_RANDOMIZED, values, lens, 3, NULL, 0, envs, &envs_len, env_lens));
    OK(phi_field_decrypt_batch(ssn_keys, envs, env_lens, 3, NULL, 0, plain, &plain_len, plain_lens, NULL));
    CHECK(plain_len == 9 && memcmp(plain, values, 9) == 0);

    /* listing */
    size_t json_len = 0;
    FAILS(PHI_ERR_BUFFER_TOO_SMALL, phi_keyring_list(kr, NULL, NULL, &json_len));
    char *json = malloc(json_len);
    OK(phi_keyring_list(kr, NULL, json, &json_len));
    CHECK(strstr(json, "\"state\":\"deactivated\"") && strstr(json, "\"state\":\"active\"") && strstr(json, PURPOSE));
    free(json);

    /* key states (NIST SP 800-57): version 1 was deactivated by the rotation; no way back to active,
     * destroying is never done through the ABI, unknown versions and state names are refused */
    OK(phi_keyring_set_state(kr, PURPOSE, 1, "deactivated", "retired: no row names it"));
    FAILS(PHI_ERR_POLICY, phi_keyring_set_state(kr, PURPOSE, 1, "active", NULL));
    FAILS(PHI_ERR_POLICY, phi_keyring_set_state(kr, PURPOSE, 1, "destroyed", NULL));
    FAILS(PHI_ERR_KEY_NOT_FOUND, phi_keyring_set_state(kr, PURPOSE, 7, "deactivated", NULL));
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_keyring_set_state(kr, PURPOSE, 1, "retired", NULL));
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_keyring_set_state(kr, PURPOSE, 1, NULL, NULL));
    OK(phi_keyring_rotate(kr, PURPOSE, &version)); /* version 3 active, 2 deactivated */
    OK(phi_keyring_set_state(kr, PURPOSE, 2, "compromised", NULL)); /* a compromised key no longer decrypts */
    uint8_t det2_back[64];
    size_t det2_back_len = sizeof det2_back;
    FAILS(PHI_ERR_KEY_NOT_FOUND, phi_field_decrypt(ssn_keys, det2, det2_len, NULL, 0, det2_back, &det2_back_len));

    /* reload, and the audit chain verified by the core */
    OK(phi_keyring_reload(kr));
    char audit[512];
    size_t audit_len = sizeof audit;
    OK(phi_keyring_audit_verify(kr, audit, &audit_len));
    CHECK(strstr(audit, "\"valid\":true") && strstr(audit, "\"broken_at\":null"));
    audit_len = 4;
    FAILS(PHI_ERR_BUFFER_TOO_SMALL, phi_keyring_audit_verify(kr, audit, &audit_len));
    CHECK(audit_len > 4);

    /* files under the keyring: written under files/v1, still read after a rotation */
    OK(phi_keyring_add_purpose(kr, "files", NULL));
    OK(phi_keyring_add_purpose(kr, "backups", NULL));
    phi_source *files = NULL, *backups = NULL;
    OK(phi_source_from_keyring(kr, "files", &files));
    OK(phi_source_from_keyring(kr, "backups", &backups));
    char in_name[160], enc_name[160], out_name[160];
    snprintf(in_name, sizeof in_name, "%s/in", dir);
    snprintf(enc_name, sizeof enc_name, "%s/enc", dir);
    snprintf(out_name, sizeof out_name, "%s/out", dir);
    FILE *f = fopen(in_name, "wb");
    CHECK(f && fwrite("a scanned document", 1, 18, f) == 18 && fclose(f) == 0);
    int in_fd = open(in_name, O_RDONLY), enc_fd = open(enc_name, O_RDWR | O_CREAT | O_TRUNC, 0600);
    OK(phi_stream_encrypt_fd(files, in_fd, enc_fd, 0, "{\"patient\":\"P-1\"}", 0, NULL));
    OK(phi_keyring_rotate(kr, "files", NULL));
    CHECK(lseek(enc_fd, 0, SEEK_SET) == 0);
    int out_fd = open(out_name, O_RDWR | O_CREAT | O_TRUNC, 0600);
    OK(phi_stream_decrypt_fd(files, enc_fd, out_fd, "{\"patient\":\"P-1\"}", 0, NULL, NULL));
    char back[32];
    CHECK(pread(out_fd, back, sizeof back, 0) == 18 && memcmp(back, "a scanned document", 18) == 0);
    /* a "backups" endpoint handed a "files" message: refused before any plaintext, by every call */
    int sink_fd = open(out_name, O_RDWR | O_TRUNC);
    CHECK(lseek(enc_fd, 0, SEEK_SET) == 0);
    FAILS(PHI_ERR_KEY_NOT_FOUND, phi_stream_decrypt_fd(backups, enc_fd, sink_fd, NULL, 0, NULL, NULL));
    CHECK(lseek(sink_fd, 0, SEEK_END) == 0);
    CHECK(strstr(phi_test_error(), "files/v1") != NULL);
    phi_reader *reader = NULL;
    FAILS(PHI_ERR_KEY_NOT_FOUND, phi_reader_open_fd(backups, enc_fd, NULL, 0, &reader));
    CHECK(reader == NULL);
    close(sink_fd);
    /* nor does a field envelope of one purpose decrypt through another's source */
    out_len = sizeof out;
    FAILS(PHI_ERR_AUTHENTICATION, phi_field_decrypt(files, env1, env1_len, NULL, 0, out, &out_len));
    OK(phi_reader_open_fd(files, enc_fd, NULL, 0, &reader));
    size_t n = 7;
    OK(phi_reader_read(reader, 2, (uint8_t *)back, &n));
    CHECK(n == 7 && memcmp(back, "scanned", 7) == 0);
    OK(phi_reader_free(reader));
    close(in_fd); close(enc_fd); close(out_fd);
    OK(phi_source_free(files));
    OK(phi_source_free(backups));
    OK(phi_source_free(ssn_keys));

    /* KEK rotation: records re-wrapped; the old KEK no longer opens the keyring */
    size_t rewrapped = 0;
    OK(phi_keyring_rewrap(kr, "env:PHI_TEST_KEK2", NULL, &rewrapped));
    CHECK(rewrapped == 6);
    OK(phi_keyring_free(kr));
    FAILS(PHI_ERR_WRONG_KEK, phi_keyring_open(path, "env:PHI_TEST_KEK", NULL, 0, &kr));
    CHECK(kr == NULL);
    OK(phi_keyring_open(path, "env:PHI_TEST_KEK2", NULL, 0, &kr));
    OK(phi_source_from_keyring(kr, PURPOSE, &ssn_keys));
    out_len = sizeof out;
    OK(phi_field_decrypt(ssn_keys, det1, det1_len, NULL, 0, out, &out_len));
    CHECK(out_len == 11 && memcmp(out, ssn, 11) == 0);
    OK(phi_source_free(ssn_keys));
    phi_source *unknown = NULL;
    OK(phi_source_from_keyring(kr, "no.such.purpose", &unknown));
    out_len = sizeof out;
    FAILS(PHI_ERR_KEY_NOT_FOUND, phi_field_encrypt(unknown, 0, ssn, 11, NULL, 0, out, &out_len));
    OK(phi_source_free(unknown));
    FAILS(PHI_ERR_INVALID_ARGUMENT, phi_keyring_open(path, "bogus", NULL, 0, &kr));
    OK(phi_keyring_free(kr));

    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    puts("keyring: ok");
    return 0;
}

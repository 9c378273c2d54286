"""The C declarations of libphicrypto.so for cffi, and its constants. GENERATED from interop/abi.json
by interop/generate.py: do not edit. Plain data, so setup.py can read it without importing the package."""

CDEF = """
typedef struct phi_key phi_key;
typedef struct phi_keyring phi_keyring;
typedef struct phi_source phi_source;
typedef struct phi_stream phi_stream;
typedef struct phi_reader phi_reader;

int phi_version(char *buf, size_t *buf_len);
int phi_last_error(char *buf, size_t *buf_len);
int phi_fips_status(int32_t *fips_mode, int32_t *fips_provider);
int phi_fips_enable(void);
int phi_key_generate(size_t size, phi_key **key);
int phi_key_import(const uint8_t *raw, size_t raw_len, phi_key **key);
int phi_key_export(const phi_key *key, uint8_t *out, size_t *out_len);
int phi_key_size(const phi_key *key, size_t *size);
int phi_key_free(phi_key *key);
int phi_key_wrap(const phi_key *kek, const phi_key *key, int32_t algorithm, uint8_t *out, size_t *out_len);
int phi_key_unwrap(const phi_key *kek, int32_t algorithm, const uint8_t *wrapped, size_t wrapped_len,
    phi_key **key);
int phi_key_wrap_record(const phi_key *kek, const phi_key *key, uint32_t version, uint8_t *out,
    size_t *out_len);
int phi_key_unwrap_record(const phi_key *kek, const uint8_t *record, size_t record_len, phi_key **key,
    uint32_t *version);
int phi_key_record_version(const uint8_t *record, size_t record_len, uint32_t *version);
int phi_source_from_key(const phi_key *key, uint32_t version, const char *purpose, phi_source **source);
int phi_source_from_keyring(phi_keyring *keyring, const char *purpose, phi_source **source);
int phi_source_free(phi_source *source);
int phi_field_envelope_length(int32_t mode, uint32_t version, size_t plaintext_len, size_t *envelope_len);
int phi_field_header(const uint8_t *envelope, size_t envelope_len, int32_t *mode, uint32_t *version,
    size_t *plaintext_len);
int phi_field_encrypt(phi_source *source, int32_t mode, const uint8_t *plaintext, size_t plaintext_len,
    const uint8_t *ad, size_t ad_len, uint8_t *out, size_t *out_len);
int phi_field_decrypt(phi_source *source, const uint8_t *envelope, size_t envelope_len, const uint8_t *ad,
    size_t ad_len, uint8_t *out, size_t *out_len);
int phi_field_encrypt_batch(phi_source *source, int32_t mode, const uint8_t *values, const size_t *value_lens,
    size_t count, const uint8_t *ad, size_t ad_len, uint8_t *out, size_t *out_len, size_t *out_lens);
int phi_field_decrypt_batch(phi_source *source, const uint8_t *envelopes, const size_t *envelope_lens,
    size_t count, const uint8_t *ad, size_t ad_len, uint8_t *out, size_t *out_len, size_t *out_lens,
    int32_t *statuses);
int phi_field_versions(const uint8_t *envelopes, const size_t *envelope_lens, size_t count,
    uint32_t *versions);
int phi_field_search(phi_source *source, const uint8_t *plaintext, size_t plaintext_len, const uint8_t *ad,
    size_t ad_len, uint8_t *out, size_t *out_len, size_t *out_lens, size_t *count);
int phi_stream_encrypt_fd(phi_source *source, int in_fd, int out_fd, size_t frame_length,
    const char *context_json, int32_t flags, uint64_t *plaintext_len);
int phi_stream_decrypt_fd(phi_source *source, int in_fd, int out_fd, const char *expected_context_json,
    int32_t flags, char *context_json, size_t *context_len);
int phi_stream_decrypt_range_fd(phi_source *source, int in_fd, int out_fd, const char *expected_context_json,
    int32_t flags, uint64_t start, uint64_t count, uint64_t *written);
int phi_stream_inspect_fd(int fd, int32_t flags, char *json, size_t *json_len);
int phi_stream_encryptor_new(phi_source *source, size_t frame_length, const char *context_json, int32_t flags,
    phi_stream **stream);
int phi_stream_decryptor_new(phi_source *source, const char *expected_context_json, int32_t flags,
    phi_stream **stream);
int phi_stream_push(phi_stream *stream, const uint8_t *in, size_t in_len);
int phi_stream_finish(phi_stream *stream);
int phi_stream_pending(phi_stream *stream, size_t *pending);
int phi_stream_pull(phi_stream *stream, uint8_t *out, size_t *out_len);
int phi_stream_context(phi_stream *stream, char *json, size_t *json_len);
int phi_stream_free(phi_stream *stream);
int phi_reader_open_fd(phi_source *source, int fd, const char *expected_context_json, int32_t flags,
    phi_reader **reader);
int phi_reader_length(phi_reader *reader, uint64_t *length);
int phi_reader_read(phi_reader *reader, uint64_t position, uint8_t *out, size_t *out_len);
int phi_reader_context(phi_reader *reader, char *json, size_t *json_len);
int phi_reader_free(phi_reader *reader);
int phi_keyring_open(const char *location, const char *kek, const char *passphrase, int32_t flags,
    phi_keyring **keyring);
int phi_keyring_free(phi_keyring *keyring);
int phi_keyring_add_purpose(phi_keyring *keyring, const char *purpose, uint32_t *version);
int phi_keyring_rotate(phi_keyring *keyring, const char *purpose, uint32_t *version);
int phi_keyring_rewrap(phi_keyring *keyring, const char *new_kek, const char *new_passphrase,
    size_t *rewrapped);
int phi_keyring_reload(phi_keyring *keyring);
int phi_keyring_audit_verify(phi_keyring *keyring, char *json, size_t *json_len);
int phi_keyring_list(phi_keyring *keyring, const char *purpose, char *json, size_t *json_len);
int phi_keyring_set_state(phi_keyring *keyring, const char *purpose, uint32_t version, const char *state,
    const char *reason);
int phi_source_versions(phi_source *source, uint32_t *versions, size_t *count);
int phi_blind_index(phi_source *source, uint32_t version, int32_t kind, uint32_t bits,
    uint32_t normalizations, uint32_t min_prefix, uint32_t max_prefix, const char *name, const uint8_t *value,
    size_t value_len, uint8_t *out, size_t *out_len);
int phi_blind_index_batch(phi_source *source, uint32_t version, int32_t kind, uint32_t bits,
    uint32_t normalizations, uint32_t min_prefix, uint32_t max_prefix, const char *name,
    const uint8_t *values, const size_t *value_lens, size_t count, size_t fields, uint8_t *out,
    size_t *out_len, size_t *out_counts);
int phi_ff1_encrypt(phi_source *source, uint32_t *version, uint32_t radix, const uint8_t *tweak,
    size_t tweak_len, const char *text, size_t text_len, char *out, size_t *out_len);
int phi_ff1_decrypt(phi_source *source, uint32_t version, uint32_t radix, const uint8_t *tweak,
    size_t tweak_len, const char *text, size_t text_len, char *out, size_t *out_len);
int phi_ff1_encrypt_key(const phi_key *key, uint32_t radix, const uint8_t *tweak, size_t tweak_len,
    const char *text, size_t text_len, char *out, size_t *out_len);
int phi_ff1_decrypt_key(const phi_key *key, uint32_t radix, const uint8_t *tweak, size_t tweak_len,
    const char *text, size_t text_len, char *out, size_t *out_len);
int phi_blind_index_plan(uint64_t rows, uint64_t distinct, uint32_t min_rows, uint32_t min_prefix,
    uint32_t max_prefix, uint32_t alphabet, char *json, size_t *json_len);
"""

PHI_OK = 0
PHI_ERR_INVALID_ARGUMENT = -1
PHI_ERR_BUFFER_TOO_SMALL = -2
PHI_ERR_AUTHENTICATION = -3
PHI_ERR_KEY_NOT_FOUND = -4
PHI_ERR_MALFORMED = -5
PHI_ERR_POLICY = -6
PHI_ERR_IO = -7
PHI_ERR_WRONG_KEK = -8
PHI_ERR_CONFLICT = -9
PHI_ERR_CRYPTO_PROVIDER = -10
PHI_ERR_INTERNAL = -99
PHI_FIELD_RANDOMIZED = 0
PHI_FIELD_DETERMINISTIC = 1
PHI_FIELD_MAX_PLAINTEXT = 1048576
PHI_FIELD_MAX_HEADER = 6
PHI_FIELD_BATCH_MAX_COUNT = 1048576
PHI_CONTEXT_JSON_MAX = 1048576
PHI_STRING_MAX = 65536
PHI_STREAM_PUSH_MAX = 16777216
PHI_WRAP_AES_KWP = 1
PHI_WRAP_AES_KW = 2
PHI_STREAM_SIGNED = 1
PHI_DECRYPT_ALLOW_LEGACY = 1
PHI_DECRYPT_VERIFY_FIRST = 2
PHI_INSPECT_HEADER_ONLY = 1
PHI_KEYRING_CREATE = 1
PHI_INDEX_EXACT = 1
PHI_INDEX_PREFIX = 2
PHI_INDEX_COMPOUND = 3
PHI_NORM_CASE_INSENSITIVE = 1

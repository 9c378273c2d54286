/*
 * phicrypto.h - the C ABI of PhiCryptoCore (libphicrypto.so).
 *
 * Application-layer encryption for protected health information: field envelopes (AES-256-GCM
 * randomized, AES-256-SIV deterministic), key generation and AES key wrap (NIST SP 800-38F),
 * keyrings of versioned keys, and streaming files in the AWS Encryption SDK message format v2.
 * The library is a NativeAOT build of the C# core; it needs libc, OpenSSL 3 (loaded at run time) and
 * the libsodium.so shipped beside it (found through rpath $ORIGIN).
 *
 * The declarations, constants and status codes below are generated from interop/abi.json (see
 * interop/README.md); this prose is not.
 *
 * Conventions (every function below follows them):
 *
 *  Status   Every function returns int: PHI_OK (0) or a negative PHI_ERR_* code. No function aborts
 *           the process and none exits through an exception: each has a catch-all.
 *
 *  Errors   After a failure, phi_last_error() gives a one-line message for the calling thread (a
 *           thread-local, like errno; success does not clear it). Messages never contain key bytes
 *           or plaintext. An authentication failure says only "authentication failed" and releases
 *           no plaintext (the output buffer is zeroed).
 *
 *  Buffers  Inputs are (pointer, length) pairs; a NULL pointer is allowed with length 0. Outputs
 *           are caller-owned: a pointer plus a size_t *len holding the capacity on entry and the
 *           number of bytes written on return. When the capacity is too small the function returns
 *           PHI_ERR_BUFFER_TOO_SMALL, writes nothing else, and sets *len to the size needed; so
 *           (NULL, &len with len = 0) is a size query. Strings are NUL-terminated UTF-8; for string
 *           outputs the length counts the NUL.
 *
 *  Handles  Keys, keyrings, key sources, push streams and readers are opaque handles (phi_key *,
 *           phi_keyring *, phi_source *, phi_stream *, phi_reader *) created by the library and
 *           released with their _free function. Key bytes cross this ABI only through
 *           phi_key_import / phi_key_export.
 *
 *  Sources  Every field, stream and reader call takes a phi_source: a raw key standing for one key
 *           version, or a keyring plus one purpose. Decryption through a source uses only that
 *           source's keys (a "files" source refuses a "backups" message).
 *           Passing a handle of another kind returns PHI_ERR_INVALID_ARGUMENT. Using a handle after
 *           freeing it is undefined behaviour, as with free().
 *
 *  Threads  Every function is thread-safe, and one handle may be used by many threads at once.
 *           The one exception: do not free a handle while another thread is still using it.
 *
 *  Sizes    Field values are limited to 1 MiB (PHI_FIELD_MAX_PLAINTEXT); buffers to 2 GiB - 1.
 *
 *  Process  The library never unloads (linked -z nodelete: its runtime threads outlive dlclose).
 *           Its runtime reads environment variables once, at the first call: set PHICRYPTO_*
 *           variables before that.
 */
#ifndef PHICRYPTO_H
#define PHICRYPTO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- BEGIN GENERATED from interop/abi.json by interop/generate.py: do not edit by hand ---- */

/* ---- status codes (the same numbers as PhiCrypto.PhiStatus in the C# core) ---- */
#define PHI_OK                         0
#define PHI_ERR_INVALID_ARGUMENT    (-1)   /* a caller mistake: NULL, bad size, unknown mode, bad handle */
#define PHI_ERR_BUFFER_TOO_SMALL    (-2)   /* *len now holds the size needed */
#define PHI_ERR_AUTHENTICATION      (-3)   /* a tag, key unwrap, check value or commitment did not verify (and nothing else) */
#define PHI_ERR_KEY_NOT_FOUND       (-4)   /* the key version the data names is not available from this source */
#define PHI_ERR_MALFORMED           (-5)   /* bytes that do not follow the documented format */
#define PHI_ERR_POLICY              (-6)   /* forbidden by policy: FIPS mode, usage limit, key state, unexpected context */
#define PHI_ERR_IO                  (-7)   /* reading or writing a file descriptor or store failed */
#define PHI_ERR_WRONG_KEK           (-8)   /* the KEK is not the one the record was wrapped under */
#define PHI_ERR_CONFLICT            (-9)   /* a concurrent change won (keyring store) */
#define PHI_ERR_CRYPTO_PROVIDER    (-10)   /* the crypto provider (OpenSSL, its FIPS provider) refused or failed: not an authentication failure */
#define PHI_ERR_INTERNAL           (-99)   /* a bug: please report it with phi_last_error() */

/* ---- constants ---- */
#define PHI_FIELD_RANDOMIZED           0   /* mode: AES-256-GCM, random nonce: 29 bytes of overhead */
#define PHI_FIELD_DETERMINISTIC        1   /* mode: AES-256-SIV: 17 bytes of overhead, equal inputs give equal envelopes */
#define PHI_FIELD_MAX_PLAINTEXT   1048576   /* the largest field value in bytes */
#define PHI_FIELD_MAX_HEADER           6   /* the longest envelope header in bytes (a first byte and a 5-byte varint key version); phi_field_versions reads no more of an item */
#define PHI_FIELD_BATCH_MAX_COUNT 1048576   /* the most items one batch call takes (count); more is PHI_ERR_INVALID_ARGUMENT */
#define PHI_CONTEXT_JSON_MAX      1048576   /* the longest context_json / expected_context_json in bytes (headers are limited to 1 MiB) */
#define PHI_STRING_MAX             65536   /* the longest other NUL-terminated input (purpose, location, KEK spec, passphrase) in bytes */
#define PHI_STREAM_PUSH_MAX       16777216   /* the most bytes one phi_stream_push takes (pull between pushes) */
#define PHI_WRAP_AES_KWP               1   /* RFC 5649: any key length, output rounded up to 8, + 8 (PhiCrypto.Keys.WrapAlgorithm.AesKwp) */
#define PHI_WRAP_AES_KW                2   /* RFC 3394: keys of a multiple of 8 bytes, output key + 8 (PhiCrypto.Keys.WrapAlgorithm.AesKw) */
#define PHI_STREAM_SIGNED              1   /* flag: suite 0x0578 (adds an ECDSA P-384 signature) instead of 0x0478 */
#define PHI_DECRYPT_ALLOW_LEGACY       1   /* decrypt flag: also read suites without key commitment (format v1); refused by default */
#define PHI_DECRYPT_VERIFY_FIRST       2   /* decrypt flag: a signed (0x0578) message releases no plaintext before its signature verified */
#define PHI_INSPECT_HEADER_ONLY        1   /* flag: describe the header only (no frame walk: frame_count and plaintext_length are -1) */
#define PHI_KEYRING_CREATE             1   /* flag: start a new keyring in an empty store (the explicit act; without it an empty store is an error) */
#define PHI_INDEX_EXACT                1   /* blind index kind: the whole value (exact, in; iexact with PHI_NORM_CASE_INSENSITIVE) */
#define PHI_INDEX_PREFIX               2   /* blind index kind: one value per prefix length min_prefix..max_prefix (startswith) */
#define PHI_INDEX_COMPOUND             3   /* blind index kind: several fields together, e.g. last name + date of birth */
#define PHI_NORM_CASE_INSENSITIVE      1   /* normalization bit (bit i: field i): NFKC, case folding, whitespace collapse */

/* ---- handles (opaque) ---- */
typedef struct phi_key phi_key;          /* a secret key (16 to 64 bytes; DEKs are 32) */
typedef struct phi_keyring phi_keyring;  /* versioned DEKs per purpose, wrapped under a KEK */
typedef struct phi_source phi_source;    /* a key source: a raw key + version, or a keyring + ONE purpose */
typedef struct phi_stream phi_stream;    /* a push-mode encryptor or decryptor */
typedef struct phi_reader phi_reader;    /* random access to the plaintext of an encrypted file */

/* ======================================================================== Library */

/* The library version ("0.1.0") into buf; *buf_len counts the NUL. */
int phi_version(char *buf, size_t *buf_len);

/* The calling thread's last error message into buf (NUL-terminated; "" if none yet).
 * Returns PHI_ERR_BUFFER_TOO_SMALL with the needed size; never changes the last error itself.
 */
int phi_last_error(char *buf, size_t *buf_len);

/* *fips_mode = 1 when FIPS mode is on (PHICRYPTO_FIPS=1 or phi_fips_enable): OpenSSL only, approved
 * algorithms only. *fips_provider = 1 when OpenSSL's FIPS provider is available, 0 when it is not,
 * -1 when OpenSSL could not be asked. Either may be NULL.
 */
int phi_fips_status(int32_t *fips_mode, int32_t *fips_provider);

/* Turns FIPS mode on for the rest of the process (it cannot be turned off). Keys already used for
 * fields keep the backend they were set up with: call this before creating keys.
 */
int phi_fips_enable(void);

/* ======================================================================== Keys */

/* A new random key of `size` bytes (16..64; 32 for a DEK or KEK) from the OS CSPRNG.
 * *key receives a handle the caller frees with phi_key_free (NULL on failure).
 */
int phi_key_generate(size_t size, phi_key **key);

/* A key holding a copy of raw[0..raw_len) (16..64 bytes). The caller should wipe its own copy. */
int phi_key_import(const uint8_t *raw, size_t raw_len, phi_key **key);

/* Copies the key bytes out (an explicit export): exactly phi_key_size bytes. */
int phi_key_export(const phi_key *key, uint8_t *out, size_t *out_len);

/* The key's size in bytes. */
int phi_key_size(const phi_key *key, size_t *size);

/* Zeroes and releases the key. NULL is a no-op. Not while other threads use the same handle.
 * Sources made from it hold their own copy and stay usable.
 */
int phi_key_free(phi_key *key);

/* Wraps `key` under `kek` (16, 24 or 32 bytes) with algorithm PHI_WRAP_AES_KW (key a multiple of 8
 * bytes; output key + 8) or PHI_WRAP_AES_KWP (output key rounded up to 8, + 8).
 */
int phi_key_wrap(const phi_key *kek, const phi_key *key, int32_t algorithm, uint8_t *out, size_t *out_len);

/* Unwraps into a new key handle. A wrong KEK or an altered input gives PHI_ERR_AUTHENTICATION. */
int phi_key_unwrap(const phi_key *kek, int32_t algorithm, const uint8_t *wrapped, size_t wrapped_len,
                   phi_key **key);

/* A versioned wrapped-key record (57 bytes for a 32-byte key):
 *   "PHWK" | 0x01 | key version (uint32 big-endian) | AES-KWP(kek, version (uint32 BE) || key)
 * The version is inside the wrap too, so an edited clear version fails to unwrap. version >= 1.
 */
int phi_key_wrap_record(const phi_key *kek, const phi_key *key, uint32_t version, uint8_t *out,
                        size_t *out_len);

/* Unwraps a record into a new key handle and its version (version may be NULL).
 * PHI_ERR_MALFORMED when it is not a record; PHI_ERR_AUTHENTICATION on a wrong KEK or an edit.
 */
int phi_key_unwrap_record(const phi_key *kek, const uint8_t *record, size_t record_len, phi_key **key,
                          uint32_t *version);

/* The clear key version of a record, without the KEK. */
int phi_key_record_version(const uint8_t *record, size_t record_len, uint32_t *version);

/* ======================================================================== Key sources
 *
 * A key source is what every field, stream and reader call takes: a raw key standing for one key
 * version of a purpose, or a keyring plus ONE purpose. Encryption uses the source's active version;
 * decryption takes the version the ciphertext names, from this source only: a keyring source for
 * "files" refuses a message or envelope whose key is of another purpose ("backups/v1") with
 * PHI_ERR_KEY_NOT_FOUND. The purpose (NUL-terminated UTF-8: 1..1024 bytes for a raw key, a keyring
 * purpose name otherwise) is also what every field envelope made through the source is bound to.
 * Free streams and readers before their source, and sources before their keyring.
 */

/* A source over a copy of `key`, standing for key `version` (>= 1) of `purpose`. Messages name the key "raw".
 */
int phi_source_from_key(const phi_key *key, uint32_t version, const char *purpose, phi_source **source);

/* The keys of `purpose` in `keyring`: its active version encrypts (usage counted in the store), the
 * version a ciphertext names decrypts when its state allows (an unknown version is looked up again in
 * the store once: another process may have rotated). The purpose need not exist yet.
 */
int phi_source_from_keyring(phi_keyring *keyring, const char *purpose, phi_source **source);

/* Releases the source (a raw key source zeroes its key copy). NULL is a no-op. */
int phi_source_free(phi_source *source);

/* ======================================================================== Fields
 *
 * A field envelope (docs/field-format.md) is header | nonce | ciphertext | tag (randomized) or
 * header | synthetic IV | ciphertext (deterministic). The header names the key version (1..31 in one
 * byte). The subkeys of each mode come from the 32-byte key by HKDF-SHA-256. The source's purpose and
 * `ad` (optional caller associated data, e.g. a row id) are authenticated: an envelope decrypts only
 * with the same purpose and ad. Decryption of an envelope naming a version the source does not hold
 * fails with PHI_ERR_KEY_NOT_FOUND.
 */

/* The exact envelope length for a plaintext of plaintext_len bytes under key `version`. */
int phi_field_envelope_length(int32_t mode, uint32_t version, size_t plaintext_len, size_t *envelope_len);

/* Parses an envelope's header: its mode, key version and plaintext length (outputs may be NULL). */
int phi_field_header(const uint8_t *envelope, size_t envelope_len, int32_t *mode, uint32_t *version,
                     size_t *plaintext_len);

/* Encrypts one value under the source's active version. *out_len: capacity in, envelope length out;
 * plaintext_len + 34 (randomized) or + 22 (deterministic) always suffices. Randomized encryptions
 * through a keyring count against the version's usage limit.
 */
int phi_field_encrypt(phi_source *source, int32_t mode, const uint8_t *plaintext, size_t plaintext_len,
                      const uint8_t *ad, size_t ad_len, uint8_t *out, size_t *out_len);

/* Decrypts one envelope (either mode; the header says which) with the version it names. *out_len:
 * capacity in, plaintext length out; a capacity of envelope_len always suffices.
 */
int phi_field_decrypt(phi_source *source, const uint8_t *envelope, size_t envelope_len, const uint8_t *ad,
                      size_t ad_len, uint8_t *out, size_t *out_len);

/* Encrypts `count` values packed back to back in `values` (value i has value_lens[i] bytes), all
 * with the same ad, into envelopes packed back to back in `out`; out_lens[i] (count entries) receives
 * each envelope's length. *out_len: capacity in, total written out. Large batches use every core. A
 * randomized batch counts against the usage limit like that many single encryptions, once the output
 * fits (a size query reserves nothing). At most PHI_FIELD_BATCH_MAX_COUNT items.
 */
int phi_field_encrypt_batch(phi_source *source, int32_t mode, const uint8_t *values, const size_t *value_lens,
                            size_t count, const uint8_t *ad, size_t ad_len, uint8_t *out, size_t *out_len,
                            size_t *out_lens);

/* Decrypts `count` packed envelopes (of any versions of the source) into packed plaintexts;
 * out_lens[i] receives each plaintext's length and statuses[i] (optional, count entries) each item's
 * status. Returns PHI_OK when every item decrypted, else the first failing item's status ("field i:
 * ..." in phi_last_error); the other items are still decrypted and a failed item's bytes are zero. A
 * capacity equal to the sum of envelope_lens always suffices. At most PHI_FIELD_BATCH_MAX_COUNT items.
 */
int phi_field_decrypt_batch(phi_source *source, const uint8_t *envelopes, const size_t *envelope_lens,
                            size_t count, const uint8_t *ad, size_t ad_len, uint8_t *out, size_t *out_len,
                            size_t *out_lens, int32_t *statuses);

/* The key version each of `count` packed envelopes names in its header, into versions[i]; an item
 * may be just its first PHI_FIELD_MAX_HEADER bytes (what an SQL scan of headers fetches). 0 (never a
 * key version) for an item whose header is malformed. Needs no key. At most PHI_FIELD_BATCH_MAX_COUNT items.
 */
int phi_field_versions(const uint8_t *envelopes, const size_t *envelope_lens, size_t count,
                       uint32_t *versions);

/* The deterministic envelopes of `plaintext` under every version of the source that can still
 * decrypt, newest first: search a column with "value IN (...)" across rotations. Packed into out with
 * out_lens[i] each; *count: capacity of out_lens in, number of envelopes out. Too small a count or
 * buffer: PHI_ERR_BUFFER_TOO_SMALL with *count and *out_len set to what is needed.
 */
int phi_field_search(phi_source *source, const uint8_t *plaintext, size_t plaintext_len, const uint8_t *ad,
                     size_t ad_len, uint8_t *out, size_t *out_len, size_t *out_lens, size_t *count);

/* ======================================================================== Streams
 *
 * Files, documents and backups use the AWS Encryption SDK message format, version 2 (a published
 * format other software reads): algorithm suite 0x0478 (AES-256-GCM, HKDF-SHA-512, key commitment)
 * by default, or 0x0578 with PHI_STREAM_SIGNED; a framed body of `frame_length` plaintext bytes per
 * frame (0 = 65536; 4096 to 16 MiB). Each message has a fresh data key, wrapped under the source's
 * active version in the raw AES keyring form (key namespace "phicrypto", key name "purpose/vN" for a
 * keyring source, "raw" for a raw key). Decryption reads every suite of format v1 and v2 that uses raw
 * AES keys, and unwraps only with the source's own versions. Memory stays bounded by a few frames.
 *
 * `context_json` is the encryption context: a JSON object of string values, e.g.
 * {"content-type":"application/dicom","patient":"P-1234"}; it is authenticated and stored in the
 * clear in the header (so: no secrets in it). NULL or "" means none. Context outputs are JSON too.
 * `expected_context_json` (decryption; NULL or "" for none) holds pairs the message must carry: a pair
 * the header stores must have that value, a key it does not store is supplied as authenticate-only
 * context. A mismatch fails with PHI_ERR_POLICY while the header is read, before any plaintext.
 * File descriptors are never closed by the library.
 *
 * Decrypt `flags` (0 is the safe default): a suite that does not commit to its data key (every
 * format-v1 suite: old SDKs' files) is refused with PHI_ERR_POLICY unless PHI_DECRYPT_ALLOW_LEGACY is
 * given. SIGNED MESSAGES (0x0578): by default each frame's plaintext is released as soon as its own tag
 * verified, BEFORE the footer signature is checked; a failing signature is reported at the end, after
 * plaintext was released (discard it). PHI_DECRYPT_VERIFY_FIRST releases nothing before the signature
 * verified: the message is walked once first (in place on a seekable fd, else from a temporary copy of
 * the ciphertext in $TMPDIR, deleted at once). Unsigned messages are unaffected.
 */

/* Encrypts everything read from in_fd (until end of file) into a message written to out_fd. Frames
 * are encrypted in parallel. *plaintext_len (may be NULL) receives the bytes read. On failure the
 * output is incomplete: the caller removes it.
 */
int phi_stream_encrypt_fd(phi_source *source, int in_fd, int out_fd, size_t frame_length,
                          const char *context_json, int32_t flags, uint64_t *plaintext_len);

/* Decrypts the message read from in_fd to out_fd. Each frame is written only after its tag
 * verified; a truncated, reordered or altered message fails (PHI_ERR_AUTHENTICATION or
 * PHI_ERR_MALFORMED) with the output incomplete: the caller removes it. `flags`: 0 or
 * PHI_DECRYPT_ALLOW_LEGACY | PHI_DECRYPT_VERIFY_FIRST (see above: without VERIFY_FIRST a signed message's
 * frames reach out_fd before its signature is checked). context_json/context_len (both may be NULL)
 * receive the authenticated encryption context.
 */
int phi_stream_decrypt_fd(phi_source *source, int in_fd, int out_fd, const char *expected_context_json,
                          int32_t flags, char *context_json, size_t *context_len);

/* Decrypts only plaintext bytes [start, start + count) (clipped to the end) of the message in the
 * seekable in_fd, reading only the frames they touch; *written (may be NULL) receives the count.
 * `flags` as phi_stream_decrypt_fd: PHI_DECRYPT_VERIFY_FIRST first walks the whole message to check a
 * signed message's signature (otherwise not checked at all by a range read).
 */
int phi_stream_decrypt_range_fd(phi_source *source, int in_fd, int out_fd, const char *expected_context_json,
                                int32_t flags, uint64_t start, uint64_t count, uint64_t *written);

/* Describes the message on fd without any key, as JSON: suite, message id, frame length and count,
 * plaintext length, header length, encryption context, encrypted data keys (with
 * PHI_INSPECT_HEADER_ONLY: the header alone, without walking the frames). NOTHING in it is authenticated
 * ("authenticated": false). Reads from the current position; a seekable fd is put back there, so a
 * size query can be repeated; for a pipe pass a large enough buffer (64 KiB covers usual headers).
 */
int phi_stream_inspect_fd(int fd, int32_t flags, char *json, size_t *json_len);

/* Push mode, for callers that do their own I/O: push input, pull output, finish, pull the rest.
 * A stream is used by one thread at a time (calls from several threads are serialized).
 */
int phi_stream_encryptor_new(phi_source *source, size_t frame_length, const char *context_json, int32_t flags,
                             phi_stream **stream);

/* A push-mode decryptor; the expected context is checked when the header has been pushed. `flags` as
 * phi_stream_decrypt_fd; with PHI_DECRYPT_VERIFY_FIRST a signed message's plaintext is pulled only
 * after phi_stream_finish (the pushed ciphertext is spooled to a temporary file until then).
 */
int phi_stream_decryptor_new(phi_source *source, const char *expected_context_json, int32_t flags,
                             phi_stream **stream);

/* Feeds in[0..in_len) (at most PHI_STREAM_PUSH_MAX bytes a call). Output becomes available to
 * phi_stream_pull.
 */
int phi_stream_push(phi_stream *stream, const uint8_t *in, size_t in_len);

/* Ends the input: an encryptor writes its final frame (and signature); a decryptor checks that the
 * message is complete and verified. Errors of a decryptor are reported here or by pull.
 */
int phi_stream_finish(phi_stream *stream);

/* Output bytes ready to pull (a decryptor first processes everything pushed so far). */
int phi_stream_pending(phi_stream *stream, size_t *pending);

/* Moves up to *out_len ready output bytes into out; *out_len receives the number moved (0 when none
 * are ready). Not the size-query convention: call until it returns 0 bytes. A decryptor never
 * releases a frame's plaintext before its tag verified, and none at all after a failure.
 */
int phi_stream_pull(phi_stream *stream, uint8_t *out, size_t *out_len);

/* The encryption context of the stream (a decryptor: once the header has been pushed and read). */
int phi_stream_context(phi_stream *stream, char *json, size_t *json_len);

/* Releases the stream (an unfinished encryptor's message is dropped). NULL is a no-op. */
int phi_stream_free(phi_stream *stream);

/* Random access: opens the message in the seekable fd (kept open by the caller for the reader's
 * life). The header (and the expected context) is checked now; each read verifies the tags of the
 * frames it touches (the final frame's too, so truncation is caught). A signed message's signature is
 * NOT verified by random reads unless `flags` has PHI_DECRYPT_VERIFY_FIRST: then the whole message is
 * walked and its signature verified now, at open (the file must not change afterwards).
 * PHI_DECRYPT_ALLOW_LEGACY as phi_stream_decrypt_fd.
 */
int phi_reader_open_fd(phi_source *source, int fd, const char *expected_context_json, int32_t flags,
                       phi_reader **reader);

/* The plaintext length. */
int phi_reader_length(phi_reader *reader, uint64_t *length);

/* Reads up to *out_len plaintext bytes at `position` into out; *out_len receives the count (0 at
 * the end). Thread-safe (reads are serialized).
 */
int phi_reader_read(phi_reader *reader, uint64_t position, uint8_t *out, size_t *out_len);

/* The reader's authenticated encryption context, as JSON. */
int phi_reader_context(phi_reader *reader, char *json, size_t *json_len);

/* Releases the reader. NULL is a no-op. */
int phi_reader_free(phi_reader *reader);

/* ======================================================================== Keyrings
 *
 * A keyring holds, per purpose (a column such as "clinic.Patient.ssn", or "files"), numbered DEK
 * versions in NIST SP 800-57 states (pre-active, active, deactivated, compromised, destroyed), each
 * stored wrapped (AES-KWP) under the KEK with a MAC, plus an audit trail. The core never writes
 * anywhere else than the store given here. One handle serves many threads. Its keys are used through
 * a key source (phi_source_from_keyring).
 *
 *   location   a JSON file path or a postgresql:// URL; NULL = $PHICRYPTO_KEYRING, else
 *              ~/.phicrypto/keyring.json
 *   kek        "env" ($PHICRYPTO_MASTER_KEY: base64 of 32 bytes), "env:VARIABLE", "passphrase"
 *              (PBKDF2-HMAC-SHA-256 or Argon2id, parameters kept in the keyring) or a "pkcs11:" URI
 *              (RFC 7512; PIN from $PHICRYPTO_PKCS11_PIN); NULL = $PHICRYPTO_KEK, else "env"
 *   passphrase for kek "passphrase" only (UTF-8), else NULL
 *
 * A KEK other than the keyring's gives PHI_ERR_WRONG_KEK. Concurrent writers (other processes) are
 * handled by the store; a lost race is retried, PHI_ERR_CONFLICT only when retries run out.
 */

/* Opens the keyring. Creating one is an explicit act: only with PHI_KEYRING_CREATE is an empty store
 * initialized (without purposes). A missing keyring without the flag is PHI_ERR_KEY_NOT_FOUND.
 * Free with phi_keyring_free.
 */
int phi_keyring_open(const char *location, const char *kek, const char *passphrase, int32_t flags,
                     phi_keyring **keyring);

/* Releases the keyring and its key material. NULL is a no-op. */
int phi_keyring_free(phi_keyring *keyring);

/* Creates `purpose` with an active version 1; *version (may be NULL) receives it. */
int phi_keyring_add_purpose(phi_keyring *keyring, const char *purpose, uint32_t *version);

/* Rotates the DEK of `purpose`: a new active version (the old one is deactivated: it still
 * decrypts). No data is re-encrypted. *version (may be NULL) receives the new version.
 */
int phi_keyring_rotate(phi_keyring *keyring, const char *purpose, uint32_t *version);

/* Rotates the KEK: re-wraps every DEK record under the new KEK (same spec syntax as phi_keyring_open;
 * a new passphrase gets a fresh salt). No data is re-encrypted. *rewrapped (may be NULL) receives
 * the number of records. The handle goes on working under the new KEK.
 */
int phi_keyring_rewrap(phi_keyring *keyring, const char *new_kek, const char *new_passphrase,
                       size_t *rewrapped);

/* Re-reads the store: versions and state changes made by other processes (field decryption already
 * does this once by itself for a version it does not know).
 */
int phi_keyring_reload(phi_keyring *keyring);

/* Re-reads the store and checks its audit trail: JSON {"valid": bool, "count": n,
 * "broken_at": sequence or null, "message": text}. A broken chain is not an error (valid false).
 */
int phi_keyring_audit_verify(phi_keyring *keyring, char *json, size_t *json_len);

/* JSON description of the keyring: {"kek_id", "kek_check_value", "purposes": {purpose: [{"version",
 * "state", "key_name", "kek_id", "created", "activated", ..., "usage_reserved"}]}}; only `purpose`
 * when it is not NULL. No key bytes.
 */
int phi_keyring_list(phi_keyring *keyring, const char *purpose, char *json, size_t *json_len);

/* Moves version `version` of `purpose` to `state` ("pre-active", "active", "deactivated",
 * "compromised" or "destroyed") along a NIST SP 800-57 transition, in one commit with its audit event;
 * `reason` (may be NULL) goes into that event. Activating a version deactivates the purpose's active one.
 * An unknown version gives PHI_ERR_KEY_NOT_FOUND; a transition SP 800-57 forbids, or destroying a
 * version (which may still protect data: use the CLI's --force), PHI_ERR_POLICY. The same state again
 * is a no-op.
 */
int phi_keyring_set_state(phi_keyring *keyring, const char *purpose, uint32_t version, const char *state,
                          const char *reason);

/* ======================================================================== Search
 *
 * Blind indexes and FF1 format-preserving encryption (docs/search.md), under keys derived from the
 * source's DEK per purpose and key version (HKDF-SHA-256, labels "phicrypto/blind-index/v1" and
 * "phicrypto/ff1/v1"). `version` 0 means the source's active version (what new rows are written
 * under); a query for rows written before a rotation computes under each version phi_source_versions
 * lists. An index is defined by its arguments, passed to every call:
 *
 *   kind            PHI_INDEX_EXACT, PHI_INDEX_PREFIX or PHI_INDEX_COMPOUND
 *   bits            1..256: values are ceil(bits/8) bytes, the unused low bits zero
 *   normalizations  bit i = PHI_NORM_CASE_INSENSITIVE for field i (bit 0 for exact and prefix);
 *                   clear: the value exactly as given. Case-insensitive indexes need ICU (libicu)
 *   min_prefix, max_prefix  prefix indexes: 1 <= min <= max <= 64 characters; else both 0
 *   name            NUL-terminated UTF-8, 1..255 characters: part of the key derivation
 *
 * Values are UTF-8 (at most 64 KiB; invalid UTF-8 is refused). FF1 text uses the alphabet 0-9a-z
 * (its first `radix` characters, radix 2..36), 2..256 characters with radix^length >= 1,000,000;
 * the output has the input's length. FF1 is not authenticated: a changed value decrypts to another
 * valid-looking value, never to an error.
 */

/* The key versions the source can still decrypt with, newest first, into versions[0..*count):
 * *count holds the capacity in and the number of versions out (PHI_ERR_BUFFER_TOO_SMALL when larger).
 */
int phi_source_versions(phi_source *source, uint32_t *versions, size_t *count);

/* The index value to store or look up: exact, the value's index; prefix, the lookup value of
 * `startswith(value)` (length min(characters, max_prefix); fewer than min_prefix characters is an
 * error). Compound indexes: phi_blind_index_batch. Exactly ceil(bits/8) bytes into out.
 */
int phi_blind_index(phi_source *source, uint32_t version, int32_t kind, uint32_t bits,
                    uint32_t normalizations, uint32_t min_prefix, uint32_t max_prefix, const char *name,
                    const uint8_t *value, size_t value_len, uint8_t *out, size_t *out_len);

/* The stored index values of `count` rows in one call, packed into out (L = ceil(bits/8) bytes each):
 * exact (fields 1): one value per row; prefix (fields 1): the values of prefix lengths min_prefix..
 * min(length, max_prefix), out_counts[i] of them for row i (0 when shorter than min_prefix);
 * compound: values holds count rows of `fields` fields each (2..16), value_lens[j] == SIZE_MAX for a
 * NULL field, one value per row. out_counts (count entries) may be NULL except for prefix indexes.
 * A NULL out with *out_len 0 asks for the size.
 */
int phi_blind_index_batch(phi_source *source, uint32_t version, int32_t kind, uint32_t bits,
                          uint32_t normalizations, uint32_t min_prefix, uint32_t max_prefix, const char *name,
                          const uint8_t *values, const size_t *value_lens, size_t count, size_t fields,
                          uint8_t *out, size_t *out_len, size_t *out_counts);

/* FF1 (NIST SP 800-38G Rev. 1) under the source's key of *version (in: 0 for the active version, or a
 * version that can still decrypt, to search rows written before a rotation; out: the version used:
 * store it beside the value). The FF1 tweak is UTF-8(purpose) || 0x00 || tweak (at most 256 bytes).
 */
int phi_ff1_encrypt(phi_source *source, uint32_t *version, uint32_t radix, const uint8_t *tweak,
                    size_t tweak_len, const char *text, size_t text_len, char *out, size_t *out_len);

/* FF1 decryption of text written under `version` (1 or more: the value's version column). */
int phi_ff1_decrypt(phi_source *source, uint32_t version, uint32_t radix, const uint8_t *tweak,
                    size_t tweak_len, const char *text, size_t text_len, char *out, size_t *out_len);

/* FF1 directly under the key's bytes (16, 24 or 32: AES-128/192/256) and the tweak as given (at most
 * 256 bytes), no derivation: for interoperability with other FF1 implementations. Prefer a source.
 */
int phi_ff1_encrypt_key(const phi_key *key, uint32_t radix, const uint8_t *tweak, size_t tweak_len,
                        const char *text, size_t text_len, char *out, size_t *out_len);

/* The inverse of phi_ff1_encrypt_key. */
int phi_ff1_decrypt_key(const phi_key *key, uint32_t radix, const uint8_t *tweak, size_t tweak_len,
                        const char *text, size_t text_len, char *out, size_t *out_len);

/* Chooses an index width (docs/search.md, "Choosing the width") for `rows` expected rows holding
 * `distinct` distinct values, each index value matching at least `min_rows` (>= 2) rows. max_prefix 0:
 * {"bits":n,"rows_per_unique_value":x,"rows_per_lookup":x,"distinct_values_per_index_value":x,
 * "warnings":["low_cardinality"|"reveals_equality"|"too_few_rows"]}; else a prefix index over an
 * alphabet of `alphabet` symbols: {"prefixes":[{"length":k,"distinct_prefixes":n,"plan":{...}}]}.
 */
int phi_blind_index_plan(uint64_t rows, uint64_t distinct, uint32_t min_rows, uint32_t min_prefix,
                         uint32_t max_prefix, uint32_t alphabet, char *json, size_t *json_len);

/* ---- END GENERATED ---- */

#ifdef __cplusplus
}
#endif

#endif /* PHICRYPTO_H */

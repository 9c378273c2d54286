"""The cffi declarations of libphicrypto.so (ABI mode: ``ffi.dlopen``, no C compiler needed).

CDEF mirrors ``interop/include/phicrypto.h``; ``tests/test_exports.py`` checks that the two, the
library's real symbols and ``interop/exports.txt`` agree. cffi releases the GIL around every call
made through ``lib``, so native work runs while other Python threads do theirs.
"""
from __future__ import annotations

import os

from cffi import FFI

CDEF = """
typedef struct phi_key phi_key;

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
int phi_key_unwrap(const phi_key *kek, int32_t algorithm, const uint8_t *wrapped, size_t wrapped_len, phi_key **key);
int phi_key_wrap_record(const phi_key *kek, const phi_key *key, uint32_t version, uint8_t *out, size_t *out_len);
int phi_key_unwrap_record(const phi_key *kek, const uint8_t *record, size_t record_len, phi_key **key, uint32_t *version);
int phi_key_record_version(const uint8_t *record, size_t record_len, uint32_t *version);

int phi_field_envelope_length(int32_t mode, uint32_t version, size_t plaintext_len, size_t *envelope_len);
int phi_field_header(const uint8_t *envelope, size_t envelope_len, int32_t *mode, uint32_t *version, size_t *plaintext_len);
int phi_field_encrypt(const phi_key *key, uint32_t version, int32_t mode, const char *purpose,
                      const uint8_t *plaintext, size_t plaintext_len, const uint8_t *ad, size_t ad_len,
                      uint8_t *out, size_t *out_len);
int phi_field_decrypt(const phi_key *key, uint32_t version, const char *purpose,
                      const uint8_t *envelope, size_t envelope_len, const uint8_t *ad, size_t ad_len,
                      uint8_t *out, size_t *out_len);
int phi_field_encrypt_batch(const phi_key *key, uint32_t version, int32_t mode, const char *purpose,
                            const uint8_t *values, const size_t *value_lens, size_t count,
                            const uint8_t *ad, size_t ad_len,
                            uint8_t *out, size_t *out_len, size_t *out_lens);
int phi_field_decrypt_batch(const phi_key *key, uint32_t version, const char *purpose,
                            const uint8_t *envelopes, const size_t *envelope_lens, size_t count,
                            const uint8_t *ad, size_t ad_len,
                            uint8_t *out, size_t *out_len, size_t *out_lens, int32_t *statuses);
"""

LIBRARY_ENV = "PHICRYPTO_LIBRARY"


def library_path() -> str:
    """The libphicrypto.so to load: ``$PHICRYPTO_LIBRARY`` if set, else the copy bundled in the package.

    libsodium.so must sit beside it (the library finds it through its rpath ``$ORIGIN``).
    """
    return os.environ.get(LIBRARY_ENV) or os.path.join(os.path.dirname(os.path.abspath(__file__)), "libphicrypto.so")


ffi = FFI()
ffi.cdef(CDEF)
# RTLD_NODELETE: the NativeAOT runtime keeps threads (thread pool) that must never see their code
# unmapped, which a dlclose at interpreter exit would do. (The library is also linked -z nodelete.)
try:
    lib = ffi.dlopen(library_path(), ffi.RTLD_NOW | ffi.RTLD_NODELETE)
except OSError as e:
    raise ImportError(f"phicrypto cannot load its native library {library_path()} (set {LIBRARY_ENV} to "
                      f"point at a libphicrypto.so with libsodium.so beside it): {e}") from e

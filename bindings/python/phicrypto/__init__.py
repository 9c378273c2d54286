"""phicrypto: application-layer encryption for protected health information.

A thin binding (cffi, ABI mode: no C compiler needed) over libphicrypto.so, the NativeAOT build of
the PhiCryptoCore C# engine. All cryptography happens in the native library; calls release the GIL.

Field encryption (bytes in, envelope bytes out)::

    key = generate_encryption_key()
    ct = encrypt(b"123-45-6789", key)                 # AES-256-GCM, random nonce, +29 bytes
    ct = encrypt_deterministic(b"123-45-6789", key)   # AES-256-SIV, searchable, +17 bytes
    encrypt_fields(values, key)                       # 10,000 values in one native call

Keyrings (versioned keys per purpose; every field and stream call takes a key source)::

    ring = Keyring.create("keyring.json", kek="env")  # the explicit act; Keyring.open never creates
    ring.add_purpose("files")
    files = ring.source("files")                      # decrypts "files" keys only, never "backups"
    stream_decrypt(src, dst, files, expected_context={"patient": "P-1234"})

Envelope encryption of keys::

    wrapped = key_wrap(dek, kek, version=1)           # AES-KWP (RFC 5649) in a versioned record
    dek = key_unwrap(wrapped, kek)

Searching encrypted columns (docs/search.md)::

    ssn = IndexDefinition.exact("ssn", bits=19)
    stored = blind_index(source, "123-45-6789", ssn)  # keyed HMAC-SHA-256, truncated
    blind_index_query(source, "123-45-6789", ssn)     # [(version, value)] across a rotation
    ct, version = ff1_encrypt_versioned(source, "123456789")  # NIST FF1: still nine digits

Files and backups (AWS Encryption SDK message format v2, bounded memory)::

    with open("scan.dcm", "rb") as src, open("scan.dcm.enc", "wb") as dst:
        stream_encrypt(src, dst, key, context={"patient": "P-1234"})
    with open_encrypted("scan.dcm.enc", key) as f:  # seekable, decrypts only what is read
        f.seek(10_000_000); chunk = f.read(65536)

Errors: PhiCryptoError and its subclasses AuthenticationError, KeyNotFoundError, FormatError (and
PolicyError, WrongKekError, IoError, ConflictError, CryptoProviderError); ValueError and TypeError for
caller mistakes.
"""
from __future__ import annotations

from ._errors import (
    AuthenticationError,
    ConflictError,
    CryptoProviderError,
    FormatError,
    IoError,
    KeyNotFoundError,
    KeySizeError,
    PhiCryptoError,
    PolicyError,
    WrongKekError,
)
from ._fields import (
    DEFAULT_PURPOSE,
    DETERMINISTIC_OVERHEAD,
    RANDOMIZED_OVERHEAD,
    decrypt,
    decrypt_deterministic,
    decrypt_field,
    decrypt_fields,
    encrypt,
    encrypt_deterministic,
    encrypt_field,
    encrypt_fields,
    field_header,
    field_versions,
)
from ._keys import (
    Key,
    aes_key_unwrap,
    aes_key_wrap,
    generate_data_encryption_key,
    generate_encryption_key,
    generate_key,
    key_unwrap,
    key_wrap,
    wrapped_key_version,
)
from ._keyring import Keyring
from ._search import (
    IndexDefinition,
    blind_index,
    blind_index_batch,
    blind_index_query,
    ff1_decrypt,
    ff1_encrypt,
    ff1_encrypt_versioned,
    plan_blind_index,
    source_versions,
)
from ._sources import KeySource
from ._library import FipsStatus, enable_fips, fips_status, native_version
from ._streams import EncryptedFile, inspect_encrypted, open_encrypted, stream_decrypt, stream_encrypt

__version__ = "0.1.0"

__all__ = [
    "AuthenticationError",
    "ConflictError",
    "CryptoProviderError",
    "DEFAULT_PURPOSE",
    "DETERMINISTIC_OVERHEAD",
    "EncryptedFile",
    "FipsStatus",
    "FormatError",
    "IndexDefinition",
    "IoError",
    "Key",
    "KeyNotFoundError",
    "KeySizeError",
    "KeySource",
    "Keyring",
    "PhiCryptoError",
    "PolicyError",
    "RANDOMIZED_OVERHEAD",
    "WrongKekError",
    "aes_key_unwrap",
    "aes_key_wrap",
    "blind_index",
    "blind_index_batch",
    "blind_index_query",
    "decrypt",
    "decrypt_deterministic",
    "decrypt_field",
    "decrypt_fields",
    "enable_fips",
    "encrypt",
    "encrypt_deterministic",
    "encrypt_field",
    "encrypt_fields",
    "field_header",
    "field_versions",
    "ff1_decrypt",
    "ff1_encrypt",
    "ff1_encrypt_versioned",
    "fips_status",
    "generate_data_encryption_key",
    "generate_encryption_key",
    "generate_key",
    "inspect_encrypted",
    "key_unwrap",
    "key_wrap",
    "native_version",
    "open_encrypted",
    "plan_blind_index",
    "source_versions",
    "stream_decrypt",
    "stream_encrypt",
    "wrapped_key_version",
]

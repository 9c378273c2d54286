"""Keyring: versioned data-encryption keys per purpose, wrapped under a key-encryption key (KEK).

A purpose names what a key protects: a column ("clinic.Patient.ssn") or a kind of file ("files").
Fields encrypt under the purpose's active version; the envelope names its version, so after
:meth:`Keyring.rotate` old values still decrypt and nothing has to be re-encrypted. :meth:`rewrap`
rotates the KEK by re-wrapping the DEK records only. The store is a JSON file or a PostgreSQL
database (``postgresql://`` URL); the KEK comes from the environment, a passphrase or a PKCS#11 token.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import IO, Any

from ._errors import ERR_BUFFER_TOO_SMALL, raise_for
from ._fields import (
    DETERMINISTIC,
    RANDOMIZED,
    Value,
    _ad,
    _bytes_of,
    _pack,
    _raise_batch,
    _raw_alloc,
    _unpack,
    _value,
)
from ._ffi import ffi, lib
from ._streams import DEFAULT_CHUNK_SIZE, Context, EncryptedFile, decrypt_with, encrypt_with, open_with
from ._util import Buffer, as_buffer, call_for_text

CREATE = 1
_MAX_HEADER = 6  # a key version above 31 takes more header bytes


def _text(value: str | None, name: str) -> Any:
    if value is None:
        return ffi.NULL
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str")
    if "\0" in value:
        raise ValueError(f"{name} contains NUL")
    return value.encode("utf-8")


def _purpose(purpose: str) -> bytes:
    if not isinstance(purpose, str):
        raise TypeError("purpose must be a str")
    if not purpose or "\0" in purpose:
        raise ValueError("purpose must be non-empty and contain no NUL")
    return purpose.encode("utf-8")


class Keyring:
    """A keyring opened from its store. Thread-safe: share one per process.

    ``location``: a JSON file path or ``postgresql://`` URL (default ``$PHICRYPTO_KEYRING`` or
    ``~/.phicrypto/keyring.json``). ``kek``: ``"env"`` (``$PHICRYPTO_MASTER_KEY``, base64 of 32
    bytes), ``"env:VARIABLE"``, ``"passphrase"`` (give ``passphrase=``) or a ``"pkcs11:..."`` URI
    (default ``$PHICRYPTO_KEK`` or ``"env"``). ``create=True`` starts a new keyring in an empty store.
    """

    def __init__(self, location: str | None = None, kek: str | None = None, passphrase: str | None = None,
                 *, create: bool = False) -> None:
        out = ffi.new("phi_keyring **")
        rc = lib.phi_keyring_open(_text(location, "location"), _text(kek, "kek"), _text(passphrase, "passphrase"),
                                  CREATE if create else 0, out)
        if rc:
            raise_for(rc)
        self._ptr = ffi.gc(out[0], lib.phi_keyring_free)

    @classmethod
    def open(cls, location: str | None = None, kek: str | None = None, passphrase: str | None = None,
             *, create: bool = False) -> Keyring:
        """Opens (or with ``create=True`` starts) a keyring; see the class documentation."""
        return cls(location, kek, passphrase, create=create)

    @property
    def _handle(self) -> Any:
        if self._ptr is None:
            raise ValueError("the keyring is closed")
        return self._ptr

    def close(self) -> None:
        """Releases the keyring and zeroes its key material. Idempotent."""
        ptr, self._ptr = self._ptr, None
        if ptr is not None:
            ffi.release(ptr)

    def __enter__(self) -> Keyring:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- lifecycle

    def add_purpose(self, purpose: str) -> int:
        """Creates ``purpose`` with an active version 1; returns 1."""
        version = ffi.new("uint32_t *")
        rc = lib.phi_keyring_add_purpose(self._handle, _purpose(purpose), version)
        if rc:
            raise_for(rc)
        return int(version[0])

    def rotate(self, purpose: str) -> int:
        """Adds a new active version of ``purpose`` (the previous one still decrypts); returns it."""
        version = ffi.new("uint32_t *")
        rc = lib.phi_keyring_rotate(self._handle, _purpose(purpose), version)
        if rc:
            raise_for(rc)
        return int(version[0])

    def rewrap(self, kek: str, passphrase: str | None = None) -> int:
        """Rotates the KEK: re-wraps every DEK record under ``kek`` (same syntax as for opening).
        No data is re-encrypted. Returns the number of records re-wrapped."""
        count = ffi.new("size_t *")
        rc = lib.phi_keyring_rewrap(self._handle, _text(kek, "kek"), _text(passphrase, "passphrase"), count)
        if rc:
            raise_for(rc)
        return int(count[0])

    def reload(self) -> None:
        """Re-reads the store: versions and states changed by other processes. (Decrypting a value of
        an unknown version already reloads once by itself.)"""
        rc = lib.phi_keyring_reload(self._handle)
        if rc:
            raise_for(rc)

    def verify_audit(self) -> dict[str, Any]:
        """Re-reads the store and checks the hash chain of its audit trail: a dict with "valid",
        "count", "broken_at" (sequence number or None) and "message"."""
        return json.loads(call_for_text(lib.phi_keyring_audit_verify, self._handle, guess=512))  # type: ignore[no-any-return]

    def describe(self, purpose: str | None = None) -> dict[str, Any]:
        """The KEK's id and check value and every version of every purpose (or of ``purpose``),
        with states and timestamps. No key bytes."""
        p = ffi.NULL if purpose is None else _purpose(purpose)
        return json.loads(call_for_text(lib.phi_keyring_list, self._handle, p, guess=16384))  # type: ignore[no-any-return]

    @property
    def purposes(self) -> list[str]:
        """The purposes in the keyring."""
        return sorted(self.describe()["purposes"])

    def versions(self, purpose: str) -> list[dict[str, Any]]:
        """The versions of ``purpose``, each a dict with "version", "state", timestamps, "kek_id"."""
        return self.describe(purpose)["purposes"][purpose]  # type: ignore[no-any-return]

    # ---- fields

    def encrypt(self, purpose: str, value: Value | None, deterministic: bool = False, ad: Buffer | str | None = None) -> bytes | None:
        """Encrypts a column value (str as UTF-8, or bytes) under the active version of ``purpose``;
        ``None`` stays ``None``."""
        if value is None:
            return None
        data = _value(value)
        cap = len(data) + 28 + _MAX_HEADER
        out = _raw_alloc("uint8_t[]", cap)
        length = ffi.new("size_t *", cap)
        a = _ad(ad)
        rc = lib.phi_keyring_field_encrypt(self._handle, _purpose(purpose), DETERMINISTIC if deterministic else RANDOMIZED,
                                           data, len(data), a, len(a), out, length)
        if rc:
            raise_for(rc)
        return ffi.buffer(out, length[0])[:]

    def decrypt(self, purpose: str, ciphertext: Buffer | None, ad: Buffer | str | None = None, *, text: bool = False) -> bytes | str | None:
        """Decrypts with the version the envelope names; ``None`` stays ``None``; ``text=True``
        returns str."""
        if ciphertext is None:
            return None
        data = as_buffer(ciphertext, "ciphertext")
        out = _raw_alloc("uint8_t[]", max(len(data), 1))
        length = ffi.new("size_t *", len(data))
        a = _ad(ad)
        rc = lib.phi_keyring_field_decrypt(self._handle, _purpose(purpose), data, len(data), a, len(a), out, length)
        if rc:
            raise_for(rc)
        plaintext = ffi.buffer(out, length[0])[:]
        return plaintext.decode("utf-8") if text else plaintext

    def encrypt_fields(self, purpose: str, values: Iterable[Value | None], deterministic: bool = False,
                       ad: Buffer | str | None = None) -> list[bytes | None]:
        """Encrypts many values in one native call under the active version; ``None`` stays ``None``."""
        count, positions, parts = _pack(values, _bytes_of)
        if not parts:
            return [None] * count
        n = len(parts)
        packed = b"".join(parts)
        total = len(packed) + n * ((16 if deterministic else 28) + _MAX_HEADER)
        out = _raw_alloc("uint8_t[]", total)
        out_len = ffi.new("size_t *", total)
        out_lens = _raw_alloc("size_t[]", n)
        a = _ad(ad)
        rc = lib.phi_keyring_field_encrypt_batch(self._handle, _purpose(purpose), DETERMINISTIC if deterministic else RANDOMIZED,
                                                 packed, ffi.new("size_t[]", [len(p) for p in parts]), n, a, len(a),
                                                 out, out_len, out_lens)
        if rc:
            raise_for(rc)
        return _unpack(ffi.buffer(out, out_len[0])[:], ffi.unpack(out_lens, n), positions, count)

    def decrypt_fields(self, purpose: str, ciphertexts: Iterable[Buffer | None], ad: Buffer | str | None = None,
                       *, text: bool = False) -> list[Any]:
        """Decrypts many envelopes (of any versions) in one native call; raises for the first bad one."""
        count, positions, parts = _pack(ciphertexts, lambda c: _bytes_of(c, "ciphertext"))
        if not parts:
            return [None] * count
        n = len(parts)
        packed = b"".join(parts)
        out = _raw_alloc("uint8_t[]", max(len(packed), 1))
        out_len = ffi.new("size_t *", len(packed))
        out_lens = _raw_alloc("size_t[]", n)
        statuses = ffi.new("int32_t[]", n)
        a = _ad(ad)
        rc = lib.phi_keyring_field_decrypt_batch(self._handle, _purpose(purpose), packed, ffi.new("size_t[]", [len(p) for p in parts]), n,
                                                 a, len(a), out, out_len, out_lens, statuses)
        if rc:
            _raise_batch(rc, statuses, n, positions)
        result = _unpack(ffi.buffer(out, out_len[0])[:], ffi.unpack(out_lens, n), positions, count)
        if text:
            return [None if v is None else v.decode("utf-8") for v in result]
        return result

    def search_ciphertexts(self, purpose: str, value: Value, ad: Buffer | str | None = None) -> list[bytes]:
        """The deterministic ciphertexts of ``value`` under every version that can still decrypt,
        newest first: filter with ``column__in=...`` to find rows written before a rotation."""
        data = _value(value)
        a = _ad(ad)
        count = ffi.new("size_t *", 8)
        out_lens = ffi.new("size_t[]", 8)
        cap = 8 * (len(data) + 16 + _MAX_HEADER)
        out = _raw_alloc("uint8_t[]", cap)
        out_len = ffi.new("size_t *", cap)
        rc = lib.phi_keyring_search(self._handle, _purpose(purpose), data, len(data), a, len(a), out, out_len, out_lens, count)
        if rc == ERR_BUFFER_TOO_SMALL:
            out_lens = ffi.new("size_t[]", count[0])
            out = _raw_alloc("uint8_t[]", out_len[0])
            rc = lib.phi_keyring_search(self._handle, _purpose(purpose), data, len(data), a, len(a), out, out_len, out_lens, count)
        if rc:
            raise_for(rc)
        lengths = ffi.unpack(out_lens, count[0])
        return [v for v in _unpack(ffi.buffer(out, out_len[0])[:], lengths, list(range(len(lengths))), len(lengths))]

    # ---- files

    def stream_encrypt(self, purpose: str, infile: IO[bytes], outfile: IO[bytes], chunk_size: int = DEFAULT_CHUNK_SIZE,
                       context: Context | None = None, *, signed: bool = False) -> int:
        """Like :func:`phicrypto.stream_encrypt`, with the message's data key wrapped under the active
        version of ``purpose`` (key name "purpose/vN" in the header). Returns the plaintext bytes."""
        handle, p = self._handle, _purpose(purpose)
        return encrypt_with(infile, outfile, chunk_size, context, signed,
                            lambda i, o, c, x, f, t: lib.phi_keyring_stream_encrypt_fd(handle, p, i, o, c, x, f, t),
                            lambda c, x, f, out: lib.phi_keyring_encryptor_new(handle, p, c, x, f, out))

    def stream_decrypt(self, infile: IO[bytes], outfile: IO[bytes]) -> Context:
        """Like :func:`phicrypto.stream_decrypt`, with whichever key version the message names."""
        handle = self._handle
        return decrypt_with(infile, outfile,
                            lambda i, o, b, n: lib.phi_keyring_stream_decrypt_fd(handle, i, o, b, n),
                            lambda out: lib.phi_keyring_decryptor_new(handle, out))

    def open_encrypted(self, path_or_fileobj: str | os.PathLike[str] | IO[bytes]) -> EncryptedFile:
        """Like :func:`phicrypto.open_encrypted`, with whichever key version the file names."""
        handle = self._handle
        return open_with(path_or_fileobj, lambda fd, out: lib.phi_keyring_reader_open_fd(handle, fd, out))

    def __repr__(self) -> str:
        return "<phicrypto.Keyring closed>" if self._ptr is None else "<phicrypto.Keyring>"

"""Field encryption with a raw Key: one value at a time, or a whole batch in one native call.

The bytes returned are field envelopes (docs/field-format.md): randomized mode is AES-256-GCM with a
random nonce (29 bytes of overhead), deterministic mode is AES-256-SIV (17 bytes of overhead; equal
values give equal envelopes, so an indexed column can be searched by encrypting the search term).
Both authenticate a *purpose* string and optional associated data ``ad``: an envelope decrypts only
with the same purpose and ad. The functions here use the purpose ``DEFAULT_PURPOSE`` unless told
otherwise, and key version 1 (a raw Key has no version history; use a Keyring for rotation).
"""
from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Any, overload

from ._errors import ERR_AUTHENTICATION, ERR_KEY_NOT_FOUND, error_for, raise_for
from ._ffi import ffi, lib
from ._keys import Key
from ._util import Buffer, as_buffer

DEFAULT_PURPOSE = "phicrypto.default"
"""The purpose the functional API authenticates when no ``purpose=`` is given."""

RANDOMIZED = 0
DETERMINISTIC = 1
RANDOMIZED_OVERHEAD = 29
DETERMINISTIC_OVERHEAD = 17
_KEY_VERSION = 1

_DEFAULT_PURPOSE_BYTES = DEFAULT_PURPOSE.encode()
_SCRATCH_SIZE = 4096
_raw_alloc = ffi.new_allocator(should_clear_after_alloc=False)
_tls = threading.local()

Value = str | bytes | bytearray | memoryview


class _Scratch:
    """Per-thread output buffer and length cell, so a small field call allocates nothing native."""

    __slots__ = ("buf", "length")

    def __init__(self) -> None:
        self.buf = ffi.new("uint8_t[]", _SCRATCH_SIZE)
        self.length = ffi.new("size_t *")


def _scratch() -> _Scratch:
    try:
        return _tls.scratch  # type: ignore[no-any-return]
    except AttributeError:
        _tls.scratch = s = _Scratch()
        return s


def _purpose(purpose: str | bytes) -> bytes:
    if purpose is DEFAULT_PURPOSE:
        return _DEFAULT_PURPOSE_BYTES
    if isinstance(purpose, str):
        purpose = purpose.encode("utf-8")
    if not isinstance(purpose, bytes):
        raise TypeError("purpose must be str or bytes")
    if not purpose or b"\0" in purpose:
        raise ValueError("purpose must be non-empty and contain no NUL")
    return purpose


def _ad(ad: Value | None) -> Any:
    if ad is None:
        return b""
    if isinstance(ad, str):
        return ad.encode("utf-8")
    return as_buffer(ad, "ad")


def _key(key: object) -> Any:
    if type(key) is not Key and not isinstance(key, Key):
        raise TypeError(f"key must be a phicrypto.Key, not {type(key).__name__}")
    return key.handle


def _value(value: object) -> Any:
    if type(value) is bytes:
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    return as_buffer(value, "value")


def _encrypt(data: Any, key: object, ad: Value | None, mode: int, purpose: str | bytes) -> bytes:
    handle = _key(key)
    n = len(data)
    need = n + (RANDOMIZED_OVERHEAD if mode == RANDOMIZED else DETERMINISTIC_OVERHEAD)
    s = _scratch()
    out = s.buf if need <= _SCRATCH_SIZE else _raw_alloc("uint8_t[]", need)
    s.length[0] = need
    a = _ad(ad)
    rc = lib.phi_field_encrypt(handle, _KEY_VERSION, mode, _purpose(purpose), data, n, a, len(a), out, s.length)
    if rc:
        raise_for(rc)
    return ffi.buffer(out, s.length[0])[:]


def _decrypt(envelope: object, key: object, ad: Value | None, purpose: str | bytes) -> bytes:
    handle = _key(key)
    data = as_buffer(envelope, "ciphertext")
    n = len(data)
    s = _scratch()
    out = s.buf if n <= _SCRATCH_SIZE else _raw_alloc("uint8_t[]", n)
    s.length[0] = n
    a = _ad(ad)
    rc = lib.phi_field_decrypt(handle, _KEY_VERSION, _purpose(purpose), data, n, a, len(a), out, s.length)
    if rc:
        raise_for(rc)
    length = s.length[0]
    try:
        return ffi.buffer(out, length)[:]
    finally:
        ffi.memmove(out, bytes(length), length)  # no plaintext left in the scratch buffer


def encrypt(plaintext: Buffer, key: Key, ad: Buffer | str | None = None, *, purpose: str | bytes = DEFAULT_PURPOSE) -> bytes:
    """Encrypts ``plaintext`` (bytes) in randomized mode: AES-256-GCM, a fresh random nonce, 29 bytes
    of overhead. Equal plaintexts give different ciphertexts."""
    return _encrypt(as_buffer(plaintext, "plaintext"), key, ad, RANDOMIZED, purpose)


def decrypt(ciphertext: Buffer, key: Key, ad: Buffer | str | None = None, *, purpose: str | bytes = DEFAULT_PURPOSE) -> bytes:
    """Decrypts an envelope from :func:`encrypt` (or :func:`encrypt_deterministic`: the header says
    which). Raises AuthenticationError on a wrong key, purpose or ad, or any tampering."""
    return _decrypt(ciphertext, key, ad, purpose)


def encrypt_deterministic(plaintext: Buffer, key: Key, ad: Buffer | str | None = None, *, purpose: str | bytes = DEFAULT_PURPOSE) -> bytes:
    """Encrypts ``plaintext`` in deterministic mode: AES-256-SIV (RFC 5297), 17 bytes of overhead.
    The same plaintext, key, purpose and ad always give the same ciphertext: searchable, but it
    reveals equality. Use it only for columns that must be searched."""
    return _encrypt(as_buffer(plaintext, "plaintext"), key, ad, DETERMINISTIC, purpose)


def decrypt_deterministic(ciphertext: Buffer, key: Key, ad: Buffer | str | None = None, *, purpose: str | bytes = DEFAULT_PURPOSE) -> bytes:
    """Decrypts an envelope from :func:`encrypt_deterministic`."""
    return _decrypt(ciphertext, key, ad, purpose)


def encrypt_field(value: Value | None, key: Key, deterministic: bool = False, ad: Buffer | str | None = None,
                  *, purpose: str | bytes = DEFAULT_PURPOSE) -> bytes | None:
    """Encrypts one column value: ``str`` (as UTF-8) or bytes. ``None`` stays ``None`` (SQL NULL is
    never encrypted); the empty string becomes a real envelope, so NULL and "" stay distinct."""
    if value is None:
        return None
    return _encrypt(_value(value), key, ad, DETERMINISTIC if deterministic else RANDOMIZED, purpose)


@overload
def decrypt_field(ciphertext: None, key: Key, ad: Buffer | str | None = ..., *, text: bool = ..., purpose: str | bytes = ...) -> None: ...
@overload
def decrypt_field(ciphertext: Buffer, key: Key, ad: Buffer | str | None = ..., *, text: bool = ..., purpose: str | bytes = ...) -> bytes | str: ...
def decrypt_field(ciphertext: Buffer | None, key: Key, ad: Buffer | str | None = None, *, text: bool = False,
                  purpose: str | bytes = DEFAULT_PURPOSE) -> bytes | str | None:
    """Decrypts one column value; ``None`` stays ``None``. Returns bytes, or ``str`` (UTF-8) when
    ``text=True``."""
    if ciphertext is None:
        return None
    plaintext = _decrypt(ciphertext, key, ad, purpose)
    return plaintext.decode("utf-8") if text else plaintext


def _pack(values: Iterable[object], convert: Any) -> tuple[int, list[int], list[Any]]:
    """(number of values, positions of the non-None ones, their bytes)."""
    positions: list[int] = []
    parts: list[Any] = []
    count = 0
    for i, v in enumerate(values):
        count += 1
        if v is not None:
            positions.append(i)
            parts.append(convert(v))
    return count, positions, parts


def _bytes_of(value: object, name: str = "value") -> bytes:
    if type(value) is bytes:
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"{name} must be str, bytes, bytearray, memoryview or None, not {type(value).__name__}")


def _unpack(buf: bytes, lengths: Sequence[int], positions: list[int], count: int) -> list[Any]:
    result: list[Any] = [None] * count
    offset = 0
    for position, length in zip(positions, lengths):
        end = offset + length
        result[position] = buf[offset:end]
        offset = end
    return result


def encrypt_fields(values: Iterable[Value | None], key: Key, deterministic: bool = False, ad: Buffer | str | None = None,
                   *, purpose: str | bytes = DEFAULT_PURPOSE) -> list[bytes | None]:
    """Encrypts many column values in ONE native call (large batches use every core).

    Same rules as :func:`encrypt_field` for each value; every value shares ``ad``. Returns a list of
    the same length, ``None`` where the value was ``None``."""
    handle = _key(key)
    count, positions, parts = _pack(values, _bytes_of)
    if not parts:
        return [None] * count
    mode = DETERMINISTIC if deterministic else RANDOMIZED
    lengths = [len(p) for p in parts]
    packed = b"".join(parts)
    n = len(parts)
    total = len(packed) + n * (DETERMINISTIC_OVERHEAD if deterministic else RANDOMIZED_OVERHEAD)
    out = _raw_alloc("uint8_t[]", total)
    out_len = ffi.new("size_t *", total)
    out_lens = _raw_alloc("size_t[]", n)
    a = _ad(ad)
    rc = lib.phi_field_encrypt_batch(handle, _KEY_VERSION, mode, _purpose(purpose), packed, ffi.new("size_t[]", lengths), n,
                                     a, len(a), out, out_len, out_lens)
    if rc:
        raise_for(rc)
    return _unpack(ffi.buffer(out, out_len[0])[:], ffi.unpack(out_lens, n), positions, count)


def decrypt_fields(ciphertexts: Iterable[Buffer | None], key: Key, ad: Buffer | str | None = None, *, text: bool = False,
                   purpose: str | bytes = DEFAULT_PURPOSE) -> list[Any]:
    """Decrypts many envelopes in ONE native call; ``None`` stays ``None``.

    If any envelope fails, raises the error of the first one (its position is in the message) and
    returns nothing: no partial results."""
    handle = _key(key)
    count, positions, parts = _pack(ciphertexts, lambda c: _bytes_of(c, "ciphertext"))
    if not parts:
        return [None] * count
    n = len(parts)
    packed = b"".join(parts)
    total = len(packed)
    out = _raw_alloc("uint8_t[]", max(total, 1))
    out_len = ffi.new("size_t *", total)
    out_lens = _raw_alloc("size_t[]", n)
    statuses = ffi.new("int32_t[]", n)
    a = _ad(ad)
    rc = lib.phi_field_decrypt_batch(handle, _KEY_VERSION, _purpose(purpose), packed, ffi.new("size_t[]", [len(p) for p in parts]), n,
                                     a, len(a), out, out_len, out_lens, statuses)
    try:
        if rc:
            _raise_batch(rc, statuses, n, positions)
        result = _unpack(ffi.buffer(out, out_len[0])[:], ffi.unpack(out_lens, n), positions, count)
    finally:
        ffi.memmove(out, bytes(total), total)
    if text:
        return [None if v is None else v.decode("utf-8") for v in result]
    return result


def _raise_batch(rc: int, statuses: Any, n: int, positions: list[int]) -> None:
    for j in range(n):
        status = statuses[j]
        if status:
            what = {ERR_AUTHENTICATION: "authentication failed",
                    ERR_KEY_NOT_FOUND: "the key version it names is not available"}.get(status, "malformed envelope")
            raise error_for(status, f"value {positions[j]}: {what}")
    raise_for(rc)

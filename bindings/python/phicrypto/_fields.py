"""Field encryption: the one implementation behind the module functions, Keyring and phicrypto.django.

Every call goes through a key source (``phi_source``): a raw Key standing for one version of a
purpose, or a Keyring purpose. The bytes are field envelopes (docs/field-format.md): randomized mode is
AES-256-GCM with a random nonce (29 bytes of overhead), deterministic mode is AES-256-SIV (17 bytes of
overhead; equal values give equal envelopes, so an indexed column can be searched by encrypting the
search term). Both authenticate the source's *purpose* and optional associated data ``ad``: an
envelope decrypts only with the same purpose and ad. The module functions use the purpose
``DEFAULT_PURPOSE`` unless told otherwise, and key version 1 (a raw Key has no version history; use a
Keyring for rotation). Plaintext left in a scratch buffer is zeroed on every path.
"""
from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from itertools import accumulate
from typing import TYPE_CHECKING, Any, overload

from ._cdef import (PHI_ERR_AUTHENTICATION, PHI_ERR_BUFFER_TOO_SMALL, PHI_ERR_KEY_NOT_FOUND, PHI_FIELD_DETERMINISTIC, PHI_FIELD_MAX_HEADER,
                    PHI_FIELD_RANDOMIZED)
from ._errors import FormatError, error_for, raise_for
from ._ffi import ffi, lib
from ._util import Buffer, as_buffer

if TYPE_CHECKING:
    from ._keys import Key
    from ._sources import KeySource

DEFAULT_PURPOSE = "phicrypto.default"
"""The purpose the functional API authenticates when no ``purpose=`` is given."""

RANDOMIZED = PHI_FIELD_RANDOMIZED
DETERMINISTIC = PHI_FIELD_DETERMINISTIC
RANDOMIZED_OVERHEAD = 29
DETERMINISTIC_OVERHEAD = 17
_MAX_HEADER = PHI_FIELD_MAX_HEADER  # a key version above 31 takes more header bytes: + 34 / + 22 always suffice
_MAX_OVERHEAD = {RANDOMIZED: 28 + _MAX_HEADER, DETERMINISTIC: 16 + _MAX_HEADER}
_TAG_AND_NONCE = {RANDOMIZED: 28, DETERMINISTIC: 16}

_SCRATCH_SIZE = 4096
_SEARCH_VERSIONS = 8  # envelopes a search fits in scratch (one per version that can decrypt)
_raw_alloc = ffi.new_allocator(should_clear_after_alloc=False)
_tls = threading.local()

Value = str | bytes | bytearray | memoryview


class _Scratch:
    """Per-thread output buffer and length cells, so a small field call allocates nothing native."""

    __slots__ = ("buf", "length", "count", "lengths")

    def __init__(self) -> None:
        self.buf = ffi.new("uint8_t[]", _SCRATCH_SIZE)
        self.length = ffi.new("size_t *")
        self.count = ffi.new("size_t *")
        self.lengths = ffi.new("size_t[]", _SEARCH_VERSIONS)


def _scratch() -> _Scratch:
    try:
        return _tls.scratch  # type: ignore[no-any-return]
    except AttributeError:
        _tls.scratch = s = _Scratch()
        return s


def _wipe(buf: Any, n: int) -> None:
    if n:
        ffi.memmove(buf, bytes(n), n)


def _ad(ad: Value | None) -> Any:
    if ad is None:
        return b""
    if isinstance(ad, str):
        return ad.encode("utf-8")
    return as_buffer(ad, "ad")


def _value(value: object) -> Any:
    if type(value) is bytes:
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    return as_buffer(value, "value")


def _bytes_of(value: object, name: str = "value") -> bytes:
    if type(value) is bytes:
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"{name} must be str, bytes, bytearray, memoryview or None, not {type(value).__name__}")


# ---------------------------------------------------------------- the implementation (source handles)

def encrypt_one(source: Any, data: Any, ad: Value | None, mode: int) -> bytes:
    """One envelope under the source's active version."""
    n = len(data)
    need = n + _MAX_OVERHEAD[mode]
    s = _scratch()
    out = s.buf if need <= _SCRATCH_SIZE else _raw_alloc("uint8_t[]", need)
    s.length[0] = need
    a = _ad(ad)
    rc = lib.phi_field_encrypt(source, mode, data, n, a, len(a), out, s.length)
    if rc:
        raise_for(rc)
    return ffi.buffer(out, s.length[0])[:]


def decrypt_one(source: Any, envelope: object, ad: Value | None) -> bytes:
    """The plaintext of one envelope, with the version it names."""
    data = as_buffer(envelope, "ciphertext")
    n = len(data)
    s = _scratch()
    out = s.buf if n <= _SCRATCH_SIZE else _raw_alloc("uint8_t[]", max(n, 1))
    s.length[0] = n
    a = _ad(ad)
    rc = lib.phi_field_decrypt(source, data, n, a, len(a), out, s.length)
    try:
        if rc:
            raise_for(rc)
        return ffi.buffer(out, s.length[0])[:]
    finally:
        _wipe(out, n)  # no plaintext left in the scratch buffer, on success or failure


def text_of(plaintext: bytes) -> str:
    """A plaintext as UTF-8 text, or FormatError that holds none of it (a UnicodeDecodeError carries
    the whole plaintext in its args and ``object``)."""
    try:
        return plaintext.decode("utf-8")
    except UnicodeDecodeError:
        raise FormatError("the plaintext is not UTF-8 text") from None


def _pack(values: Iterable[object], convert: Any) -> tuple[int, Sequence[int], bytes, list[int]]:
    """(number of values, positions of the non-None ones, their bytes joined, their lengths). Values
    that are already bytes-like (bytes, a database driver's memoryviews) are joined as they are,
    with no per-value conversion; anything else goes through ``convert`` (which also refuses it)."""
    values = values if type(values) is list else list(values)
    if None not in values:  # scanned in C: the common case needs no per-value Python work here
        positions: Sequence[int] = range(len(values))
        parts = values
    else:
        positions = [i for i, v in enumerate(values) if v is not None]
        parts = [values[i] for i in positions]
    try:
        packed, lengths = b"".join(parts), list(map(len, parts))
        if len(packed) == sum(lengths):  # not so for a memoryview of wider items: convert those
            return len(values), positions, packed, lengths
    except TypeError:  # str values (encoded below), or not a buffer at all (refused below)
        pass
    parts = list(map(convert, parts))
    return len(values), positions, b"".join(parts), list(map(len, parts))


def _unpack(buf: bytes, lengths: Sequence[int], positions: Sequence[int], count: int) -> list[Any]:
    offsets = list(accumulate(lengths, initial=0))
    parts = list(map(buf.__getitem__, map(slice, offsets, offsets[1:])))
    if len(positions) == count:
        return parts
    result: list[Any] = [None] * count
    for position, part in zip(positions, parts):
        result[position] = part
    return result


def encrypt_many(source: Any, values: Iterable[Value | None], mode: int, ad: Value | None) -> list[bytes | None]:
    """Envelopes of many values in ONE native call; None stays None."""
    count, positions, packed, lengths = _pack(values, _bytes_of)
    if not positions:
        return [None] * count
    n = len(positions)
    total = len(packed) + n * _MAX_OVERHEAD[mode]
    out = _raw_alloc("uint8_t[]", total)
    out_len = ffi.new("size_t *", total)
    out_lens = _raw_alloc("size_t[]", n)
    a = _ad(ad)
    rc = lib.phi_field_encrypt_batch(source, mode, packed, ffi.new("size_t[]", lengths), n,
                                     a, len(a), out, out_len, out_lens)
    if rc:
        raise_for(rc)
    return _unpack(ffi.buffer(out, out_len[0])[:], ffi.unpack(out_lens, n), positions, count)


_ITEM_ERRORS = {PHI_ERR_AUTHENTICATION: "authentication failed", PHI_ERR_KEY_NOT_FOUND: "the key version it names is not available"}


def decrypt_many(source: Any, ciphertexts: Iterable[Buffer | None], ad: Value | None, text: bool, errors: str) -> list[Any]:
    """Plaintexts of many envelopes in ONE native call; None stays None. ``errors="raise"`` raises the
    first failure (its position in the message) and returns nothing; ``errors="return"`` puts each
    failure's exception in its place."""
    if errors not in ("raise", "return"):
        raise ValueError('errors must be "raise" or "return"')
    count, positions, packed, lengths = _pack(ciphertexts, lambda c: _bytes_of(c, "ciphertext"))
    if not positions:
        return [None] * count
    n = len(positions)
    total = len(packed)
    out = _raw_alloc("uint8_t[]", max(total, 1))
    out_len = ffi.new("size_t *", total)
    out_lens = _raw_alloc("size_t[]", n)
    statuses = ffi.new("int32_t[]", n)
    a = _ad(ad)
    rc = lib.phi_field_decrypt_batch(source, packed, ffi.new("size_t[]", lengths), n,
                                     a, len(a), out, out_len, out_lens, statuses)
    try:
        status = ffi.unpack(statuses, n) if rc else [0] * n
        if rc and not any(status):
            raise_for(rc)  # the call itself failed (no item was tried)
        if rc and errors == "raise":
            j = next(j for j in range(n) if status[j])
            raise error_for(status[j], f"value {positions[j]}: {_ITEM_ERRORS.get(status[j], 'malformed envelope')}")
        result = _unpack(ffi.buffer(out, out_len[0])[:], ffi.unpack(out_lens, n), positions, count)
    finally:
        _wipe(out, total)
    if rc:
        for j in range(n):
            if status[j]:
                result[positions[j]] = error_for(status[j], _ITEM_ERRORS.get(status[j], "malformed envelope"))
    if text:
        result = [text_of(r) if type(r) is bytes else r for r in result]
    return result


def search(source: Any, value: Value, ad: Value | None) -> list[bytes]:
    """The deterministic envelopes of ``value`` under every version the source can still decrypt with."""
    data = _value(value)
    a = _ad(ad)
    s = _scratch()
    cap = _SEARCH_VERSIONS * (len(data) + _MAX_OVERHEAD[DETERMINISTIC])
    out = s.buf if cap <= _SCRATCH_SIZE else _raw_alloc("uint8_t[]", cap)
    out_len, out_lens, count = s.length, s.lengths, s.count
    out_len[0], count[0] = cap, _SEARCH_VERSIONS
    rc = lib.phi_field_search(source, data, len(data), a, len(a), out, out_len, out_lens, count)
    if rc == PHI_ERR_BUFFER_TOO_SMALL:  # more versions than fit: the call said how much it needs
        out_lens = ffi.new("size_t[]", count[0])
        out = _raw_alloc("uint8_t[]", out_len[0])
        rc = lib.phi_field_search(source, data, len(data), a, len(a), out, out_len, out_lens, count)
    if rc:
        raise_for(rc)
    lengths = ffi.unpack(out_lens, count[0])
    return _unpack(ffi.buffer(out, out_len[0])[:], lengths, range(len(lengths)), len(lengths))


def field_header(envelope: Buffer) -> tuple[int, int, int]:
    """(mode, key version, plaintext length) of a field envelope, read without a key (mode 0:
    randomized, 1: deterministic). Raises FormatError when it is not an envelope."""
    data = as_buffer(envelope, "envelope")
    mode, version, length = ffi.new("int32_t *"), ffi.new("uint32_t *"), ffi.new("size_t *")
    rc = lib.phi_field_header(data, len(data), mode, version, length)
    if rc:
        raise_for(rc)
    return int(mode[0]), int(version[0]), int(length[0])


def field_versions(envelopes: Iterable[Buffer | None]) -> list[int | None]:
    """The key version each envelope names, in ONE native call without a key; None where the value is
    None or its header is malformed. Each item may be just the envelope's first bytes (at most
    ``PHI_FIELD_MAX_HEADER``), what an SQL scan of headers fetches."""
    count, positions, packed, lengths = _pack(envelopes, lambda c: _bytes_of(c, "envelope"))
    n = len(positions)
    if not n:
        return [None] * count
    versions = ffi.new("uint32_t[]", n)
    rc = lib.phi_field_versions(packed, ffi.new("size_t[]", lengths), n, versions)
    if rc:
        raise_for(rc)
    found = [v or None for v in ffi.unpack(versions, n)]
    if n == count:
        return found
    result: list[int | None] = [None] * count
    for position, version in zip(positions, found):
        result[position] = version
    return result


# ---------------------------------------------------------------- the module functions (raw keys)

def _source(key: object, purpose: str | bytes) -> Any:
    """The source handle of a Key for ``purpose`` (cached on the Key), or of a KeySource."""
    try:
        handle_for = key._handle_for  # type: ignore[attr-defined]
    except AttributeError:
        raise TypeError(f"key must be a phicrypto.Key or KeySource, not {type(key).__name__}") from None
    return handle_for(purpose)


def encrypt(plaintext: Buffer, key: Key | KeySource, ad: Buffer | str | None = None, *, purpose: str | bytes = DEFAULT_PURPOSE) -> bytes:
    """Encrypts ``plaintext`` (bytes) in randomized mode: AES-256-GCM, a fresh random nonce, 29 bytes
    of overhead. Equal plaintexts give different ciphertexts."""
    return encrypt_one(_source(key, purpose), as_buffer(plaintext, "plaintext"), ad, RANDOMIZED)


def decrypt(ciphertext: Buffer, key: Key | KeySource, ad: Buffer | str | None = None, *, purpose: str | bytes = DEFAULT_PURPOSE) -> bytes:
    """Decrypts an envelope from :func:`encrypt` (or :func:`encrypt_deterministic`: the header says
    which). Raises AuthenticationError on a wrong key, purpose or ad, or any tampering."""
    return decrypt_one(_source(key, purpose), ciphertext, ad)


def encrypt_deterministic(plaintext: Buffer, key: Key | KeySource, ad: Buffer | str | None = None, *, purpose: str | bytes = DEFAULT_PURPOSE) -> bytes:
    """Encrypts ``plaintext`` in deterministic mode: AES-256-SIV (RFC 5297), 17 bytes of overhead.
    The same plaintext, key, purpose and ad always give the same ciphertext: searchable, but it
    reveals equality. Use it only for columns that must be searched."""
    return encrypt_one(_source(key, purpose), as_buffer(plaintext, "plaintext"), ad, DETERMINISTIC)


def decrypt_deterministic(ciphertext: Buffer, key: Key | KeySource, ad: Buffer | str | None = None, *, purpose: str | bytes = DEFAULT_PURPOSE) -> bytes:
    """Decrypts an envelope from :func:`encrypt_deterministic`."""
    return decrypt_one(_source(key, purpose), ciphertext, ad)


def encrypt_field(value: Value | None, key: Key | KeySource, deterministic: bool = False, ad: Buffer | str | None = None,
                  *, purpose: str | bytes = DEFAULT_PURPOSE) -> bytes | None:
    """Encrypts one column value: ``str`` (as UTF-8) or bytes. ``None`` stays ``None`` (SQL NULL is
    never encrypted); the empty string becomes a real envelope, so NULL and "" stay distinct."""
    if value is None:
        return None
    return encrypt_one(_source(key, purpose), _value(value), ad, DETERMINISTIC if deterministic else RANDOMIZED)


@overload
def decrypt_field(ciphertext: None, key: Key | KeySource, ad: Buffer | str | None = ..., *, text: bool = ..., purpose: str | bytes = ...) -> None: ...
@overload
def decrypt_field(ciphertext: Buffer, key: Key | KeySource, ad: Buffer | str | None = ..., *, text: bool = ..., purpose: str | bytes = ...) -> bytes | str: ...
def decrypt_field(ciphertext: Buffer | None, key: Key | KeySource, ad: Buffer | str | None = None, *, text: bool = False,
                  purpose: str | bytes = DEFAULT_PURPOSE) -> bytes | str | None:
    """Decrypts one column value; ``None`` stays ``None``. Returns bytes, or ``str`` (UTF-8) when
    ``text=True``."""
    if ciphertext is None:
        return None
    plaintext = decrypt_one(_source(key, purpose), ciphertext, ad)
    return text_of(plaintext) if text else plaintext


def encrypt_fields(values: Iterable[Value | None], key: Key | KeySource, deterministic: bool = False, ad: Buffer | str | None = None,
                   *, purpose: str | bytes = DEFAULT_PURPOSE) -> list[bytes | None]:
    """Encrypts many column values in ONE native call (large batches use every core).

    Same rules as :func:`encrypt_field` for each value; every value shares ``ad``. Returns a list of
    the same length, ``None`` where the value was ``None``."""
    return encrypt_many(_source(key, purpose), values, DETERMINISTIC if deterministic else RANDOMIZED, ad)


def decrypt_fields(ciphertexts: Iterable[Buffer | None], key: Key | KeySource, ad: Buffer | str | None = None, *, text: bool = False,
                   purpose: str | bytes = DEFAULT_PURPOSE) -> list[Any]:
    """Decrypts many envelopes in ONE native call; ``None`` stays ``None``.

    If any envelope fails, raises the error of the first one (its position is in the message) and
    returns nothing: no partial results."""
    return decrypt_many(_source(key, purpose), ciphertexts, ad, text, "raise")

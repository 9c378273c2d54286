"""Searching encrypted columns: blind indexes and FF1 format-preserving encryption (docs/search.md).

Both run in the native library under keys derived from a key source's DEK per purpose and version
(HKDF-SHA-256, labels ``phicrypto/blind-index/v1`` and ``phicrypto/ff1/v1``)::

    ssn = IndexDefinition.exact("ssn", bits=19)
    stored = blind_index(source, "123-45-6789", ssn)             # store beside the AES-GCM value
    lookups = blind_index_query(source, "123-45-6789", ssn)      # [(version, value), ...] newest first
    name = IndexDefinition.prefix("last_name_prefix", 16, 3, 6)  # case-insensitive by default
    blind_index_batch(source, ["Smithson", "Li"], name)          # [[len 3, 4, 5, 6 values], []]

    ct = ff1_encrypt(key, "123456789")                           # FF1 under the key's bytes (NIST)
    ct, version = ff1_encrypt_versioned(source, "123456789")     # under the source's active version
    ff1_decrypt(source, ct, version=version)

A plain :class:`Key` stands for version 1 of ``purpose`` for blind indexes; for FF1 it is the AES key
itself (16, 24 or 32 bytes), as other FF1 implementations and the NIST samples use it. Through a
:class:`KeySource` the FF1 tweak is ``UTF-8(purpose) || 0x00 || tweak``.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ._cdef import PHI_INDEX_COMPOUND, PHI_INDEX_EXACT, PHI_INDEX_PREFIX, PHI_NORM_CASE_INSENSITIVE
from ._errors import ERR_BUFFER_TOO_SMALL, raise_for
from ._ffi import ffi, lib
from ._fields import DEFAULT_PURPOSE, _source
from ._keys import Key
from ._sources import KeySource
from ._util import Buffer, as_buffer, call_for_text

_KINDS = {"exact": PHI_INDEX_EXACT, "prefix": PHI_INDEX_PREFIX, "compound": PHI_INDEX_COMPOUND}
_NULL = 2**64 - 1  # SIZE_MAX: a NULL field of a compound row
_MAX_FF1 = 256
_tls = threading.local()


@dataclass(frozen=True)
class IndexDefinition:
    """What one blind index computes. ``name`` is part of the key derivation: two indexes of one
    purpose never share a key. ``case_insensitive`` has one entry per field (one field except for
    compound indexes): NFKC, case folding and whitespace collapse, which serve ``iexact`` and
    ``istartswith``. Values are ``ceil(bits / 8)`` bytes."""

    name: str
    bits: int = 32
    kind: str = "exact"
    case_insensitive: tuple[bool, ...] = (False,)
    min_prefix: int = 0
    max_prefix: int = 0

    @classmethod
    def exact(cls, name: str, bits: int = 32, case_insensitive: bool = False) -> IndexDefinition:
        return cls(name, bits, "exact", (bool(case_insensitive),))

    @classmethod
    def prefix(cls, name: str, bits: int, min_prefix: int, max_prefix: int, case_insensitive: bool = True) -> IndexDefinition:
        return cls(name, bits, "prefix", (bool(case_insensitive),), min_prefix, max_prefix)

    @classmethod
    def compound(cls, name: str, bits: int, *case_insensitive: bool) -> IndexDefinition:
        return cls(name, bits, "compound", tuple(bool(c) for c in case_insensitive))

    @property
    def value_length(self) -> int:
        return (self.bits + 7) // 8

    def _args(self) -> tuple[Any, ...]:
        # (kind, bits, normalizations, min_prefix, max_prefix, name): the struct-free ABI form.
        kind = _KINDS.get(self.kind)
        if kind is None:
            raise ValueError("kind must be 'exact', 'prefix' or 'compound'")
        for n, v in (("bits", self.bits), ("min_prefix", self.min_prefix), ("max_prefix", self.max_prefix)):
            if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= 0xFFFFFFFF:
                raise ValueError(f"{n} must be an int of 0 to 2**32 - 1")
        if not isinstance(self.name, str) or "\0" in self.name:
            raise ValueError("name must be a str without NUL")
        norms = sum(PHI_NORM_CASE_INSENSITIVE << i for i, ci in enumerate(self.case_insensitive) if ci)
        return kind, self.bits, norms, self.min_prefix, self.max_prefix, self.name.encode("utf-8")


def _definition(definition: IndexDefinition | None, name: str | None, bits: int, case_insensitive: bool) -> IndexDefinition:
    if definition is not None:
        if not isinstance(definition, IndexDefinition):
            raise TypeError("definition must be an IndexDefinition")
        return definition
    if name is None:
        raise TypeError("give an IndexDefinition or name=")
    return IndexDefinition.exact(name, bits, case_insensitive)


def _version(version: int | None) -> int:
    if version is None:
        return 0
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= 0xFFFFFFFF:
        raise ValueError("version must be 1 to 2**32 - 1 (None: the active version)")
    return version


def _utf8(value: object, what: str = "value") -> bytes:
    if isinstance(value, str):
        try:
            return value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"{what} is not valid Unicode text (unpaired surrogate)") from None
    raise TypeError(f"{what} must be a str, not {type(value).__name__}")


# ---------------------------------------------------------------- blind indexes

def blind_index(source_or_key: Key | KeySource, value: str | Sequence[str | None], definition: IndexDefinition | None = None, *,
                name: str | None = None, bits: int = 32, case_insensitive: bool = False, version: int | None = None,
                purpose: str | bytes = DEFAULT_PURPOSE) -> bytes:
    """The index value of ``value`` under ``version`` (None: the active one): for an exact index the
    value to store and to look up; for a prefix index the lookup value of ``startswith(value)``; for a
    compound index ``value`` is the row's fields (None for NULL). ``purpose`` applies to a plain Key."""
    d = _definition(definition, name, bits, case_insensitive)
    if d.kind == "compound":
        return blind_index_batch(source_or_key, [value], d, version=version, purpose=purpose)[0]  # type: ignore[return-value]
    source = _source(source_or_key, purpose)
    data = _utf8(value)
    out = ffi.new("uint8_t[]", max(d.value_length, 1))
    length = ffi.new("size_t *", d.value_length)
    rc = lib.phi_blind_index(source, _version(version), *d._args(), data, len(data), out, length)
    if rc:
        raise_for(rc)
    return ffi.buffer(out, length[0])[:]


def blind_index_batch(source_or_key: Key | KeySource, values: Iterable[Any], definition: IndexDefinition, *,
                      version: int | None = None, purpose: str | bytes = DEFAULT_PURPOSE) -> list[Any]:
    """The stored index values of many rows in one native call: exact, one ``bytes`` per value; prefix,
    a list per value (prefix lengths min_prefix.. up to the value's length); compound, one ``bytes``
    per row (each row a sequence of fields, None for NULL)."""
    d = _definition(definition, None, 0, False)
    source = _source(source_or_key, purpose)
    fields = len(d.case_insensitive) if d.kind == "compound" else 1
    parts: list[bytes] = []
    lengths: list[int] = []
    rows = 0
    for row in values:
        cells = list(row) if d.kind == "compound" else [row]
        if len(cells) != fields:
            raise ValueError(f"index {d.name!r} covers {fields} fields; a row has {len(cells)}")
        for cell in cells:
            if cell is None and d.kind == "compound":
                lengths.append(_NULL)
                continue
            b = _utf8(cell)
            parts.append(b)
            lengths.append(len(b))
        rows += 1
    packed = b"".join(parts)
    counts = ffi.new("size_t[]", max(rows, 1))
    n = d.value_length
    guess = rows * n * (max(d.max_prefix - d.min_prefix + 1, 1) if d.kind == "prefix" else 1)
    length = ffi.new("size_t *", guess)
    out = ffi.new("uint8_t[]", max(guess, 1))
    args = (source, _version(version), *d._args(), packed, ffi.new("size_t[]", lengths or [0]), rows, fields)
    rc = lib.phi_blind_index_batch(*args, out, length, counts)
    if rc == ERR_BUFFER_TOO_SMALL:
        out = ffi.new("uint8_t[]", length[0])
        rc = lib.phi_blind_index_batch(*args, out, length, counts)
    if rc:
        raise_for(rc)
    buf = ffi.buffer(out, length[0])[:]
    if d.kind != "prefix":
        return [buf[i * n:(i + 1) * n] for i in range(rows)]
    result, at = [], 0
    for i in range(rows):
        k = int(counts[i])
        result.append([buf[at + j * n:at + (j + 1) * n] for j in range(k)])
        at += k * n
    return result


def source_versions(source_or_key: Key | KeySource, *, purpose: str | bytes = DEFAULT_PURPOSE) -> list[int]:
    """The key versions the source can still decrypt with, newest first."""
    source = _source(source_or_key, purpose)
    count = ffi.new("size_t *", 8)
    versions = ffi.new("uint32_t[]", 8)
    rc = lib.phi_source_versions(source, versions, count)
    if rc == ERR_BUFFER_TOO_SMALL:
        versions = ffi.new("uint32_t[]", count[0])
        rc = lib.phi_source_versions(source, versions, count)
    if rc:
        raise_for(rc)
    return [int(versions[i]) for i in range(count[0])]


def blind_index_query(source_or_key: Key | KeySource, value: str | Sequence[str | None], definition: IndexDefinition, *,
                      purpose: str | bytes = DEFAULT_PURPOSE) -> list[tuple[int, bytes]]:
    """What to look up for ``value`` under every version that can still decrypt, newest first: rows
    written before a rotation are found until re-encryption rewrites their indexes."""
    return [(v, blind_index(source_or_key, value, definition, version=v, purpose=purpose))
            for v in source_versions(source_or_key, purpose=purpose)]


def plan_blind_index(rows: int, distinct: int, min_rows: int = 2, *, prefix: tuple[int, int] | None = None,
                     alphabet: int = 26) -> dict[str, Any]:
    """The index width for ``rows`` expected rows holding ``distinct`` distinct values, each index value
    matching at least ``min_rows`` rows (docs/search.md, "Choosing the width"): a dict with ``bits``,
    ``rows_per_unique_value``, ``rows_per_lookup``, ``distinct_values_per_index_value`` and
    ``warnings``; with ``prefix=(min, max)`` a ``prefixes`` list, one plan per prefix length."""
    lo, hi = prefix if prefix is not None else (0, 0)
    for n, v, top in (("rows", rows, 2**64 - 1), ("distinct", distinct, 2**64 - 1), ("min_rows", min_rows, 2**32 - 1),
                      ("prefix", lo, 2**32 - 1), ("prefix", hi, 2**32 - 1), ("alphabet", alphabet, 2**32 - 1)):
        if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= top:
            raise ValueError(f"{n} must be a non-negative int")
    if prefix is not None and hi == 0:
        raise ValueError("prefix lengths must satisfy 1 <= min <= max")
    return json.loads(call_for_text(lib.phi_blind_index_plan, rows, distinct, min_rows, lo, hi, alphabet, guess=512))  # type: ignore[no-any-return]


# ---------------------------------------------------------------- FF1 (NIST SP 800-38G Rev. 1)

class _Ff1Scratch:
    __slots__ = ("out", "length", "version")

    def __init__(self) -> None:
        self.out = ffi.new("char[]", _MAX_FF1)
        self.length = ffi.new("size_t *")
        self.version = ffi.new("uint32_t *")


def _scratch() -> _Ff1Scratch:
    try:
        return _tls.ff1  # type: ignore[no-any-return]
    except AttributeError:
        _tls.ff1 = s = _Ff1Scratch()
        return s


def _ff1_args(text: object, radix: object, tweak: object) -> tuple[bytes, int, Any]:
    if type(text) is not str:
        raise TypeError(f"FF1 text must be a str, not {type(text).__name__}")
    if type(radix) is not int or not 2 <= radix <= 36:
        raise ValueError("FF1 radix must be 2 to 36")
    if not text.isascii():
        raise ValueError(f"FF1 text must use the alphabet 0-9a-z (its first {radix} characters)")
    data = text.encode("ascii")
    if len(data) > _MAX_FF1:
        raise ValueError(f"FF1 inputs are limited to {_MAX_FF1} numerals")
    return data, radix, tweak if type(tweak) is bytes else as_buffer(tweak, "tweak")


def _key_handle(key: object) -> Any:
    if not isinstance(key, Key):
        raise TypeError(f"key must be a phicrypto.Key or KeySource, not {type(key).__name__}")
    return key.handle


def _ff1(fn: Any, head: tuple[Any, ...], data: bytes, radix: int, tweak: Any) -> str:
    s = _scratch()
    s.length[0] = _MAX_FF1
    rc = fn(*head, radix, tweak, len(tweak), data, len(data), s.out, s.length)
    if rc:
        raise_for(rc)
    return ffi.unpack(s.out, s.length[0]).decode("ascii")  # type: ignore[no-any-return]


def _ff1_source(source: KeySource, data: bytes, radix: int, tweak: Any, version: int | None) -> tuple[str, int]:
    s = _scratch()
    s.version[0] = 0 if version is None else _version(version)
    return _ff1(lib.phi_ff1_encrypt, (source.handle, s.version), data, radix, tweak), int(s.version[0])


def ff1_encrypt_versioned(source: KeySource, plaintext: str, radix: int = 10, tweak: Buffer = b"", *,
                          version: int | None = None) -> tuple[str, int]:
    """FF1-encrypts under the source's ``version`` (None: the active one); returns the ciphertext and
    the version used, which must be stored beside it (docs/search.md: rotation of FF1 values)."""
    if not isinstance(source, KeySource):
        raise TypeError("ff1_encrypt_versioned takes a KeySource")
    return _ff1_source(source, *_ff1_args(plaintext, radix, tweak), version)


def ff1_encrypt(key: Key | KeySource, plaintext: str, radix: int = 10, tweak: Buffer = b"", *, version: int | None = None) -> str:
    """FF1 (NIST SP 800-38G Rev. 1) over the alphabet 0-9a-z: the result has the input's length and
    radix. A :class:`Key` is the AES key itself (16/24/32 bytes); a :class:`KeySource` encrypts under
    its derived FF1 key of ``version`` (None: the active one; see :func:`ff1_encrypt_versioned`)."""
    data, radix, t = _ff1_args(plaintext, radix, tweak)
    if isinstance(key, KeySource):
        return _ff1_source(key, data, radix, t, version)[0]
    return _ff1(lib.phi_ff1_encrypt_key, (_key_handle(key),), data, radix, t)


def ff1_decrypt(key: Key | KeySource, ciphertext: str, radix: int = 10, tweak: Buffer = b"", *, version: int | None = None) -> str:
    """The inverse of :func:`ff1_encrypt`. Through a KeySource give the ``version`` the value was
    written under (None: the source's newest version). FF1 is not authenticated: a wrong key, tweak or
    version gives another valid-looking value, never an error."""
    data, radix, t = _ff1_args(ciphertext, radix, tweak)
    if isinstance(key, KeySource):
        v = _version(version) or source_versions(key)[0]
        return _ff1(lib.phi_ff1_decrypt, (key.handle, v), data, radix, t)
    return _ff1(lib.phi_ff1_decrypt_key, (_key_handle(key),), data, radix, t)

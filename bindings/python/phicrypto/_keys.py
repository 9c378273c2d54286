"""Key handles, key generation and key wrapping (AES-KW / AES-KWP, NIST SP 800-38F)."""
from __future__ import annotations

import threading
from typing import Any

from ._cdef import PHI_WRAP_AES_KW as WRAP_AES_KW
from ._cdef import PHI_WRAP_AES_KWP as WRAP_AES_KWP
from ._errors import KeySizeError, raise_for
from ._ffi import ffi, lib
from ._util import as_buffer, call_for_bytes

_MAX_CACHED_SOURCES = 64

# What some operation takes: AES-128/192/256 keys (KEKs, FF1; 32 bytes for DEKs and fields) and 64 bytes.
KEY_SIZES = (16, 24, 32, 64)
# AES-KW/KWP carry any key material from 16 to 64 bytes (multiples of 8 for KW): Key.for_wrapping.
_WRAPPABLE_SIZES = range(16, 65)


def _check_size(size: int) -> None:
    if size not in KEY_SIZES:
        raise KeySizeError(f"a {size}-byte key: keys are 16, 24, 32 or 64 bytes (32 for encrypt() and the field "
                           "functions); check where the key bytes come from")


class Key:
    """An opaque handle to a secret key held by the native library.

    The key bytes stay in native memory (pinned, zeroed when the key is closed or collected) and are
    never shown by ``repr``. They leave only through :meth:`export`. A Key is safe to share between
    threads; do not :meth:`close` it while another thread is still using it.
    """

    __slots__ = ("_ptr", "_lock", "_sources", "__weakref__")

    def __init__(self, _ptr: Any) -> None:
        # Keys come from generate_key(), Key.from_bytes() or key_unwrap(), not from this constructor.
        self._ptr = ffi.gc(_ptr, lib.phi_key_free)
        self._lock = threading.Lock()
        self._sources: dict[Any, Any] = {}  # purpose -> KeySource of version 1, for the module functions

    @classmethod
    def generate(cls, size: int = 32) -> Key:
        """A new random key of ``size`` bytes (16, 24, 32 or 64; 32 for AES-256) from the OS CSPRNG."""
        if not isinstance(size, int):
            raise TypeError("size must be an int")
        _check_size(size)
        out = ffi.new("phi_key **")
        rc = lib.phi_key_generate(size, out)
        if rc:
            raise_for(rc)
        return cls(out[0])

    @classmethod
    def from_bytes(cls, raw: bytes | bytearray | memoryview) -> Key:
        """Imports raw key bytes (16, 24, 32 or 64): an explicit import, for keys made elsewhere.
        Any other length raises KeySizeError here, not at the key's first use."""
        data = as_buffer(raw, "raw")
        _check_size(len(data))
        return cls._import(data)

    @classmethod
    def for_wrapping(cls, raw: bytes | bytearray | memoryview) -> Key:
        """Key material of any length from 16 to 64 bytes, only to be wrapped with aes_key_wrap()
        (AES-KWP carries any such length, AES-KW multiples of 8). As a cipher key, only what
        from_bytes() accepts works."""
        data = as_buffer(raw, "raw")
        if len(data) not in _WRAPPABLE_SIZES:
            raise KeySizeError(f"key material of {len(data)} bytes: AES key wrapping carries 16 to 64 bytes")
        return cls._import(data)

    @classmethod
    def _import(cls, data: Any) -> Key:
        out = ffi.new("phi_key **")
        rc = lib.phi_key_import(data, len(data), out)
        if rc:
            raise_for(rc)
        return cls(out[0])

    @property
    def size(self) -> int:
        """The key's length in bytes."""
        size = ffi.new("size_t *")
        rc = lib.phi_key_size(self.handle, size)
        if rc:
            raise_for(rc)
        return int(size[0])

    def export(self) -> bytes:
        """The raw key bytes: an explicit export, for wrapping elsewhere or an offline backup."""
        size = self.size
        out = ffi.new("uint8_t[]", size)
        length = ffi.new("size_t *", size)
        rc = lib.phi_key_export(self.handle, out, length)
        if rc:
            raise_for(rc)
        try:
            return ffi.buffer(out, length[0])[:]
        finally:
            ffi.memmove(out, b"\0" * size, size)

    @property
    def handle(self) -> Any:
        """The native ``phi_key *`` (for other cffi code); raises ValueError once closed."""
        ptr = self._ptr
        if ptr is None:
            raise ValueError("the key is closed")
        return ptr

    def source(self, purpose: str | bytes = "phicrypto.default", version: int = 1) -> Any:
        """A :class:`KeySource` over a copy of this key, standing for key ``version`` of ``purpose``
        (the purpose every field envelope made through it is bound to)."""
        from ._sources import KeySource

        return KeySource._from_key(self.handle, version, purpose, self)

    def _handle_for(self, purpose: str | bytes) -> Any:
        """The source handle the module functions use for ``purpose`` (version 1), cached: a field
        call stays one native call. A dropped cache entry is freed only once no call holds it."""
        source = self._sources.get(purpose)
        if source is None:
            with self._lock:
                if len(self._sources) >= _MAX_CACHED_SOURCES:
                    self._sources.clear()
                source = self._sources[purpose] = self.source(purpose)
        return source._ptr

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has run."""
        return self._ptr is None

    def close(self) -> None:
        """Zeroes and releases the native key now rather than at garbage collection. Idempotent."""
        with self._lock:
            ptr, self._ptr = self._ptr, None
            sources, self._sources = list(self._sources.values()), {}
        for source in sources:
            source.close()
        if ptr is not None:
            ffi.release(ptr)

    def __enter__(self) -> Key:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return "<phicrypto.Key closed>" if self._ptr is None else f"<phicrypto.Key {self.size} bytes>"

    def __reduce__(self) -> Any:
        raise TypeError("a Key cannot be pickled: wrap it with key_wrap() or export() it explicitly")


def generate_key(size: int = 32) -> Key:
    """A new random key, by default 32 bytes (AES-256): e.g. a key-encryption key (KEK)."""
    return Key.generate(size)


def generate_encryption_key() -> Key:
    """A new random 32-byte key for encrypt()/decrypt() and the other field functions."""
    return Key.generate(32)


def generate_data_encryption_key() -> Key:
    """A new random 32-byte data-encryption key (DEK), to be stored wrapped with key_wrap()."""
    return Key.generate(32)


def _check_key(key: object, name: str) -> Key:
    if not isinstance(key, Key):
        raise TypeError(f"{name} must be a phicrypto.Key, not {type(key).__name__}")
    return key


def key_wrap(dek: Key, kek: Key, version: int = 1) -> bytes:
    """Wraps ``dek`` under ``kek`` into a versioned record (57 bytes for a 32-byte DEK).

    Record layout (integers big-endian)::

        "PHWK" | 0x01 | version (uint32) | AES-KWP(kek, version (uint32) || dek)

    AES-KWP is NIST SP 800-38F / RFC 5649. The version is readable without the KEK
    (:func:`wrapped_key_version`) and is also inside the wrap, so editing it is detected.
    """
    _check_key(dek, "dek")
    _check_key(kek, "kek")
    if not isinstance(version, int) or isinstance(version, bool):
        raise TypeError("version must be an int")
    if not 1 <= version <= 0xFFFFFFFF:
        raise ValueError("version must be 1 to 2**32 - 1")
    return call_for_bytes(lib.phi_key_wrap_record, kek.handle, dek.handle, version)


def key_unwrap(wrapped: bytes | bytearray | memoryview, kek: Key) -> Key:
    """Unwraps a record made by :func:`key_wrap`. Raises AuthenticationError for a wrong KEK or an
    altered record, FormatError for bytes that are not a record."""
    _check_key(kek, "kek")
    data = as_buffer(wrapped, "wrapped")
    out = ffi.new("phi_key **")
    rc = lib.phi_key_unwrap_record(kek.handle, data, len(data), out, ffi.NULL)
    if rc:
        raise_for(rc)
    return Key(out[0])


def wrapped_key_version(wrapped: bytes | bytearray | memoryview) -> int:
    """The key version recorded in a :func:`key_wrap` record, read without the KEK."""
    data = as_buffer(wrapped, "wrapped")
    version = ffi.new("uint32_t *")
    rc = lib.phi_key_record_version(data, len(data), version)
    if rc:
        raise_for(rc)
    return int(version[0])


def aes_key_wrap(key: Key, kek: Key, *, padded: bool = True) -> bytes:
    """Plain AES key wrap of ``key`` under ``kek``: RFC 5649 (KWP, default) or RFC 3394 (KW,
    ``padded=False``; the key must be a multiple of 8 bytes). No version record."""
    _check_key(key, "key")
    _check_key(kek, "kek")
    return call_for_bytes(lib.phi_key_wrap, kek.handle, key.handle, WRAP_AES_KWP if padded else WRAP_AES_KW, guess=80)


def aes_key_unwrap(wrapped: bytes | bytearray | memoryview, kek: Key, *, padded: bool = True) -> Key:
    """Inverse of :func:`aes_key_wrap`; raises AuthenticationError on a wrong KEK or altered input."""
    _check_key(kek, "kek")
    data = as_buffer(wrapped, "wrapped")
    out = ffi.new("phi_key **")
    rc = lib.phi_key_unwrap(kek.handle, WRAP_AES_KWP if padded else WRAP_AES_KW, data, len(data), out)
    if rc:
        raise_for(rc)
    return Key(out[0])

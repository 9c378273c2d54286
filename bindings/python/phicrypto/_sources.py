"""KeySource: what every field and stream call takes, as the C ABI's ``phi_source``.

A source is a raw Key standing for one key version of a purpose (``Key.source(purpose)``), or a
Keyring plus ONE purpose (``Keyring.source(purpose)``). Encryption uses the source's active version;
decryption takes the version the ciphertext names, from this source only: a "files" source refuses a
"backups" message or envelope (KeyNotFoundError). The purpose is also what every field envelope made
through the source is bound to.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import _fields
from ._errors import raise_for
from ._ffi import ffi, lib
from ._util import Buffer

def purpose_bytes(purpose: str | bytes) -> bytes:
    """A purpose as the C ABI takes it: UTF-8 without NUL (a C string); the library checks the rest."""
    if isinstance(purpose, str):
        purpose = purpose.encode("utf-8")
    if not isinstance(purpose, bytes):
        raise TypeError("purpose must be str or bytes")
    if b"\0" in purpose:
        raise ValueError("purpose must contain no NUL")
    return purpose


class KeySource:
    """A raw key or a keyring purpose. Thread-safe; close it (or let it be collected) to release it.
    Made by :meth:`Key.source` and :meth:`Keyring.source`, not by this constructor."""

    __slots__ = ("_ptr", "purpose", "_owner", "__weakref__")

    def __init__(self, ptr: Any, purpose: str, owner: object) -> None:
        self._ptr = ffi.gc(ptr, lib.phi_source_free)
        self.purpose = purpose
        self._owner = owner  # the Key or Keyring it came from, kept alive while the source is

    @classmethod
    def _from_key(cls, key_handle: Any, version: int, purpose: str | bytes, owner: object) -> KeySource:
        if not isinstance(version, int) or isinstance(version, bool):
            raise TypeError("version must be an int")
        if not 1 <= version <= 0xFFFFFFFF:
            raise ValueError("version must be 1 to 2**32 - 1")
        p = purpose_bytes(purpose)
        out = ffi.new("phi_source **")
        rc = lib.phi_source_from_key(key_handle, version, p, out)
        if rc:
            raise_for(rc)
        return cls(out[0], p.decode("utf-8"), owner)

    @classmethod
    def _from_keyring(cls, keyring_handle: Any, purpose: str, owner: object) -> KeySource:
        if not isinstance(purpose, str):
            raise TypeError("purpose must be a str")
        out = ffi.new("phi_source **")
        rc = lib.phi_source_from_keyring(keyring_handle, purpose_bytes(purpose), out)
        if rc:
            raise_for(rc)
        return cls(out[0], purpose, owner)

    @property
    def handle(self) -> Any:
        """The native ``phi_source *``; raises ValueError once closed."""
        ptr = self._ptr
        if ptr is None:
            raise ValueError("the key source is closed")
        return ptr

    def _handle_for(self, purpose: str | bytes) -> Any:
        # The module functions' purpose= must agree with the source's own (it is bound into envelopes).
        if purpose is not _fields.DEFAULT_PURPOSE and purpose_bytes(purpose) != self.purpose.encode("utf-8"):
            raise ValueError(f"this key source is for purpose {self.purpose!r}")
        return self.handle

    def close(self) -> None:
        """Releases the source now (a raw key source zeroes its key copy). Idempotent."""
        ptr, self._ptr = self._ptr, None
        if ptr is not None:
            ffi.release(ptr)

    def __enter__(self) -> KeySource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<phicrypto.KeySource {self.purpose!r}{' closed' if self._ptr is None else ''}>"

    def __reduce__(self) -> Any:
        raise TypeError("a KeySource cannot be pickled")

    # ---- fields

    def encrypt(self, value: _fields.Value | None, deterministic: bool = False, ad: Buffer | str | None = None) -> bytes | None:
        """Encrypts a column value (str as UTF-8, or bytes) under the active version; None stays None."""
        if value is None:
            return None
        return _fields.encrypt_one(self.handle, _fields._value(value), ad, _fields.DETERMINISTIC if deterministic else _fields.RANDOMIZED)

    def decrypt(self, ciphertext: Buffer | None, ad: Buffer | str | None = None, *, text: bool = False) -> bytes | str | None:
        """Decrypts with the version the envelope names; None stays None; ``text=True`` returns str."""
        if ciphertext is None:
            return None
        plaintext = _fields.decrypt_one(self.handle, ciphertext, ad)
        return _fields.text_of(plaintext) if text else plaintext

    def encrypt_fields(self, values: Iterable[_fields.Value | None], deterministic: bool = False,
                       ad: Buffer | str | None = None) -> list[bytes | None]:
        """Encrypts many values in one native call; None stays None."""
        return _fields.encrypt_many(self.handle, values, _fields.DETERMINISTIC if deterministic else _fields.RANDOMIZED, ad)

    def decrypt_fields(self, ciphertexts: Iterable[Buffer | None], ad: Buffer | str | None = None, *, text: bool = False,
                       errors: str = "raise") -> list[Any]:
        """Decrypts many envelopes (of any versions of this source) in one native call. ``errors="raise"``
        raises the first failure; ``errors="return"`` puts each failure's exception in its place."""
        return _fields.decrypt_many(self.handle, ciphertexts, ad, text, errors)

    def search_ciphertexts(self, value: _fields.Value, ad: Buffer | str | None = None) -> list[bytes]:
        """The deterministic ciphertexts of ``value`` under every version that can still decrypt,
        newest first: filter with ``column__in=...`` to find rows written before a rotation."""
        return _fields.search(self.handle, value, ad)

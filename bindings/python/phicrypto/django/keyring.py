"""The process-wide keyring: opened on first use, shared by threads, kept fresh.

Another process may rotate a purpose at any time. Two rules keep this process in step without a
round trip per value: a ciphertext naming a version we do not know triggers one reload, and the active
version (what new values are written under) is re-read once CACHE_TTL seconds have passed.
"""
from __future__ import annotations

import os
import threading
import time
from typing import Sequence

from django.db import connections

from . import _engine, conf
from ._engine import KeyNotFoundError, read_header

_lock = threading.Lock()
_shared: "SharedKeyring | None" = None

# How old a confirmed "one version" answer may be when a unique field is written. A bulk_create's
# rows share one confirmation; a rotation committed meanwhile races the write as any concurrent
# rotation would (docs/django.md, Uniqueness).
UNIQUE_RECHECK = 0.1

def _store_decrypting_versions(purpose: str) -> int | None:
    """How many versions of ``purpose`` can decrypt, read from the store's plain columns (one small
    query), or None for a store named by URL (the caller reloads). A forged count can only make the
    writer reload and check more, never less: the reload reads authenticated records."""
    alias = conf.store_alias()
    if alias is None:
        return None
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM public.phicrypto_key_records WHERE purpose = %s AND state NOT IN %s",
                       [purpose, _engine.NOT_DECRYPTING])
        return cursor.fetchone()[0]


class SharedKeyring:
    clock = staticmethod(time.monotonic)  # tests move time forward by replacing this

    def __init__(self, engine: _engine.Engine, ttl: float, create_on_first_use: bool):
        self.engine, self.ttl, self.create_on_first_use = engine, ttl, create_on_first_use
        self._loaded_at = self.clock()
        self._reload_lock = threading.Lock()
        self._single_checked: dict[str, float] = {}  # purpose -> when the store confirmed one version

    # ---- freshness
    def reload(self) -> None:
        with self._reload_lock:
            self.engine.reload()
            self._loaded_at = self.clock()

    def _fresh(self) -> None:
        if self.clock() - self._loaded_at >= self.ttl:
            self.reload()

    def _writable(self, purpose: str) -> None:
        self._fresh()
        if self.engine.active_version(purpose) is None:
            self.reload()
            if self.engine.active_version(purpose) is None:
                if not self.create_on_first_use:
                    raise KeyNotFoundError(f"no key for purpose {purpose}: run `manage.py phicrypto keys init`")
                self.engine.ensure([purpose])
                self._loaded_at = self.clock()

    def _knows(self, purpose: str, envelope: bytes) -> None:
        _, version, _ = read_header(envelope)
        if version not in {v.version for v in self.engine.versions(purpose)}:
            self.reload()

    # ---- field operations
    def encrypt(self, purpose: str, plaintext: bytes, deterministic: bool) -> bytes:
        self._writable(purpose)
        return self.engine.encrypt(purpose, plaintext, deterministic)

    def encrypt_many(self, purpose: str, values: Sequence[bytes], deterministic: bool) -> list[bytes]:
        self._writable(purpose)
        return self.engine.encrypt_many(purpose, values, deterministic)

    # An unknown version in a ciphertext makes the native keyring reload once by itself (at most once
    # a second); the explicit reload here covers a second unknown version within that second.
    def decrypt(self, purpose: str, envelope: bytes) -> bytes:
        try:
            return self.engine.decrypt(purpose, envelope)
        except KeyNotFoundError:
            self._knows(purpose, envelope)
            return self.engine.decrypt(purpose, envelope)

    def decrypt_many(self, purpose: str, envelopes: Sequence[bytes]) -> list:
        results = self.engine.decrypt_many(purpose, envelopes)
        if KeyNotFoundError not in map(type, results):  # the common case, scanned in C
            return results
        missing = [i for i, r in enumerate(results) if isinstance(r, KeyNotFoundError)]
        if missing:
            self.reload()
            again = self.engine.decrypt_many(purpose, [envelopes[i] for i in missing])
            for i, r in zip(missing, again):
                results[i] = r
        return results

    def search_is_single(self, purpose: str) -> bool:
        """True when a value has at most one deterministic envelope (one version can decrypt), so
        that the column's unique index alone sees every duplicate. A copy that says "one version"
        may be up to CACHE_TTL old while another process has rotated and written under version 2:
        that answer is confirmed with the store, at most every UNIQUE_RECHECK seconds per purpose."""
        self._fresh()
        if self.engine.decrypting_versions(purpose) >= 2:
            return False
        now = self.clock()
        if now - self._single_checked.get(purpose, -UNIQUE_RECHECK) < UNIQUE_RECHECK:
            return True
        stored = _store_decrypting_versions(purpose)
        if stored is None or stored >= 2:
            self.reload()
        self._single_checked[purpose] = now
        return self.engine.decrypting_versions(purpose) < 2

    def search(self, purpose: str, plaintext: bytes) -> list[bytes]:
        self._fresh()
        return self.engine.search(purpose, plaintext)

    def encrypt_bound(self, purpose: str, plaintext: bytes, ad: bytes) -> bytes:
        self._writable(purpose)
        return self.engine.encrypt_bound(purpose, plaintext, ad)

    def decrypt_bound(self, purpose: str, envelope: bytes, ad: bytes) -> bytes:
        return self.engine.decrypt_bound(purpose, envelope, ad)

    def version_of(self, envelope: bytes) -> int:
        return read_header(envelope)[1]

    def active_version(self, purpose: str) -> int | None:
        self._fresh()
        return self.engine.active_version(purpose)


def get_keyring() -> SharedKeyring:
    global _shared
    ring = _shared
    if ring is None:
        with _lock:
            if _shared is None:
                engine = _engine.Engine(conf.store_url(), _engine.KekSource(conf.get("KEK")))
                _shared = SharedKeyring(engine, float(conf.get("CACHE_TTL")), bool(conf.get("CREATE_ON_FIRST_USE")))
            ring = _shared
    return ring


def _forget_in_child() -> None:
    """After fork (gunicorn --preload, multiprocessing) the child must not use the parent's keyring
    (its database connections and native threads): drop it without closing and open a new one. It is
    kept referenced, never freed here: freeing it would close the parent's database sessions."""
    global _shared
    if _shared is not None:
        _orphans.append(_shared)
    _shared = None


_orphans: list = []


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)


def reset() -> None:
    """Forgets the shared keyring (settings changed, tests)."""
    global _shared
    with _lock:
        if _shared is not None:
            _shared.engine.close()
        _shared = None

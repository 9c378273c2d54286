"""Access audit: who read which encrypted field of which row, under which key version.

An event is emitted when a model instance's encrypted value is first read (the decrypt). Sinks:
the ``phicrypto.audit`` logger (default) or the ``phicrypto_access_event`` table, written in batches
over the sink's own connection (to the key store's database) so a rolled-back request still leaves
its reads on record.
PHICRYPTO["AUDIT"] is "off", "on" or a sampling rate.
"""
from __future__ import annotations

import atexit
import contextvars
import csv
import io
import logging
import random
import threading
import time
from datetime import datetime, timezone

from . import conf

logger = logging.getLogger("phicrypto.audit")
actor: contextvars.ContextVar[str | None] = contextvars.ContextVar("phicrypto_actor", default=None)

_rate: float | None = None
_sink: "Sink | None" = None
_lock = threading.Lock()


def set_actor(name: str | None):
    """Sets the actor for the current context; returns the token for ``actor.reset``."""
    return actor.set(name)


def enabled() -> bool:
    global _rate
    if _rate is None:
        _rate = conf.audit_rate()
    return _rate > 0.0


FIELDS = ("at", "actor", "action", "model", "field", "pk", "key_version")


def record(label: str, field: str, pk, version: int, action: str = "decrypt", always: bool = False) -> None:
    """``always``: recorded even when the audit is off or sampling (plaintext exports)."""
    rate = _rate if _rate is not None else conf.audit_rate()
    if not always and (rate <= 0.0 or (rate < 1.0 and random.random() >= rate)):
        return
    # A plain tuple on the hot path; sinks turn it into what they write.
    (_sink or _get_sink()).emit((time.time(), actor.get(), action, label, field, None if pk is None else str(pk), version))


def record_many(label: str, field: str, pks: list, versions: list, action: str = "decrypt") -> None:
    """The events of one column of one fetch: handed to the sink as one batch."""
    rate = _rate if _rate is not None else conf.audit_rate()
    if rate <= 0.0:
        return
    pairs = zip(pks, versions)
    if rate < 1.0:
        pairs = [(pk, v) for pk, v in pairs if random.random() < rate]
    (_sink or _get_sink()).emit_many(time.time(), actor.get(), action, label, field,
                                     [(None if pk is None else str(pk), v) for pk, v in pairs])


def as_dict(event: tuple) -> dict:
    d = dict(zip(FIELDS, event))
    d["at"] = datetime.fromtimestamp(d["at"], timezone.utc)
    return d


def flush() -> None:
    if _sink is not None:
        _sink.flush()


def reset() -> None:
    """Re-reads the settings (tests) after flushing what is buffered."""
    global _rate, _sink
    flush()
    if _sink is not None:
        _sink.close()
    _rate, _sink = None, None


def _get_sink() -> "Sink":
    global _sink
    if _sink is None:
        with _lock:
            if _sink is None:
                kind = conf.get("AUDIT_SINK")
                if kind == "logger":
                    _sink = LoggerSink()
                elif kind == "database":
                    _sink = DatabaseSink(int(conf.get("AUDIT_BATCH")))
                else:
                    from django.core.exceptions import ImproperlyConfigured
                    raise ImproperlyConfigured("PHICRYPTO['AUDIT_SINK'] must be 'logger' or 'database'")
    return _sink


class Sink:
    def emit(self, event: tuple) -> None:
        raise NotImplementedError

    def emit_many(self, at: float, who, action: str, label: str, field: str, rows: list) -> None:
        for pk, version in rows:
            self.emit((at, who, action, label, field, pk, version))

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


class LoggerSink(Sink):
    """One log record per event (``record.phicrypto``: the event), or per batch of one column of one
    fetch (``record.phicrypto``: the event with ``pks`` and ``key_versions`` lists instead of one each)."""

    def emit(self, event: tuple) -> None:
        if logger.isEnabledFor(logging.INFO):
            e = as_dict(event)
            logger.info("%(action)s %(model)s.%(field)s pk=%(pk)s key_version=%(key_version)s actor=%(actor)s",
                        e, extra={"phicrypto": e})

    def emit_many(self, at, who, action, label, field, rows) -> None:
        if rows and logger.isEnabledFor(logging.INFO):
            e = {"at": datetime.fromtimestamp(at, timezone.utc), "actor": who, "action": action, "model": label, "field": field,
                 "pks": [pk for pk, _ in rows], "key_versions": [v for _, v in rows]}
            logger.info("%s %s.%s %d value(s) pks=%s key_versions=%s actor=%s", action, label, field, len(rows),
                        ",".join(map(str, e["pks"])), ",".join(map(str, sorted(set(e["key_versions"])))), who, extra={"phicrypto": e})


class DatabaseSink(Sink):
    """Buffers events and inserts them ``batch`` at a time (and at request end and process exit)."""

    def __init__(self, batch: int):
        self.batch = max(1, batch)
        self._buffer: list[tuple] = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._conn = None
        atexit.register(self._flush_at_exit)

    def _flush_at_exit(self) -> None:
        try:
            self.flush()
        except Exception:  # the database may be gone at exit: say so, do not mask the exit
            logger.exception("phicrypto audit: %d buffered event(s) could not be written at exit", len(self._buffer))

    def emit(self, event: tuple) -> None:
        with self._lock:
            self._buffer.append(event)
            full = len(self._buffer) >= self.batch
        if full:
            self.flush()

    def emit_many(self, at, who, action, label, field, rows) -> None:
        with self._lock:
            self._buffer.extend((at, who, action, label, field, pk, v) for pk, v in rows)
            full = len(self._buffer) >= self.batch
        if full:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            events, self._buffer = self._buffer, []
        if not events:
            return
        # COPY, not INSERT: a busy page of patient rows can mean thousands of events per request.
        buf = io.StringIO()
        stamps = {at: datetime.fromtimestamp(at, timezone.utc).isoformat() for at in {e[0] for e in events}}
        csv.writer(buf).writerows((stamps[at], *rest) for at, *rest in events)
        buf.seek(0)
        with self._write_lock:
            if self._conn is None or self._conn.closed:
                import psycopg2
                self._conn = psycopg2.connect(conf.store_url())
            with self._conn, self._conn.cursor() as cur:
                cur.copy_expert("COPY phicrypto_access_event (at, actor, action, model, field, object_pk, key_version) "
                                "FROM STDIN WITH (FORMAT csv)", buf)

    def close(self) -> None:
        with self._write_lock:
            if self._conn is not None and not self._conn.closed:
                self._conn.close()
            self._conn = None

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
import os
import random
import re
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
    """The events of one column of one fetch: handed to the sink as one batch (pks as text)."""
    rate = _rate if _rate is not None else conf.audit_rate()
    if rate <= 0.0:
        return
    if rate < 1.0:
        kept = [(pk, v) for pk, v in zip(pks, versions) if random.random() < rate]
        pks, versions = [pk for pk, _ in kept], [v for _, v in kept]
    if pks:
        (_sink or _get_sink()).emit_many(time.time(), actor.get(), action, label, field, _pk_texts(pks), list(versions))


_last_pks: tuple = (None, None)  # (pks, their text): every column of a fetched block passes the same pks tuple


def _pk_texts(pks) -> list:
    """The pks as text, shared (never changed by a sink) by the batches of one block's columns. Only
    a tuple is remembered: it cannot change between the calls."""
    global _last_pks
    seen, text = _last_pks
    if seen is pks:
        return text  # type: ignore[return-value]
    text = list(map(str, pks)) if None not in pks else [None if pk is None else str(pk) for pk in pks]
    if type(pks) is tuple:
        _last_pks = (pks, text)
    return text


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

    def emit_many(self, at: float, who, action: str, label: str, field: str, pks: list, versions: list) -> None:
        for pk, version in zip(pks, versions):
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

    def emit_many(self, at, who, action, label, field, pks, versions) -> None:
        if logger.isEnabledFor(logging.INFO):
            e = {"at": datetime.fromtimestamp(at, timezone.utc), "actor": who, "action": action, "model": label, "field": field,
                 "pks": pks, "key_versions": versions}
            logger.info("%s %s.%s %d value(s) pks=%s key_versions=%s actor=%s", action, label, field, len(pks),
                        ",".join(map(str, e["pks"])), ",".join(map(str, sorted(set(e["key_versions"])))), who, extra={"phicrypto": e})


class DatabaseSink(Sink):
    """One row per batch of one field (its pks and key versions as arrays), written by COPY. When
    ``batch`` values are buffered a writer thread writes them while the fetch goes on; flush() (at
    request end and exit) waits for it and writes the rest, raising what failed. A batch the writer
    could not write is kept for that flush to try again and report."""

    def __init__(self, batch: int):
        self.batch = max(1, batch)
        self._new_process_state()
        atexit.register(self._flush_at_exit)

    def _new_process_state(self) -> None:
        self._buffer: list[tuple] = []  # (at, actor, action, model, field, pks, versions)
        self._values = 0
        self._busy = False     # the writer holds batches not yet written
        self._failed = False   # the writer's last write failed: leave the rest to flush()
        self._closed = False
        self._cond = threading.Condition()
        self._write_lock = threading.Lock()
        self._writer: threading.Thread | None = None
        self._conn = None
        self._last_array: tuple = (None, "")  # (pks list, its array literal)

    def after_fork_in_child(self) -> None:
        """The parent's buffer, writer and connection are the parent's: start afresh. The inherited
        connection is kept referenced, never closed: closing would end the parent's session."""
        if self._conn is not None:
            _inherited_connections.append(self._conn)
        self._new_process_state()

    def _flush_at_exit(self) -> None:
        try:
            self.flush()
        except Exception:  # the database may be gone at exit: say so, do not mask the exit
            logger.error("phicrypto audit: buffered events could not be written at exit")

    def emit(self, event: tuple) -> None:
        at, who, action, label, field, pk, version = event
        self._add((at, who, action, label, field, [pk], [version]), 1)

    def emit_many(self, at, who, action, label, field, pks, versions) -> None:
        self._add((at, who, action, label, field, pks, versions), len(pks))

    def _add(self, batch: tuple, count: int) -> None:
        with self._cond:
            self._buffer.append(batch)
            self._values += count
            if self._values >= self.batch and not self._failed:
                if self._writer is None:
                    self._writer = threading.Thread(target=self._write_loop, name="phicrypto-audit", daemon=True)
                    self._writer.start()
                self._cond.notify_all()

    def _take(self) -> list[tuple]:
        batches, self._buffer, self._values = self._buffer, [], 0
        return batches

    def _write_loop(self) -> None:
        while True:
            with self._cond:
                while (self._values < self.batch or self._failed) and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                batches, self._busy = self._take(), True
            try:
                self._write(batches)
            except Exception:  # no detail here: a COPY error quotes the row; flush() raises it
                logger.error("phicrypto audit: writing %d batch(es) failed; the next flush tries again", len(batches))
                with self._cond:
                    self._buffer[:0] = batches
                    self._values += sum(len(b[5]) for b in batches)
                    self._failed = True
            with self._cond:
                self._busy = False
                self._cond.notify_all()

    def flush(self) -> None:
        with self._cond:
            while self._busy:
                self._cond.wait()
            batches, self._failed = self._take(), False
        if batches:
            self._write(batches)

    def _write(self, batches: list[tuple]) -> None:
        def array(pks: list) -> str:  # a block's columns share one pks list (_pk_texts): its literal is built once
            seen, literal = self._last_array
            if seen is not pks:
                literal = _text_array(pks)
                self._last_array = (pks, literal)
            return literal
        buf = io.StringIO()
        csv.writer(buf).writerows(
            (datetime.fromtimestamp(at, timezone.utc).isoformat(), who, action, label, field, array(pks),
             "{" + ",".join(map(str, versions)) + "}") for at, who, action, label, field, pks, versions in batches)
        size = buf.tell() + 1  # one chunk: few GIL handovers
        buf.seek(0)
        with self._write_lock:
            if self._conn is None or self._conn.closed:
                import psycopg2
                self._conn = psycopg2.connect(conf.store_url())
            with self._conn, self._conn.cursor() as cur:
                cur.copy_expert("COPY phicrypto_access_event (at, actor, action, model, field, object_pks, key_versions) "
                                "FROM STDIN WITH (FORMAT csv)", buf, size=size)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        with self._write_lock:
            if self._conn is not None and not self._conn.closed:
                self._conn.close()
            self._conn = None


_inherited_connections: list = []


def _after_fork_in_child() -> None:
    if isinstance(_sink, DatabaseSink):
        _sink.after_fork_in_child()


os.register_at_fork(after_in_child=_after_fork_in_child)

_UNQUOTED_PKS = re.compile(r"[0-9A-Za-z_.:,-]*\Z")


def _text_array(items: list) -> str:
    """A PostgreSQL text[] literal: integer and UUID pks as they are, anything else quoted (a pk may
    hold any character), None as NULL."""
    if None not in items:
        joined = ",".join(items)
        if (_UNQUOTED_PKS.match(joined) and joined.count(",") == len(items) - 1  # no pk holds a comma: one element each
                and "" not in items and ("l" not in joined.lower() or "NULL" not in map(str.upper, items))):
            return "{" + joined + "}"
    return "{" + ",".join("NULL" if i is None else '"' + i.replace("\\", "\\\\").replace('"', '\\"') + '"' for i in items) + "}"

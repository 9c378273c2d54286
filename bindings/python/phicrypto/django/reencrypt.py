"""Online re-encryption of rows still under old key versions.

Each worker walks the table in primary-key order, one short transaction per batch:

    SELECT pk, f1, f2 FROM t WHERE pk > :last AND (f1 is under an old version OR ...)
     ORDER BY pk LIMIT :n FOR UPDATE SKIP LOCKED
    -> decrypt the batch, encrypt it under the active version (one batch call per field)
    -> UPDATE t SET ... FROM (VALUES ...) WHERE t.pk = v.pk; COMMIT

A row is "old" when its envelope header is not the active version's header, computed in SQL, so
the work left is always in the data itself: stopping and starting again resumes, and several workers
on one or many machines share a table (a row locked by one is skipped by the others, and once
committed it is no longer old). Rows the application is writing are locked by it, skipped, and
picked up by a later pass; the run ends when no old row is left.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router, transaction

from . import _engine, binding, search
from .fields import DecryptionError, EncryptedMixin, _reason
from .keyring import get_keyring


def encrypted_fields(model) -> list:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedMixin) and f.model is model]


def all_purposes() -> list[str]:
    return sorted({f.purpose for m in apps.get_models() for f in encrypted_fields(m)})


def targets(label: str | None):
    """[(model, [fields])] for '', 'app', 'app.Model' or 'app.Model.field'."""
    parts = label.split(".") if label else []
    if len(parts) > 3:
        raise ImproperlyConfigured("expected app_label[.Model[.field]]")
    models = [m for m in apps.get_models() if encrypted_fields(m)]
    if parts:
        models = [m for m in models if m._meta.app_label == parts[0]]
    if len(parts) >= 2:
        models = [m for m in models if m.__name__.lower() == parts[1].lower()]
    result = []
    for model in models:
        fields = [f for f in encrypted_fields(model) if len(parts) < 3 or f.name == parts[2]]
        if fields:
            result.append((model, fields))
    if label and not result:
        raise ImproperlyConfigured(f"no encrypted field matches {label}")
    return result


def _header_sql(field, column: str) -> str:
    if field.storage == "text":  # the first 8 base64url characters after "phi:" are 6 whole bytes
        return f"decode(translate(substr({column}, 5, 8), '-_', '+/'), 'base64')"
    return column


def version_counts(model, field, using: str) -> dict[int, int]:
    """{key version: rows} of ``field``'s column, read from the envelope headers alone: SQL fetches the
    first byte (versions 1..31) or the six-byte header prefix (a varint version), never a whole value."""
    connection = connections[using]
    qn = connection.ops.quote_name
    head = _header_sql(field, qn(field.column))
    sql = (f"SELECT h, count(*) FROM (SELECT CASE WHEN get_byte(p, 0) & 31 <> 0 THEN substring(p from 1 for 1) ELSE p END AS h "
           f"FROM (SELECT substring({head} from 1 for {_engine.MAX_HEADER}) AS p FROM {qn(model._meta.db_table)} "
           f"WHERE {qn(field.column)} IS NOT NULL) r) s GROUP BY h")
    counts: dict[int, int] = {}
    with connection.cursor() as cur:
        cur.execute(sql)
        found = cur.fetchall()
    for version, (_, rows) in zip(_engine.header_versions([prefix for prefix, _ in found]), found):
        if version is None:  # fail closed: a scan that cannot read a header proves nothing about versions
            raise _engine.FormatError(f"{model._meta.label}.{field.name}: {rows} value(s) with a malformed envelope header")
        counts[version] = counts.get(version, 0) + rows
    return counts


@dataclass
class Progress:
    total: int = 0
    done: int = 0


@dataclass
class Skipped:
    """A row left as it was because one of its values does not decrypt (on_error="skip")."""
    model: str
    field: str
    pk: object
    reason: str

    def __str__(self):
        return f"{self.model}.{self.field} of pk={self.pk}: {self.reason}"


class Reencryptor:
    """``on_error``: "stop" raises DecryptionError (model, field, pk) at the first value that does
    not decrypt, after the batches before it committed; "skip" leaves such rows as they are, lists
    them in ``skipped`` and goes on."""

    def __init__(self, model, fields, batch_size: int = 1000, on_progress=None, on_error: str = "stop"):
        if on_error not in ("stop", "skip"):
            raise ValueError("on_error must be 'stop' or 'skip'")
        self.model, self.fields, self.batch_size = model, fields, max(1, batch_size)
        self.on_progress = on_progress or (lambda p: None)
        self.on_error, self.skipped = on_error, []
        self.using = router.db_for_write(model)
        self.ring = get_keyring()
        self.progress = Progress()

    def _plan(self, connection):
        qn = connection.ops.quote_name
        table, pk = qn(self.model._meta.db_table), self.model._meta.pk
        self.ring.reload()
        predicates, params, self.heads = [], [], []
        for f in self.fields:
            active = self.ring.active_version(f.purpose)
            if active is None:
                raise _engine.KeyNotFoundError(f"no active key for {f.purpose}: run `manage.py phicrypto keys init`")
            head = _engine.header(int(f.deterministic), active)
            self.heads.append(head)
            col = qn(f.column)
            predicates.append(f"({col} IS NOT NULL AND substring({_header_sql(f, col)} from 1 for {len(head)}) <> %s)")
            params.append(head)
        self.old_sql, self.old_params = " OR ".join(predicates), params
        self.table, self.pk_col, self.pk_type = table, qn(pk.column), pk.rel_db_type(connection)
        self.cols = [qn(f.column) for f in self.fields]
        # Row-bound fields also need the values their AD is made of (binding.py).
        self.bound = sorted({binding.target_field(self.model, n).attname for f in self.fields for n in binding.bound_names(f)})
        self.bound_cols = [qn(self.model._meta.get_field(a).column) if a != pk.attname else self.pk_col for a in self.bound]

    def status(self) -> list[tuple]:
        """[(field, rows with a value, rows under an old version)]: the work left, read from the data."""
        connection = connections[self.using]
        self._plan(connection)
        out = []
        with connection.cursor() as cur:
            for f, col, head in zip(self.fields, self.cols, self.heads):
                cur.execute(f"SELECT count({col}), count(*) FILTER (WHERE substring({_header_sql(f, col)} from 1 for {len(head)}) <> %s) "
                            f"FROM {self.table}", [head])
                total, old = cur.fetchone()
                out.append((f, total, old))
        return out

    def remaining(self) -> int:
        skipped = [s.pk for s in self.skipped]
        with connections[self.using].cursor() as cur:
            cur.execute(f"SELECT count(*) FROM {self.table} WHERE ({self.old_sql}) AND NOT ({self.pk_col} = ANY(%s::{self.pk_type}[]))",
                        self.old_params + [skipped])
            return cur.fetchone()[0]

    def run(self) -> int:
        """Re-encrypts until no old row is left; returns the rows this worker updated."""
        connection = connections[self.using]
        self._plan(connection)
        self.progress.total = self.remaining()
        self.on_progress(self.progress)
        while True:
            last = None
            while True:
                rows, last = self._batch(connection, last)
                if rows is None:
                    break
            if self.remaining() == 0:
                return self.progress.done
            time.sleep(0.05)  # rows locked by the application or another worker: let them commit

    def _batch(self, connection, last):
        after = "" if last is None else f"{self.pk_col} > %s AND "
        params = ([] if last is None else [last]) + self.old_params + [self.batch_size]
        with transaction.atomic(using=self.using), connection.cursor() as cur:
            cur.execute(f"SELECT {self.pk_col}, {', '.join(self.cols + self.bound_cols)} FROM {self.table} WHERE {after}({self.old_sql}) "
                        f"ORDER BY {self.pk_col} LIMIT %s FOR UPDATE SKIP LOCKED", params)
            rows = cur.fetchall()
            if not rows:
                return None, last
            columns = [self._reseal(i, f, rows) for i, f in enumerate(self.fields)]
            cast = "bytea"
            values = ", ".join(f"(%s::{self.pk_type}, " + ", ".join(f"%s::{'text' if f.storage == 'text' else cast}" for f in self.fields) + ")" for _ in rows)
            flat = [x for r, row in enumerate(rows) for x in (row[0], *(col[r] for col in columns))]
            names = ", ".join(f"c{i}" for i in range(len(self.fields)))
            sets = ", ".join(f"{c} = v.c{i}" for i, c in enumerate(self.cols))
            cur.execute(f"UPDATE {self.table} AS t SET {sets} FROM (VALUES {values}) AS v(pk, {names}) WHERE t.{self.pk_col} = v.pk", flat)
        self.progress.done += len(rows)
        self.on_progress(self.progress)
        return rows, rows[-1][0]

    def _reseal(self, index: int, field, rows) -> list:
        """The column's new stored values: old envelopes re-encrypted, the rest unchanged."""
        head = self.heads[index]
        stored = [row[1 + index] for row in rows]
        envelopes, todo = {}, []
        for r, value in enumerate(stored):
            if value is None:
                continue
            try:
                env = field.from_storage(value)
            except _engine.FormatError as err:
                self._failed(field, rows[r][0], err)
                continue
            if env[:len(head)] != head:
                envelopes[r] = env
                todo.append(r)
        if not todo:
            return stored
        bound = bool(binding.bound_names(field))
        ads = [self._row_ad(field, rows[r]) for r in todo] if bound else None
        plain = ([self._decrypt_bound(field, envelopes[r], ad) for r, ad in zip(todo, ads)] if bound
                 else self.ring.decrypt_many(field.purpose, [envelopes[r] for r in todo]))
        good = [i for i, p in enumerate(plain) if not isinstance(p, Exception) or self._failed(field, rows[todo[i]][0], p)]
        if bound:
            fresh = [self.ring.encrypt_bound(field.purpose, plain[i], ads[i]) for i in good]
        else:
            fresh = self.ring.encrypt_many(field.purpose, [plain[i] for i in good], field.deterministic)
        out = list(stored)
        for i, env in zip(good, fresh):
            out[todo[i]] = field.to_storage(env)
        if getattr(field, "searchable", ()):  # blind indexes move to the active version with the value
            search.reindex(field, self.using, [(rows[todo[i]][0], plain[i]) for i in good])
        return out

    def _failed(self, field, pk, err) -> bool:
        """Stops with the row's place, or records it and leaves the value as it is. False: not re-sealed."""
        if self.on_error == "stop":
            raise DecryptionError(self.model._meta.label, field.name, pk, _reason(err))
        self.skipped.append(Skipped(self.model._meta.label, field.name, pk, _reason(err)))
        return False

    def _row_ad(self, field, row) -> bytes:
        """Row-bound fields (binding.py): the AD from the bound columns read with the batch."""
        values = dict(zip(self.bound, row[1 + len(self.fields):]))
        return binding.associated_data(field, [values[binding.target_field(self.model, n).attname] for n in binding.bound_names(field)])

    def _decrypt_bound(self, field, envelope: bytes, ad: bytes):
        try:
            return self.ring.decrypt_bound(field.purpose, envelope, ad)
        except _engine.PhiCryptoError as err:
            return err

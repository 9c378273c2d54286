"""The read path: whole columns of a fetch decrypted before model instances exist.

Django turns fetched rows into values one value at a time (a converter call per value) and reads
attributes through descriptors. For encrypted columns this module replaces both:

- every encrypted column a query selects registers on its compiler (EncryptedCol.select_format),
  whose converter pass then yields rows whose encrypted values are already plaintext: one native
  batch call per column per block of up to 2,000 rows, decoding in a list pass;
- model instances are built from those plaintexts, so an attribute read is a plain ``__dict__``
  lookup (the field's descriptor only runs for a value that is not there: deferred, or failed);
- a value that does not decrypt or decode is left out of the instance; reading it loads that one
  value again (fields.EncryptedMixin.load_one) and raises DecryptionError naming model, field, pk.
  In values()/values_list() rows it raises at once;
- row-bound fields (binding.py) are decrypted row by row with the AD made from the bound columns of
  the same row; when a query does not select them (``only()``), each value is loaded on first read;
- the access audit records each value decrypted, per batch (audit.record_many).
"""
from __future__ import annotations

import weakref
from itertools import chain, islice

from django.db.models.base import DEFERRED
from django.db.models.expressions import Col

from . import audit, binding, serialization
from ._engine import FormatError, PhiCryptoError, header_versions
from .keyring import get_keyring


BLOCK = 2000  # rows decrypted per batch call and column (iterator() reads this far ahead)


def _pass(value, expression, connection):  # pragma: no cover - stripped before Django applies converters
    raise AssertionError("an encrypted column's converter ran per value: readpath.register did not strip it")


CONVERTERS = [_pass]  # what a chunked EncryptedCol reports, so that Django calls apply_converters


def register(compiler) -> None:
    """Called by each selected EncryptedCol while the query compiles, before any row is read: the
    compiler's apply_converters (which every row of the fetch passes through) is wrapped once.
    The wrapper reaches its compiler through a weak reference: a strong one would make a cycle that
    only the cyclic collector frees (a get() then set off a collection every 15 queries, ~30 us each)."""
    if "apply_converters" not in compiler.__dict__:
        compiler.apply_converters = _Opener(compiler).apply_converters


class _Opener:
    __slots__ = ("compiler",)

    def __init__(self, compiler):
        self.compiler = weakref.ref(compiler)

    def apply_converters(self, rows, converters):
        compiler = self.compiler()  # alive: it is the caller
        columns = _columns(compiler)
        rest = {pos: c for pos, c in converters.items() if _pass not in c[0]}  # Django concatenates: a new list
        opened = _opened(rows, columns)
        return type(compiler).apply_converters(compiler, opened, rest) if rest else opened


def _opened(rows, columns):
    """Rows with their encrypted columns opened, a block at a time (chained in C: no Python frame per
    row). A block is taken straight into columns and handed back as a lazy zip, so neither the
    fetched rows nor the rebuilt ones outlive their turn (long-lived containers cost full GC passes)."""
    rows = iter(rows)

    def blocks():
        while cols := list(zip(*islice(rows, BLOCK))):
            yield _open_block(cols, columns)
    return chain.from_iterable(blocks())


class _Column:
    __slots__ = ("pos", "field", "model_load", "hex", "pk_pos", "bound_pos", "label")

    def __init__(self, pos, field, model_load, hex_, pk_pos, bound_pos):
        self.pos, self.field, self.model_load, self.hex, self.pk_pos, self.bound_pos = pos, field, model_load, hex_, pk_pos, bound_pos
        self.label = field.model._meta.label


def _columns(compiler) -> list[_Column]:
    from .fields import EncryptedCol
    select = compiler.select
    positions: dict = {}  # (id(field), alias) -> first select position: one pass, and no Field.__hash__
    encrypted = []
    for j in range(compiler.col_count):
        expr = select[j][0]
        if isinstance(expr, Col):
            positions.setdefault((id(expr.target), expr.alias), j)
            if type(expr) is EncryptedCol and expr._phi_chunked:
                encrypted.append((j, expr))
    columns = []
    for pos, expr in encrypted:
        field, alias = expr.target, expr.alias
        names = binding.bound_names(field)
        bound = [positions.get((id(binding.target_field(field.model, n)), alias)) for n in names]
        bound_pos = bound if names and None not in bound else (None if names else ())
        columns.append(_Column(pos, field, expr._phi_model_load, expr._phi_hex, positions.get((id(field.model._meta.pk), alias)), bound_pos))
    return columns


def _open_block(cols: list, columns) -> zip:
    """The block's columns, each encrypted column replaced by its plaintexts, zipped back into rows."""
    for column in columns:
        cols[column.pos] = _open_column(cols, column)
    return zip(*cols)


def _open_column(cols, c: _Column) -> list:
    """The plaintexts of one column (None stays None); a value that fails is left out (DEFERRED) of a
    model load and raises in values() rows."""
    column = list(cols[c.pos])
    idx = range(len(column)) if None not in column else [i for i, v in enumerate(column) if v is not None]
    if not idx:
        return column
    if c.bound_pos is None:  # row-bound, its bound columns not selected: load each on first read
        for i in idx:
            column[i] = DEFERRED
        return column
    envelopes, good = _envelopes(cols, column, idx, c)
    if c.model_load and serialization.mode() == serialization.ENVELOPES:  # dumpdata: copied, never opened
        from .fields import sealed_envelope
        for i, envelope in zip(good, envelopes):
            column[i] = sealed_envelope(c.field, bytes(envelope))
        return column
    results = _decrypt(cols, good, envelopes, c)
    try:  # the common case: every value decrypted and decodes; one list pass
        values = c.field.decode_many(results)
    except Exception:  # some did not: value by value below, so each failure is told apart
        values = None
    if values is not None:
        if len(good) == len(column):
            column = values
        else:
            for i, value in zip(good, values):
                column[i] = value
        if audit.enabled():
            _audit(cols, good, envelopes, c)
        return column
    decode, opened = c.field.decode, []
    for i, envelope, result in zip(good, envelopes, results):
        if type(result) is bytes:
            try:
                column[i] = decode(result)
                opened.append((i, envelope))
                continue
            except Exception:  # the decode error quotes the plaintext: never let it out
                result = None
        column[i] = _failed(cols, i, c, result)
    if opened and audit.enabled():
        _audit(cols, [i for i, _ in opened], [e for _, e in opened], c)
    return column


def _envelopes(cols, column, idx, c: _Column):
    if c.field.storage != "text":
        present = column if len(idx) == len(column) else [column[i] for i in idx]
        return (list(map(bytes.fromhex, present)) if c.hex else present), idx
    envelopes, good = [], []
    for i in idx:
        try:
            envelopes.append(c.field.from_storage(column[i]))
            good.append(i)
        except FormatError as err:
            column[i] = _failed(cols, i, c, err)
    return envelopes, good


def _decrypt(cols, good, envelopes, c: _Column) -> list:
    ring, purpose = get_keyring(), c.field.purpose
    if not c.bound_pos and len(envelopes) == 1:  # get(), a lookup: the single call allocates nothing
        try:
            return [ring.decrypt(purpose, bytes(envelopes[0]))]
        except PhiCryptoError as err:
            return [err]
    if not c.bound_pos:
        return ring.decrypt_many(purpose, envelopes)
    out = []
    for i, envelope in zip(good, envelopes):
        try:
            ad = binding.associated_data(c.field, [cols[j][i] for j in c.bound_pos])
            out.append(ring.decrypt_bound(purpose, bytes(envelope), ad))
        except (PhiCryptoError, ValueError) as err:
            out.append(err)
    return out


def _failed(cols, i, c: _Column, err):
    """What a failed value becomes in a model load (left out: its first read reports it); values()
    rows raise now."""
    from .fields import DecodeError, DecryptionError, _reason
    if c.model_load:
        return DEFERRED
    pk = cols[c.pk_pos][i] if c.pk_pos is not None else None
    if err is None:
        raise DecodeError(c.label, c.field.name, pk, c.field.type_name())
    raise DecryptionError(c.label, c.field.name, pk, _reason(err))


def _audit(cols, rows, envelopes, c: _Column) -> None:
    """The values of ``rows`` (positions in the block) were opened: one batch of events."""
    if c.pk_pos is None:
        pks = [None] * len(rows)
    elif len(rows) == len(cols[c.pk_pos]):
        pks = cols[c.pk_pos]  # the block's pk column: the same object for each of its columns (audit converts it once)
    else:
        pks = list(map(cols[c.pk_pos].__getitem__, rows))
    audit.record_many(c.label, c.field.name, pks, header_versions(envelopes))

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

from itertools import islice

from django.db.models.base import DEFERRED
from django.db.models.expressions import Col

from . import audit, binding, serialization
from ._engine import FormatError, PhiCryptoError, header_version, read_header
from .keyring import get_keyring


BLOCK = 2000  # rows decrypted per batch call and column (iterator() reads this far ahead)


def _pass(value, expression, connection):  # pragma: no cover - stripped before Django applies converters
    return value


CONVERTERS = [_pass]  # what a chunked EncryptedCol reports, so that Django calls apply_converters


def register(compiler) -> None:
    """Called by each selected EncryptedCol while the query compiles, before any row is read: the
    compiler's apply_converters (which every row of the fetch passes through) is wrapped once."""
    if "apply_converters" not in compiler.__dict__:
        inner = compiler.apply_converters

        def apply_converters(rows, converters):
            columns = _columns(compiler)
            rest = {pos: c for pos, c in converters.items() if c[0] is not CONVERTERS}
            opened = _opened(rows, columns)
            return inner(opened, rest) if rest else opened

        compiler.apply_converters = apply_converters


def _opened(rows, columns):
    rows = iter(rows)
    while block := list(islice(rows, BLOCK)):
        yield from _open_rows(block, columns)


class _Column:
    __slots__ = ("pos", "field", "model_load", "pk_pos", "bound_pos", "label")

    def __init__(self, pos, field, model_load, pk_pos, bound_pos):
        self.pos, self.field, self.model_load, self.pk_pos, self.bound_pos = pos, field, model_load, pk_pos, bound_pos
        self.label = field.model._meta.label


def _columns(compiler) -> list[_Column]:
    from .fields import EncryptedCol
    select = [s[0] for s in compiler.select[:compiler.col_count]]

    def position(target, alias):
        for j, expr in enumerate(select):
            if isinstance(expr, Col) and expr.target is target and expr.alias == alias:
                return j
        return None

    columns = []
    for pos, expr in enumerate(select):
        if isinstance(expr, EncryptedCol) and expr._phi_chunked:
            field = expr.target
            names = binding.bound_names(field)
            bound = [position(binding.target_field(field.model, n), expr.alias) for n in names]
            bound_pos = bound if names and None not in bound else (None if names else ())
            columns.append(_Column(pos, field, expr._phi_model_load, position(field.model._meta.pk, expr.alias), bound_pos))
    return columns


def _open_rows(rows, columns) -> list[tuple]:
    rows = [list(r) for r in rows]
    for column in columns:
        _open_column(rows, column)
    return [tuple(r) for r in rows]


def _open_column(rows, c: _Column) -> None:
    p, field = c.pos, c.field
    idx = [i for i, r in enumerate(rows) if r[p] is not None]
    if not idx:
        return
    if c.bound_pos is None:  # row-bound, its bound columns not selected: load each on first read
        for i in idx:
            rows[i][p] = DEFERRED
        return
    envelopes, good = _envelopes(rows, idx, c)
    if c.model_load and serialization.mode() == serialization.ENVELOPES:  # dumpdata: copied, never opened
        from .fields import sealed_envelope
        for i, envelope in zip(good, envelopes):
            rows[i][p] = sealed_envelope(field, bytes(envelope))
        return
    results = _decrypt(rows, good, envelopes, c)
    try:  # the common case: every value decrypted and decodes; one list pass
        values = field.decode_many(results)
    except Exception:  # some did not: value by value below, so each failure is told apart
        values = None
    if values is not None:
        for i, value in zip(good, values):
            rows[i][p] = value
        if audit.enabled():
            _audit(rows, list(zip(good, envelopes)), c)
        return
    decode, opened = field.decode, []
    for i, envelope, result in zip(good, envelopes, results):
        if type(result) is bytes:
            try:
                rows[i][p] = decode(result)
                opened.append((i, envelope))
                continue
            except Exception:  # the decode error quotes the plaintext: never let it out
                result = None
        _failed(rows, i, c, result)
    if opened and audit.enabled():
        _audit(rows, opened, c)


def _envelopes(rows, idx, c: _Column):
    p, field = c.pos, c.field
    if field.storage != "text":
        return [rows[i][p] for i in idx], idx  # memoryviews: the batch call packs them as they are
    envelopes, good = [], []
    for i in idx:
        try:
            envelopes.append(field.from_storage(rows[i][p]))
            good.append(i)
        except FormatError as err:
            _failed(rows, i, c, err)
    return envelopes, good


def _decrypt(rows, good, envelopes, c: _Column) -> list:
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
            ad = binding.associated_data(c.field, [rows[i][j] for j in c.bound_pos])
            out.append(ring.decrypt_bound(purpose, bytes(envelope), ad))
        except (PhiCryptoError, ValueError) as err:
            out.append(err)
    return out


def _failed(rows, i, c: _Column, err) -> None:
    """Model loads leave the value out (its first read reports it); values() rows raise now."""
    from .fields import DecodeError, DecryptionError, _reason
    if c.model_load:
        rows[i][c.pos] = DEFERRED
        return
    pk = rows[i][c.pk_pos] if c.pk_pos is not None else None
    if err is None:
        raise DecodeError(c.label, c.field.name, pk, c.field.type_name())
    raise DecryptionError(c.label, c.field.name, pk, _reason(err))


def _audit(rows, opened, c: _Column) -> None:
    pks = [rows[i][c.pk_pos] if c.pk_pos is not None else None for i, _ in opened]
    versions = [header_version(e) for _, e in opened]
    audit.record_many(c.label, c.field.name, pks, versions)

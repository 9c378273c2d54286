"""Searchable randomized fields: blind indexes in companion columns (docs/search.md, docs/django.md).

    last_name = EncryptedCharField(max_length=100, searchable=["exact", "iexact", "istartswith"],
                                   search_bits=16, search_prefix=(3, 6))

The value stays AES-256-GCM (randomized, bound to its purpose). Beside it each kind gets indexed
companion columns, filled on every save and bulk_create (and by QuerySet.update of the field):

    exact         <field>_bidx          keyed HMAC of the value            exact, in
    iexact        <field>_bidx_ci       of the case-folded value           iexact
    startswith    <field>_bpfx<k>       of the first k characters          startswith
    istartswith   <field>_bpfx_ci<k>    of the first k folded characters   istartswith

one prefix column per length k in ``search_prefix`` (min, max). A lookup computes the index value under
every key version that can still decrypt (rows written before a rotation are found), fetches the
candidate rows through the column's database index, decrypts them, and keeps only the rows whose value
really matches (an index of ``search_bits`` bits has false positives by design: plan the width with
``phicrypto.plan_blind_index``). The query then runs on ``pk IN (matching rows)``, so count(), exists(),
update(), delete() and subqueries see exactly the matching rows. Case-insensitive matching uses the
library's one normalization (NFKC, case folding, whitespace collapse), checked with a 256-bit index.
"""
from __future__ import annotations

from django.core.exceptions import EmptyResultSet, FieldError
from django.db import models
from django.db.models.lookups import Lookup

import phicrypto
from phicrypto import IndexDefinition

KINDS = ("exact", "iexact", "startswith", "istartswith")
LOOKUPS = {"exact": "exact", "in": "exact", "iexact": "iexact", "startswith": "startswith", "istartswith": "istartswith"}
DEFAULT_BITS = 16
DEFAULT_PREFIX = (3, 6)
_VERIFY_BITS = 256  # the false-positive check: equal 256-bit indexes mean equal normalized values


def configure(field, searchable, search_bits, search_prefix) -> None:
    """Validates the field options once, at model definition."""
    kinds = (searchable,) if isinstance(searchable, str) else tuple(searchable or ())
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ValueError(f"searchable takes {', '.join(KINDS)}; not {unknown}")
    if kinds and field.deterministic:
        raise ValueError("searchable is for randomized fields; a deterministic field already serves exact and in")
    lo, hi = search_prefix
    if not (isinstance(search_bits, int) and 1 <= search_bits <= 256 and 1 <= lo <= hi <= 64):
        raise ValueError("search_bits must be 1..256 and search_prefix (min, max) with 1 <= min <= max <= 64")
    field.searchable, field.search_bits, field.search_prefix = kinds, search_bits, (lo, hi)


def deconstruct(field, kwargs: dict) -> None:
    if field.searchable:
        kwargs["searchable"] = list(field.searchable)
        if field.search_bits != DEFAULT_BITS:
            kwargs["search_bits"] = field.search_bits
        if field.search_prefix != DEFAULT_PREFIX:
            kwargs["search_prefix"] = field.search_prefix


def _columns(field) -> list[tuple[str, IndexDefinition]]:
    """(column name, index definition) of each companion column; the name also keys the index."""
    out, lo, hi = [], *field.search_prefix
    for kind in field.searchable:
        ci = kind.startswith("i")
        if kind in ("exact", "iexact"):
            name = f"{field.name}_bidx{'_ci' if ci else ''}"
            out.append((name, IndexDefinition.exact(name, field.search_bits, ci)))
        else:
            for k in range(lo, hi + 1):
                name = f"{field.name}_bpfx{'_ci' if ci else ''}{k}"
                out.append((name, IndexDefinition.prefix(name, field.search_bits, k, k, ci)))
    return out


def contribute(field, cls) -> None:
    """Adds the companion columns (unless a migration state already declares them)."""
    _keep_updates_in_step()
    for name, definition in _columns(field):
        if not any(f.name == name for f in cls._meta.local_fields):
            cls.add_to_class(name, BlindIndexField(source=field.name, index=definition.name, editable=False, null=True, db_index=True))


def source_of(field):
    from .keyring import get_keyring

    return get_keyring().engine.source(field.purpose)


class BlindIndexField(models.BinaryField):
    """One companion column: the blind index of another field's value, computed on save."""

    def __init__(self, *args, source: str | None = None, index: str | None = None, **kwargs):
        self.source_name, self.index_name = source, index
        super().__init__(*args, **kwargs)

    def contribute_to_class(self, cls, name, *args, **kwargs):
        # A migration's model state lists the columns its searchable field has already added.
        if not any(f.name == name for f in cls._meta.local_fields):
            super().contribute_to_class(cls, name, *args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.update(source=self.source_name, index=self.index_name)
        kwargs.pop("editable", None)
        kwargs["editable"] = False
        return name, path, args, kwargs

    def definition(self) -> IndexDefinition:
        field = self.model._meta.get_field(self.source_name)
        return dict(_columns(field))[self.index_name]

    def pre_save(self, model_instance, add):
        from .fields import Sealed

        value = model_instance.__dict__.get(self.source_name)
        if type(value) is Sealed or hasattr(value, "resolve_expression"):
            return model_instance.__dict__.get(self.attname)  # the value did not change: nor does its index
        stored = index_of(self.model._meta.get_field(self.source_name), self.definition(), value)
        setattr(model_instance, self.attname, stored)
        return stored


def index_of(field, definition: IndexDefinition, value):
    """The stored index value of ``value`` (None: no value, or too short for a prefix length)."""
    if value is None:
        return None
    from .keyring import get_keyring

    get_keyring()._writable(field.purpose)
    text = value if isinstance(value, str) else field.to_python(value)
    if definition.kind == "prefix":
        found = phicrypto.blind_index_batch(source_of(field), [text], definition)[0]
        return found[0] if found else None
    return phicrypto.blind_index(source_of(field), text, definition)


def update_values(model, values: dict) -> dict:
    """QuerySet.update(field=value) of a searchable field also sets its companion columns."""
    extra = {}
    for name, value in values.items():
        try:
            field = model._meta.get_field(name)
        except Exception:
            continue
        if getattr(field, "searchable", ()) and not hasattr(value, "resolve_expression"):
            for column, definition in _columns(field):
                extra[column] = index_of(field, definition, value)
    return {**values, **extra}


def lookup_for(field, lookup_name: str):
    kind = LOOKUPS.get(lookup_name)
    if kind is None or kind not in getattr(field, "searchable", ()):
        return None
    return SearchIn if lookup_name == "in" else type(f"Search_{lookup_name}", (SearchLookup,), {"lookup_name": lookup_name})


class SearchLookup(Lookup):
    """Candidates through the blind index, then only the rows whose decrypted value matches."""
    prepare_rhs = False

    def _terms(self) -> list[str]:
        rhs = self.rhs if isinstance(self, SearchIn) else [self.rhs]
        if any(hasattr(v, "resolve_expression") for v in rhs):
            raise FieldError(f"{self._label()} is encrypted: compare it with values, not with expressions or subqueries")
        return [v if isinstance(v, str) else str(v) for v in rhs if v is not None]

    def _label(self) -> str:
        field = self.lhs.output_field
        return f"{field.model._meta.label}.{field.name}"

    def _kind(self) -> str:
        return LOOKUPS[self.lookup_name]

    def as_sql(self, compiler, connection):
        field, kind = self.lhs.output_field, self._kind()
        terms = self._terms()
        if not terms:
            raise EmptyResultSet
        column, lookups = self._index_values(field, kind, terms)
        model = field.model
        candidates = (model._base_manager.using(connection.alias).filter(**{f"{column}__in": lookups})
                      .values_list("pk", field.name))
        pks = [pk for pk, value in candidates if value is not None and self._matches(field, kind, value, terms)]
        if not pks:
            raise EmptyResultSet
        qn = compiler.quote_name_unless_alias
        pk = f"{qn(self.lhs.alias)}.{qn(model._meta.pk.column)}"
        prep = [model._meta.pk.get_db_prep_value(p, connection) for p in pks]
        return f"{pk} IN ({', '.join(['%s'] * len(prep))})", prep

    def _index_values(self, field, kind: str, terms: list[str]) -> tuple[str, list[bytes]]:
        source = source_of(field)
        ci = kind.startswith("i")
        if kind in ("exact", "iexact"):
            column = f"{field.name}_bidx{'_ci' if ci else ''}"
            definition = IndexDefinition.exact(column, field.search_bits, ci)
            return column, [v for t in terms for _, v in _query(source, t, definition)]
        lo, hi = field.search_prefix
        term = terms[0]
        length = len(_normalized_probe(term)) if ci else len(term)
        if length < lo:
            raise FieldError(f"{self._label()} is searchable by prefixes of {lo} characters or more")
        k = min(length, hi)
        column = f"{field.name}_bpfx{'_ci' if ci else ''}{k}"
        definition = IndexDefinition.prefix(column, field.search_bits, k, k, ci)
        return column, [v for _, v in _query(source, term, definition)]

    def _matches(self, field, kind: str, value: str, terms: list[str]) -> bool:
        if kind == "exact":
            return value in terms
        if kind == "startswith":
            return value.startswith(terms[0])
        source = source_of(field)
        if kind == "iexact":
            probe = IndexDefinition.exact("phicrypto.django.verify", _VERIFY_BITS, True)
            return phicrypto.blind_index(source, value, probe) == phicrypto.blind_index(source, terms[0], probe)
        probe = IndexDefinition.prefix("phicrypto.django.verify", _VERIFY_BITS, 1, 64, True)
        wanted = phicrypto.blind_index(source, terms[0], probe)
        return wanted in phicrypto.blind_index_batch(source, [value], probe)[0]


class SearchIn(SearchLookup):
    lookup_name = "in"


def _query(source, term: str, definition: IndexDefinition):
    try:
        return phicrypto.blind_index_query(source, term, definition)
    except phicrypto.KeyNotFoundError:
        return []  # no key for the purpose yet: nothing can match


def _normalized_probe(term: str) -> str:
    # The length of a case-insensitive prefix is counted after normalization, which the library does;
    # whitespace collapse is the only change of length that matters for choosing the column here.
    return " ".join(term.split()) + (" " if term[-1:].isspace() else "")


def _keep_updates_in_step() -> None:
    """QuerySet.update() writes no instance, so no pre_save runs: add the companion values there."""
    from django.db.models.query import QuerySet

    inner = QuerySet.update
    if getattr(inner, "_phicrypto_search", False):
        return

    def update(self, **kwargs):
        return inner(self, **update_values(self.model, kwargs))

    update._phicrypto_search = True
    QuerySet.update = update


def reindex(field, using: str, rows) -> None:
    """Rewrites the companion columns of ``rows`` ((pk, plaintext bytes) pairs) under the active version:
    reencrypt calls it for the rows it re-encrypts, in the same transaction."""
    from django.db import connections

    rows = [(pk, field.decode(p)) for pk, p in rows]
    if not rows:
        return
    columns = _columns(field)
    values = {name: _stored_values(field, definition, [t for _, t in rows]) for name, definition in columns}
    model = field.model
    conn = connections[using]
    qn = conn.ops.quote_name
    sets = ", ".join(f"{qn(name)} = %s" for name, _ in columns)
    with conn.cursor() as cur:
        cur.executemany(f"UPDATE {qn(model._meta.db_table)} SET {sets} WHERE {qn(model._meta.pk.column)} = %s",
                        [[*(values[name][i] for name, _ in columns), pk] for i, (pk, _) in enumerate(rows)])


def _stored_values(field, definition: IndexDefinition, texts: list) -> list:
    """Stored index values of many values in one native call (None for a prefix longer than the value)."""
    found = phicrypto.blind_index_batch(source_of(field), texts, definition)
    return [(v[0] if v else None) for v in found] if definition.kind == "prefix" else found


def admin_lookup(field, entry: str) -> str | None:
    """The lookup an admin search_fields entry uses on a searchable field: '=name' iexact (or exact),
    '^name' istartswith (or startswith); None when the field cannot serve it (icontains never)."""
    kinds = getattr(field, "searchable", ())
    wanted = ("iexact", "exact") if entry.startswith("=") else ("istartswith", "startswith") if entry.startswith("^") else ()
    return next((k for k in wanted if k in kinds), None)


class CompoundIndex(models.BinaryField):
    """A model-level compound blind index over several fields (e.g. last name + date of birth):

        name_dob = CompoundIndex(fields=("last_name", "date_of_birth"), case_insensitive=(True, False), bits=16)
        Patient.objects.filter(name_dob=("smith", date(1980, 2, 29)))

    An indexed column of its own, computed on save under the first field's purpose (its key versions);
    a lookup matches the combination only (a reader learns equality of the combination, not of each
    field), candidates are checked after decryption like every blind-index lookup."""

    def __init__(self, *args, fields=(), case_insensitive=(), bits: int = DEFAULT_BITS, **kwargs):
        self.fields, self.bits = tuple(fields), bits
        self.case_insensitive = tuple(case_insensitive) or (False,) * len(self.fields)
        if not 2 <= len(self.fields) <= 16 or len(self.case_insensitive) != len(self.fields):
            raise ValueError("a compound index covers 2 to 16 fields, with one case_insensitive flag each")
        kwargs.update(null=True, editable=False, db_index=True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        for k in ("null", "editable", "db_index"):
            kwargs.pop(k, None)
        kwargs.update(fields=self.fields, case_insensitive=self.case_insensitive, bits=self.bits)
        return name, path, args, kwargs

    def definition(self) -> IndexDefinition:
        return IndexDefinition.compound(self.name, self.bits, *self.case_insensitive)

    def _first(self):
        return self.model._meta.get_field(self.fields[0])

    def pre_save(self, model_instance, add):
        values = [_text(getattr(model_instance, f)) for f in self.fields]  # reading opens unread values
        from .keyring import get_keyring

        get_keyring()._writable(self._first().purpose)
        stored = phicrypto.blind_index(source_of(self._first()), values, self.definition())
        setattr(model_instance, self.attname, stored)
        return stored

    def get_lookup(self, lookup_name):
        if lookup_name == "exact":
            return CompoundExact
        if lookup_name in ("in", "isnull"):  # raw index values: how the lookup itself fetches candidates
            return super().get_lookup(lookup_name)
        raise FieldError(f"{self.model._meta.label}.{self.name} is a compound blind index: only exact, with a tuple of {len(self.fields)} values")


def _text(value):
    return None if value is None else value if isinstance(value, str) else str(value)


class CompoundExact(Lookup):
    lookup_name = "exact"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        index, terms = self.lhs.output_field, self.rhs
        if not isinstance(terms, (tuple, list)) or len(terms) != len(index.fields):
            raise FieldError(f"{index.model._meta.label}.{index.name} takes a tuple of {len(index.fields)} values")
        terms = [_text(t) for t in terms]
        try:
            lookups = [v for _, v in phicrypto.blind_index_query(source_of(index._first()), terms, index.definition())]
        except phicrypto.KeyNotFoundError:
            lookups = []
        model = index.model
        rows = model._base_manager.using(connection.alias).filter(**{f"{index.name}__in": lookups}).values_list("pk", *index.fields)
        pks = [row[0] for row in rows if all(_same(model._meta.get_field(f), ci, _text(v), t)
                                             for f, ci, v, t in zip(index.fields, index.case_insensitive, row[1:], terms))]
        if not pks:
            raise EmptyResultSet
        qn = compiler.quote_name_unless_alias
        prep = [model._meta.pk.get_db_prep_value(p, connection) for p in pks]
        return f"{qn(self.lhs.alias)}.{qn(model._meta.pk.column)} IN ({', '.join(['%s'] * len(prep))})", prep


def _same(field, case_insensitive: bool, value, term) -> bool:
    if value is None or term is None:
        return value is None and term is None
    if not case_insensitive:
        return value == term
    probe = IndexDefinition.exact("phicrypto.django.verify", _VERIFY_BITS, True)
    source = source_of(field) if hasattr(field, "purpose") else None
    if source is None:
        return value.casefold() == term.casefold()
    return phicrypto.blind_index(source, value, probe) == phicrypto.blind_index(source, term, probe)

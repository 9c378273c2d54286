"""The lookups an encrypted field allows, and a clear FieldError for every other.

    isnull            every encrypted field
    exact, in         deterministic fields only: the value is encrypted under every key version
                      that can still decrypt, and the column is compared with those envelopes
                      (an index scan on an indexed column), so rows written before a rotation match
    anything else     FieldError: the database holds ciphertext, so a range, pattern, transform or
                      comparison would be silently wrong, and decrypting the table would be silently slow
"""
from __future__ import annotations

from django.core.exceptions import EmptyResultSet, FieldError
from django.db.models.lookups import IsNull, Lookup


def refuse(field, lookup_name: str):
    kind = "deterministic" if field.deterministic else "randomized"
    allowed = "isnull, exact, in" if field.deterministic else "isnull (and exact=None)"
    raise FieldError(f"{field.model._meta.label}.{field.name} is an encrypted ({kind}) field: "
                     f"lookup or transform '{lookup_name}' is not supported (allowed: {allowed})")


def lookup_for(field, lookup_name: str):
    if lookup_name == "isnull":
        return IsNull
    if lookup_name == "exact":
        return EncryptedExact if field.deterministic else NoneOnlyExact
    if lookup_name == "in" and field.deterministic:
        return EncryptedIn
    refuse(field, lookup_name)


class _EncryptedLookup(Lookup):
    prepare_rhs = False

    def _field(self):
        return self.lhs.output_field

    def _refuse_expression(self, value) -> None:
        if hasattr(value, "resolve_expression"):
            field = self._field()
            raise FieldError(f"{field.model._meta.label}.{field.name} is encrypted: compare it with values, not with expressions or subqueries")

    def _compare(self, compiler, connection, values):
        stored = [s for v in values for s in self._field().search_values(v)]
        if not stored:
            raise EmptyResultSet
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        if len(stored) == 1:
            return f"{lhs_sql} = %s", [*lhs_params, stored[0]]
        return f"{lhs_sql} IN ({', '.join(['%s'] * len(stored))})", [*lhs_params, *stored]


class EncryptedExact(_EncryptedLookup):
    lookup_name = "exact"

    def as_sql(self, compiler, connection):
        self._refuse_expression(self.rhs)
        return self._compare(compiler, connection, [self.rhs])


class EncryptedIn(_EncryptedLookup):
    lookup_name = "in"

    def __init__(self, lhs, rhs):
        super().__init__(lhs, rhs)
        self._refuse_expression(self.rhs)
        self.rhs = [v for v in self.rhs if v is not None]  # as Django's own `in` does

    def as_sql(self, compiler, connection):
        return self._compare(compiler, connection, self.rhs)


class NoneOnlyExact(_EncryptedLookup):
    """A randomized field accepts ``field=None`` (Django turns it into isnull) and nothing else."""
    lookup_name = "exact"

    def __init__(self, lhs, rhs):
        super().__init__(lhs, rhs)
        if self.rhs is not None:
            refuse(self._field(), "exact")

    def as_sql(self, compiler, connection):  # pragma: no cover - Django rewrites None to isnull
        refuse(self._field(), "exact")

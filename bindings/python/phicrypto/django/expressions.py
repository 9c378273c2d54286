"""What SQL expressions may do with an encrypted column: never write plaintext, never compare ciphertexts.

Writes (``QuerySet.update``, ``save``, ``bulk_update``, ``create``):
    Value(x)                      encrypted as the field's own value (its output_field becomes the field)
    Case/When(then=Value(x))      each result and the default likewise
    F() of the same column        allowed (copies the envelope onto itself)
    anything else                 FieldError: F() of another column (plaintext or another purpose's
                                  envelope), RawSQL, functions, subqueries would land unencrypted
Reads:
    ORDER BY an encrypted column  FieldError (it would order by ciphertext; admin column sorts too)
    Max/Min/Greatest/Coalesce...  FieldError when the result would be read as a value of the field
                                  (a function of ciphertexts returns a plausible wrong value); Count is fine
"""
from __future__ import annotations

from django.core.exceptions import FieldError
from django.db.models import F, Value
from django.db.models.expressions import Case, Col, Func, OrderBy, When
from django.db.models.functions import Cast


def _refuse(field, what: str):
    raise FieldError(f"{field.model._meta.label}.{field.name} is encrypted: {what} cannot be written to it "
                     f"(it would be stored unencrypted); assign a plain value or Value(...)")


def guard_write(field, expression):
    """Makes a resolved expression safe to write into ``field`` (in place) or raises FieldError."""
    if isinstance(expression, Value):
        if expression.value is not None:
            expression.__dict__["output_field"] = field  # Value.as_sql then encrypts through the field
            expression.__dict__["_output_field_or_none"] = field
        return expression
    if isinstance(expression, Case):
        for case in expression.cases:
            guard_write(field, case)
        guard_write(field, expression.default)
        return expression
    if isinstance(expression, When):
        guard_write(field, expression.result)
        return expression
    if isinstance(expression, Cast) and expression.output_field is field:  # bulk_update's CAST(CASE ...) on PostgreSQL
        guard_write(field, expression.get_source_expressions()[0])
        return expression
    if isinstance(expression, Col) and expression.target is field:
        return expression
    _refuse(field, type(expression).__name__)


def unwrap_for_save(field, value):
    """pre_save's view of an expression assigned to an instance: Value(x) is x; F() of the field
    itself is left to the UPDATE (guarded above); anything else is refused."""
    if isinstance(value, Value):
        return value.value
    if isinstance(value, F) and value.name == field.name:
        return value
    _refuse(field, type(value).__name__)


def refuse_computed_read(field, expression) -> None:
    """A value computed by SQL from ciphertexts (an aggregate or function) is not a stored envelope."""
    raise FieldError(f"{field.model._meta.label}.{field.name} is encrypted: {type(expression).__name__}() over it "
                     f"would compute on ciphertexts; fetch the values and compute in Python")


def _encrypted_column(expression):
    from .fields import EncryptedMixin
    if isinstance(expression, Col) and isinstance(expression.target, EncryptedMixin):
        return expression.target
    source = getattr(expression, "source", None)  # Ref: ordering by a selected alias
    for child in ([source] if source is not None else []) + list(expression.get_source_expressions()):
        if child is not None and (found := _encrypted_column(child)) is not None:
            return found
    return None


def _refuse_encrypted_ordering(as_sql):
    def wrapped(self, compiler, connection, *args, **kwargs):
        field = _encrypted_column(self.expression)
        if field is not None:
            raise FieldError(f"{field.model._meta.label}.{field.name} is encrypted: ordering by it would order by "
                             f"ciphertext; order by a plain column, or sort the decrypted values in Python")
        return as_sql(self, compiler, connection, *args, **kwargs)

    wrapped._phicrypto = True
    return wrapped


def _refuse_functions_of_ciphertext(as_sql):
    def wrapped(self, compiler, connection, *args, **kwargs):
        from .fields import EncryptedMixin
        field = self._output_field_or_none
        if isinstance(field, EncryptedMixin) and not isinstance(self, Cast):  # a cast to the column's own type is harmless
            refuse_computed_read(field, self)
        return as_sql(self, compiler, connection, *args, **kwargs)

    wrapped._phicrypto = True
    return wrapped


def install() -> None:
    """ORDER BY is compiled by OrderBy.as_sql, and every function and aggregate by Func.as_sql, for
    every query: each is wrapped once per process, at app start."""
    if not getattr(OrderBy.as_sql, "_phicrypto", False):
        OrderBy.as_sql = _refuse_encrypted_ordering(OrderBy.as_sql)
    if not getattr(Func.as_sql, "_phicrypto", False):
        Func.as_sql = _refuse_functions_of_ciphertext(Func.as_sql)

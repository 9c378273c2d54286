"""Row binding: the associated data that ties a randomized field's envelope to its row.

Without it a database writer can copy patient A's diagnosis envelope into patient B's row and it
decrypts there (the purpose binds the column, not the row). A field with ``bind_to`` authenticates,
with every value, the table and the values of the named fields of the same row:

    AD = 0x01 || lp(db_table) || for each bound field, in bind_to order: lp(name) || lp(value)
    lp(x) = len(x) as 4 bytes big-endian || x         value = str(field.to_python(v)) in UTF-8

``name`` is the field name as written in ``bind_to`` ("pk" stays "pk"). An envelope moved to a row
whose bound values differ fails authentication and reads raise DecryptionError (model, field, pk).

Limits, each enforced by a system check or a typed error:
- deterministic (searchable) fields cannot be bound: a lookup encrypts the searched value alone,
  with no row to bind to (phicrypto.E004);
- bound-to fields are plain (not encrypted) text, integer or UUID fields, or the primary key when
  the client sets it before insert (UUID with a default): an auto-increment pk does not exist
  before the INSERT (phicrypto.E005);
- a bound value can be written only by ``save()``/``create()``/``bulk_create()``, which see the row;
  ``QuerySet.update()`` and ``bulk_update()`` of a bound field raise FieldError;
- ``values()``/``values_list()`` of a bound field raise FieldError (no row to rebuild the AD from).
Default: a randomized field on a model whose pk is set by the client binds to "pk"; elsewhere a
randomized field without ``bind_to`` gets warning phicrypto.W001 (``bind_to=()`` accepts it).
"""
from __future__ import annotations

from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import models

VERSION = b"\x01"
_BINDABLE = (models.CharField, models.TextField, models.IntegerField, models.UUIDField)  # IntegerField covers Big/Small/Positive


def _lp(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def client_set_pk(model) -> bool:
    """True when the primary key exists before the INSERT (not an auto-increment column)."""
    return not isinstance(model._meta.pk, models.AutoField)


def bound_names(field) -> tuple[str, ...]:
    """The names the field's AD binds (empty: not bound), resolved once the model is complete."""
    names = field.__dict__.get("_bound_names")
    if names is None:
        spec = field.bind_to
        if spec is None:
            names = ("pk",) if not field.deterministic and client_set_pk(field.model) else ()
        else:
            names = (spec,) if isinstance(spec, str) else tuple(spec)
        field._bound_names = names
    return names


def target_field(model, name: str):
    return model._meta.pk if name == "pk" else model._meta.get_field(name)


def _value_bytes(model, name: str, value) -> bytes:
    if value is None:
        raise ValueError(f"{model._meta.label}.{name} is None: a field bound to it cannot be written")
    return str(target_field(model, name).to_python(value)).encode("utf-8")


def associated_data(field, values) -> bytes:
    """The AD of ``field`` for a row whose bound fields hold ``values`` (in bound_names order)."""
    model = field.model
    parts = [VERSION, _lp(model._meta.db_table.encode("utf-8"))]
    for name, value in zip(bound_names(field), values):
        parts += [_lp(name.encode("utf-8")), _lp(_value_bytes(model, name, value))]
    return b"".join(parts)


def current_values(field, instance) -> tuple:
    return tuple(getattr(instance, target_field(field.model, n).attname) for n in bound_names(field))


# ---------------------------------------------------------------- model wiring
def bound_fields(model) -> list:
    from .fields import EncryptedMixin
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedMixin) and bound_names(f)]


def widen_update_fields(instance, update_fields):
    """A save that writes a bound field or a field others are bound to writes the whole group, so
    the row's envelopes always match its bound values. Deferred members are loaded first."""
    if update_fields is None:
        return None
    model = type(instance)
    fields = bound_fields(model)
    if not fields:
        return update_fields
    group = {f.name for f in fields} | {target_field(model, n).name for f in fields for n in bound_names(f)} - {model._meta.pk.name}
    wanted = set(update_fields)
    if not wanted & group:
        return update_fields
    for name in group - wanted:  # deferred members: loaded now, under the row's stored bound values
        getattr(instance, model._meta.get_field(name).attname)
    return frozenset(wanted | group)


# ---------------------------------------------------------------- system checks
def check(field) -> list:
    model, spec = field.model, field.bind_to
    if spec is not None and not isinstance(spec, (str, tuple, list)):
        return [checks.Error("bind_to must be a field name, 'pk', or a tuple of them", obj=field, id="phicrypto.E005")]
    names = bound_names(field)
    if names and field.deterministic:
        return [checks.Error("a deterministic (searchable) field cannot be bound to its row: a lookup encrypts "
                             "the searched value without a row", hint="remove bind_to, or make the field randomized",
                             obj=field, id="phicrypto.E004")]
    errors = [e for n in names for e in _check_target(field, n)]
    if not names and spec is None and not field.deterministic:
        errors.append(checks.Warning(
            "randomized encrypted field is not bound to its row: a database writer can copy its envelope "
            "from one row to another and it decrypts there",
            hint="bind_to='pk' (a client-set pk such as a UUID) or an immutable field such as an MRN; "
                 "bind_to=() accepts the risk", obj=field, id="phicrypto.W001"))
    return errors


def _check_target(field, name: str) -> list:
    from .fields import EncryptedMixin
    model = field.model
    try:
        target = target_field(model, name)
    except FieldDoesNotExist:
        return [checks.Error(f"bind_to names no field of {model._meta.label}: {name!r}", obj=field, id="phicrypto.E005")]
    if name == "pk" or target.primary_key:
        if not client_set_pk(model):
            return [checks.Error("bind_to='pk' needs a primary key set before insert (e.g. UUIDField(default=uuid4)): "
                                 "an auto-increment pk does not exist when the value is encrypted", obj=field, id="phicrypto.E005")]
        return []
    if isinstance(target, EncryptedMixin) or not isinstance(target, _BINDABLE) or target.null:
        return [checks.Error(f"bind_to field {name!r} must be a plain, non-null text, integer or UUID field",
                             obj=field, id="phicrypto.E005")]
    return []

"""Encrypted model fields.

    ssn = EncryptedCharField(max_length=11, deterministic=True, unique=True)

A value is encrypted by the keyring under the purpose ``app_label.Model.field`` (``purpose=``
overrides) and stored as a field envelope in a ``bytea`` column (``storage="text"``: the ASCII form
``phi:`` + base64url in a TEXT column). ``None`` is NULL; every other value, "" included, is encrypted.

Reading: rows loaded as model instances carry their envelopes unopened; the first read of a field
decrypts that field for every row of the same fetch in one batch call, and an envelope that does not
decrypt raises DecryptionError naming model, field and primary key. values()/values_list() decrypt
as rows arrive (there is no instance there to name).
"""
from __future__ import annotations

import base64
import binascii
import datetime
import decimal
import functools
import hashlib
import json
import threading
import uuid

from django.core import checks
from django.core.exceptions import FieldError
from django.db import IntegrityError, connections, models, router, transaction
from django.db.models.signals import class_prepared
from django.db.models.expressions import Col, Func
from django.db.models.query_utils import DeferredAttribute
from django.db.utils import DataError
from django.utils import timezone

from . import audit, binding, expressions, readpath, search, serialization
from ._engine import FormatError, PhiCryptoError, read_header
from .keyring import get_keyring

TEXT_PREFIX = "phi:"
STORAGES = ("bytea", "text")


class DecryptionError(PhiCryptoError):
    """A stored value did not decrypt. Names where it is, never what it is."""

    def __init__(self, label: str, field: str, pk, reason: str):
        self.model, self.field, self.pk = label, field, pk
        where = f"pk={pk}" if pk is not None else "a values() row"
        super().__init__(f"cannot decrypt {label}.{field} of {where}: {reason}")


class DecodeError(DecryptionError):
    """A stored value decrypted (it is authentic) but is not a valid value of its field's type."""

    def __init__(self, label: str, field: str, pk, kind: str):
        super().__init__(label, field, pk, f"the plaintext does not decode as {kind}")


def _reason(err: Exception) -> str:
    # The core's messages carry no plaintext; keep only the first line anyway.
    return f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}".rstrip(": ")


# ---------------------------------------------------------------- unopened values
class Sealed:
    """An envelope loaded with a model instance and not yet decrypted."""
    __slots__ = ("envelope", "batch", "result")

    def __init__(self, envelope: bytes, batch: "_Batch"):
        self.envelope, self.batch, self.result = envelope, batch, None

    def open(self):
        if self.result is None:
            self.batch.open()
        return self.result

    def __repr__(self):  # never the bytes
        return "<Sealed phicrypto value>"

    def __reduce__(self):  # a pickled instance (cache, session) carries the envelope, still sealed
        field = self.batch.field
        return _reseal, (field.model._meta.label, field.name, self.envelope)


def _reseal(label: str, name: str, envelope: bytes) -> Sealed:
    from django.apps import apps
    return sealed_envelope(apps.get_model(label)._meta.get_field(name), envelope)


def sealed_envelope(field, envelope: bytes) -> Sealed:
    """An envelope as an unopened value of ``field`` (fixtures, pickles)."""
    batch = _Batch(field)
    sealed = Sealed(envelope, batch)
    batch.items.append(sealed)
    return sealed


class _Batch:
    """The envelopes of one column of one fetch: decrypted together on first access."""

    def __init__(self, field):
        self.field, self.items, self.lock = field, [], threading.Lock()

    def open(self) -> None:
        with self.lock:
            pending, self.items = [s for s in self.items if s.result is None], []
            if not pending:
                return
            results = get_keyring().decrypt_many(self.field.purpose, [s.envelope for s in pending])
            for s, r in zip(pending, results):
                s.result = r


# ---------------------------------------------------------------- batched writes
class _PendingWrite:
    """A plaintext whose envelope is made just before its statement runs: by then every value of a
    bulk_create / bulk_update / update is known, and one native call per field encrypts them all."""
    __slots__ = ("batch", "plaintext", "stored")

    def __repr__(self):  # never the plaintext (Django logs query parameters)
        return "<pending phicrypto value>"

    def resolve(self):
        if self.stored is None:
            self.batch.flush()
        return self.stored


class _WriteBatch:
    __slots__ = ("field", "items")

    def __init__(self, field):
        self.field, self.items = field, []

    def flush(self) -> None:
        batches = _writes.__dict__.get("open")
        if batches is not None and batches.get(id(self.field)) is self:
            del batches[id(self.field)]  # the field's next value starts a new batch
        todo, self.items = [p for p in self.items if p.stored is None], []
        field = self.field
        envelopes = get_keyring().encrypt_many(field.purpose, [p.plaintext for p in todo], field.deterministic)
        for p, envelope in zip(todo, envelopes):
            p.stored, p.plaintext = field.to_storage(envelope), None


_writes = threading.local()  # .open: id(field) -> the thread's batch of that field still taking values


def _pending(field, plaintext: bytes) -> _PendingWrite:
    batches = _writes.__dict__.setdefault("open", {})
    batch = batches.get(id(field))
    if batch is None:
        batch = batches[id(field)] = _WriteBatch(field)
    p = _PendingWrite()
    p.batch, p.plaintext, p.stored = batch, plaintext, None
    batch.items.append(p)
    return p


def _encrypt_pending(execute, sql, params, many, context):
    """Django execute wrapper, outermost on each connection that writes encrypted values: the
    statement's pending values become their stored form (encrypted, one native call per field)
    before other wrappers and the driver see them. Any driver: nothing here is psycopg2's."""
    if params and _writes.__dict__.get("open"):
        params = [_stored(p) for p in params] if many else _stored(params)
    return execute(sql, params, many, context)


def _stored(params):
    if isinstance(params, dict):
        return {k: v.resolve() if type(v) is _PendingWrite else v for k, v in params.items()}
    return [v.resolve() if type(v) is _PendingWrite else v for v in params]


def _batch_on(connection) -> None:
    """Puts _encrypt_pending first on the connection once (first, so that the pop() of Django's
    execute_wrapper() context manager, which removes the last wrapper, never takes it). getattr, not
    __dict__: ``django.db.connection`` is a proxy that forwards attributes but has a __dict__ of its own."""
    if not getattr(connection, "_phi_batched", False):
        connection.execute_wrappers.insert(0, _encrypt_pending)
        connection._phi_batched = True


try:
    import psycopg2.extensions as _pgext
except ImportError:  # pragma: no cover - another driver
    pass
else:  # a pending value that reaches psycopg2 by another road (a schema editor quoting a default)
    _pgext.register_adapter(_PendingWrite, lambda p: _pgext.adapt(p.resolve()))


# Types a plain value has: asking them for resolve_expression is a failed attribute lookup (an
# exception inside CPython), and the write path asks it of every value.
_VALUE_TYPES = frozenset({str, bytes, int, float, bool, dict, list, datetime.date, datetime.datetime, decimal.Decimal, uuid.UUID})


def _is_expression(value) -> bool:
    return type(value) not in _VALUE_TYPES and hasattr(value, "resolve_expression")


class EncryptedCol(Col):
    """A column of an encrypted field. Selected, it has its compiler decrypt the whole column of the
    fetch before rows become instances or values (readpath.py), so it needs no converter."""
    _phi_chunked = False
    _phi_model_load = False
    _phi_hex = False

    def select_format(self, compiler, sql, params):
        query = compiler.query
        model_load = not query.values_select and not any(a is self for a in query.annotation_select.values())
        if not model_load and binding.bound_names(self.target):
            raise FieldError(f"{self.target.model._meta.label}.{self.target.name} is bound to its row "
                             f"(bind_to={binding.bound_names(self.target)}): read it from model instances, not values()/values_list()")
        self._phi_chunked, self._phi_model_load = True, model_load
        # PostgreSQL sends bytea as hex text either way; selecting it as text spares the driver's
        # buffer object per value (and the garbage collections that many of them set off).
        self._phi_hex = self.target.storage != "text" and compiler.connection.vendor == "postgresql"
        readpath.register(compiler)
        return (f"encode({sql}, 'hex')" if self._phi_hex else sql), params

    def get_db_converters(self, connection):
        return readpath.CONVERTERS if self._phi_chunked else super().get_db_converters(connection)


class EncryptedAttribute(DeferredAttribute):
    """Runs only when the instance has no value for the field (a non-data descriptor: a loaded
    plaintext is a plain __dict__ read): deferred, or left out because it did not decrypt."""

    def __get__(self, instance, cls=None):
        if instance is None:
            return self
        data = instance.__dict__
        name = self.field.attname
        if name not in data:
            data[name] = self.field.load_one(instance)
        return data[name]


# ---------------------------------------------------------------- the mixin
class _BoundValue:
    """A value on its way to a row-bound column, with the row's associated data (made in pre_save,
    where the instance is known)."""
    __slots__ = ("value", "ad")

    def __init__(self, value, ad: bytes):
        self.value, self.ad = value, ad

    def __repr__(self):  # never the plaintext (Django logs query parameters)
        return "<row-bound phicrypto value>"


class EncryptedMixin:
    descriptor_class = EncryptedAttribute
    _unsupported_options = ("primary_key",)

    def __init__(self, *args, deterministic: bool = False, purpose: str | None = None, storage: str = "bytea",
                 bind_to=None, searchable=(), search_bits: int = search.DEFAULT_BITS,
                 search_prefix: tuple[int, int] = search.DEFAULT_PREFIX, **kwargs):
        self.deterministic = bool(deterministic)
        search.configure(self, searchable, search_bits, search_prefix)
        self.bind_to = tuple(bind_to) if isinstance(bind_to, list) else bind_to
        self._purpose_arg = purpose
        self.purpose = purpose
        self.storage = storage
        super().__init__(*args, **kwargs)

    # ---- model wiring
    def contribute_to_class(self, cls, name, *args, **kwargs):
        super().contribute_to_class(cls, name, *args, **kwargs)
        if self._purpose_arg is None:
            self.purpose = f"{cls._meta.app_label}.{cls.__name__}.{self.name}"
        if self.unique and self.deterministic and not cls._meta.abstract:
            _atomic_saves(cls)
        if self.searchable:
            search.contribute(self, cls)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.deterministic:
            kwargs["deterministic"] = True
        if self._purpose_arg is not None:
            kwargs["purpose"] = self._purpose_arg
        if self.storage != "bytea":
            kwargs["storage"] = self.storage
        if self.bind_to is not None:
            kwargs["bind_to"] = self.bind_to
        search.deconstruct(self, kwargs)
        return name, path, args, kwargs

    def check(self, **kwargs):
        errors = super().check(**kwargs)
        if self.storage not in STORAGES:
            errors.append(checks.Error(f"storage must be one of {STORAGES}", obj=self, id="phicrypto.E001"))
        if (self.unique or self.db_index) and not self.deterministic:
            errors.append(checks.Error("unique and db_index need deterministic=True: randomized ciphertexts of equal values differ",
                                       obj=self, id="phicrypto.E002"))
        if self.primary_key:
            errors.append(checks.Error("an encrypted field cannot be the primary key", obj=self, id="phicrypto.E003"))
        return errors + binding.check(self)

    def db_type(self, connection):
        return "bytea" if self.storage == "bytea" else "text"

    def cast_db_type(self, connection):
        return self.db_type(connection)

    def get_col(self, alias, output_field=None):
        # A fresh column per query (never Field.cached_col): it carries that fetch's batch.
        return EncryptedCol(alias, self, output_field if output_field is not None else self)

    def select_format(self, compiler, sql, params):
        return sql, params  # the column is the envelope; no JSON or other casts

    # ---- lookups: isnull everywhere; exact and in on deterministic fields; nothing else
    def get_lookup(self, lookup_name):
        from . import lookups
        return search.lookup_for(self, lookup_name) or lookups.lookup_for(self, lookup_name)

    def get_transform(self, lookup_name):
        from . import lookups
        lookups.refuse(self, lookup_name)

    # ---- storage form
    def to_storage(self, envelope: bytes):
        return self._text_form(envelope) if self.storage == "text" else envelope

    @staticmethod
    def _text_form(envelope: bytes) -> str:
        return TEXT_PREFIX + base64.urlsafe_b64encode(envelope).rstrip(b"=").decode("ascii")

    def from_storage(self, value) -> bytes:
        return self._storage_as(value, self.storage)

    @staticmethod
    def _storage_as(value, storage: str) -> bytes:
        if storage == "text":
            if not isinstance(value, str) or not value.startswith(TEXT_PREFIX):
                raise FormatError("not an encrypted field value (missing prefix)")
            body = value[len(TEXT_PREFIX):]
            try:
                return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            except (binascii.Error, ValueError):
                raise FormatError("encrypted field value is not valid base64url") from None
        return bytes(value)

    # ---- fixtures (serialization.py)
    def to_python(self, value):
        if serialization.mode() == serialization.LOAD and isinstance(value, str) and value.startswith(TEXT_PREFIX):
            return sealed_envelope(self, self._storage_as(value, "text"))
        return super().to_python(value)

    def value_from_object(self, obj):
        current = serialization.mode()
        if current == serialization.ENVELOPES:
            return self.value_to_string(obj)
        stored = obj.__dict__.get(self.attname)
        value = super().value_from_object(obj)
        if current == serialization.PLAINTEXT and value is not None:
            version = read_header(stored.envelope)[1] if type(stored) is Sealed else 0  # 0: not yet stored
            audit.record(self.model._meta.label, self.name, obj.pk, version, action="export", always=True)
        return value

    def value_to_string(self, obj):
        if serialization.mode() != serialization.ENVELOPES:
            return super().value_to_string(obj)
        value = obj.__dict__.get(self.attname)
        if value is None and self.attname not in obj.__dict__:
            value = getattr(obj, self.attname)  # deferred
        return None if value is None else self._text_form(self.seal(value, obj).envelope)

    def seal(self, value, instance) -> Sealed:
        """``value`` of ``instance``'s row as an envelope (an unopened one as it is)."""
        if type(value) is Sealed:
            return value
        if binding.bound_names(self):
            ad = binding.associated_data(self, binding.current_values(self, instance))
            envelope = get_keyring().encrypt_bound(self.purpose, self.plaintext_bytes(value), ad)
        else:
            envelope = get_keyring().encrypt(self.purpose, self.plaintext_bytes(value), self.deterministic)
        return sealed_envelope(self, envelope)

    # ---- plaintext form (each field class defines encode/decode)
    def encode(self, value) -> bytes:
        raise NotImplementedError

    def decode(self, data: bytes):
        raise NotImplementedError

    def decode_many(self, items: list) -> list:
        """decode() of each plaintext (raises on the first that is not one: the caller then goes
        value by value). Field classes override it with a list pass that makes no method call."""
        return [self.decode(d) for d in items]

    def plaintext_bytes(self, value) -> bytes:
        value = self.get_prep_value(value)
        max_length = getattr(self, "max_length", None)
        if max_length is not None and isinstance(value, str) and len(value) > max_length:
            raise DataError(f"value too long for {self.model._meta.label}.{self.name} (max_length {max_length})")
        return self.encode(value)

    def search_values(self, value) -> list:
        """The stored forms ``value`` may have: its deterministic envelope under every version."""
        envelopes = get_keyring().search(self.purpose, self.plaintext_bytes(value))
        return [self.to_storage(e) for e in envelopes]

    # ---- writing
    def get_db_prep_value(self, value, connection, prepared=False):
        if value is None:
            return None
        if type(value) is Sealed:  # loaded and never read: write the same envelope back
            return self.to_storage(value.envelope)
        if _is_expression(value):
            return value
        if type(value) is _BoundValue:
            return self.to_storage(get_keyring().encrypt_bound(self.purpose, self.plaintext_bytes(value.value), value.ad))
        if binding.bound_names(self):
            raise FieldError(f"{self.model._meta.label}.{self.name} is bound to its row (bind_to={binding.bound_names(self)}): "
                             f"write it with save(), create() or bulk_create(); QuerySet.update() and bulk_update() cannot bind it")
        _batch_on(connection)
        return _pending(self, self.plaintext_bytes(value))

    def get_db_prep_save(self, value, connection):
        return self.get_db_prep_value(value, connection)

    def get_placeholder(self, value, compiler, connection):
        # Django asks for every value of an UPDATE, expressions included: the one place to see them.
        if _is_expression(value):
            expressions.guard_write(self, value)
        return "%s"

    def pre_save(self, model_instance, add):
        raw = model_instance.__dict__.get(self.attname)
        if type(raw) is not Sealed and _is_expression(raw):
            raw = expressions.unwrap_for_save(self, raw)
            if hasattr(raw, "resolve_expression"):  # F() of this field: the UPDATE keeps the envelope
                return raw
            model_instance.__dict__[self.attname] = raw
        if binding.bound_names(self):
            return self._pre_save_bound(model_instance, raw, add)
        if type(raw) is Sealed and not getattr(self, "auto_now", False):
            return raw
        value = super().pre_save(model_instance, add)
        if self.unique and self.deterministic and value is not None:
            self._check_unique_across_versions(model_instance, value, add)
        return value

    def _pre_save_bound(self, instance, raw, add):
        """The row's current bound values make the AD. An unread value loaded under other bound
        values (the bound field changed) is opened and encrypted again under the new AD."""
        ad = binding.associated_data(self, binding.current_values(self, instance))
        if type(raw) is Sealed and not getattr(self, "auto_now", False):
            return raw  # loaddata: the envelope was made for this row
        value = super().pre_save(instance, add)
        return None if value is None else _BoundValue(value, ad)

    def _check_unique_across_versions(self, instance, value, add) -> None:
        """The database's unique index compares envelopes, so it sees duplicates under one key
        version only. Once a purpose has several versions, a writer also looks for the value under
        every version, holding a transaction-level advisory lock on (purpose, value) so that two
        writers of one value are serialised until the first commits."""
        ring = get_keyring()
        if ring.search_is_single(self.purpose):  # the common case, decided without encrypting the value
            return
        envelopes = ring.search(self.purpose, self.plaintext_bytes(value))
        if len(envelopes) < 2:
            return
        using = instance._state.db or router.db_for_write(type(instance), instance=instance)
        connection = connections[using]
        key = int.from_bytes(hashlib.sha256(self.purpose.encode() + b"\0" + envelopes[0]).digest()[:8], "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
        others = self.model._base_manager.using(using).filter(**{f"{self.name}__in": [value]})
        if not add and instance.pk is not None:
            others = others.exclude(pk=instance.pk)
        if others.exists():
            raise IntegrityError(f"duplicate value for unique field {self.model._meta.label}.{self.name} "
                                 f"(an existing row holds it under another key version)")

    # ---- reading (selected columns: readpath.py; here: other expressions, and single values)
    def from_db_value(self, value, expression, connection):
        if isinstance(expression, Func):
            expressions.refuse_computed_read(self, expression)
        if value is None:
            return None
        return self._open(value, None, None)

    def load_one(self, instance):
        """This field's value of ``instance``'s row, read and decrypted alone (a deferred value,
        or one the fetch left out because it did not decrypt: the error is raised here)."""
        model, using = self.model, instance._state.db or router.db_for_read(self.model, instance=instance)
        connection = connections[using]
        qn = connection.ops.quote_name
        bound = [binding.target_field(model, n) for n in binding.bound_names(self)]
        columns = ", ".join(qn(f.column) for f in [self, *bound])
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {columns} FROM {qn(model._meta.db_table)} WHERE {qn(model._meta.pk.column)} = %s",
                           [model._meta.pk.get_db_prep_value(instance.pk, connection)])
            row = cursor.fetchone()
        if row is None:
            raise model.DoesNotExist(f"{model._meta.label} pk={instance.pk} no longer exists")
        if row[0] is None:
            return None
        return self._open(row[0], instance.pk, binding.associated_data(self, row[1:]) if bound else None)

    def _open(self, stored, pk, ad):
        label = self.model._meta.label
        try:
            envelope = self.from_storage(stored)
            ring = get_keyring()
            data = ring.decrypt(self.purpose, envelope) if ad is None else ring.decrypt_bound(self.purpose, envelope, ad)
        except PhiCryptoError as err:
            failure = err
        else:
            if audit.enabled():
                self._audit(pk, envelope)
            return self._decoded(data, pk)
        raise DecryptionError(label, self.name, pk, _reason(failure))

    def type_name(self) -> str:
        return type(self).__name__.replace("Encrypted", "").replace("Field", "").lower()

    def open_sealed(self, sealed: Sealed, instance):
        result = sealed.result
        if result is None and binding.bound_names(self):
            result = sealed.result = self._decrypt_bound(sealed.envelope, instance)
        if result is None:
            sealed.batch.open()
            result = sealed.result
        if isinstance(result, Exception):
            raise DecryptionError(self.model._meta.label, self.name, instance.pk, _reason(result))
        if audit.enabled():
            self._audit(instance.pk, sealed.envelope)
        return self._decoded(result, instance.pk)

    def _decoded(self, data: bytes, pk):
        """decode(), with its errors (which quote the plaintext) replaced by one that names the place."""
        try:
            return self.decode(data)
        except Exception:
            pass
        raise DecodeError(self.model._meta.label, self.name, pk, self.type_name())

    def _decrypt_bound(self, envelope: bytes, instance):
        try:
            ad = binding.associated_data(self, binding.current_values(self, instance))
            return get_keyring().decrypt_bound(self.purpose, envelope, ad)
        except (PhiCryptoError, ValueError) as err:
            return err

    def _audit(self, pk, envelope: bytes) -> None:
        audit.record(self.model._meta.label, self.name, pk, get_keyring().version_of(envelope))


def _wire_models(sender, **kwargs) -> None:
    """Once a model is complete (its pk known, so the default binding too): instances with
    encrypted fields pickle sealed, and models with row-bound fields save binding groups whole."""
    fields = [f for f in sender._meta.local_concrete_fields if isinstance(f, EncryptedMixin)]
    if sender._meta.abstract or not fields:
        return
    _sealed_pickles(sender, fields)
    if not binding.bound_fields(sender):
        return
    inner = sender.save_base

    @functools.wraps(inner)
    def save_base(self, *args, **kwargs):
        if "update_fields" in kwargs:
            kwargs["update_fields"] = binding.widen_update_fields(self, kwargs["update_fields"])
        return inner(self, *args, **kwargs)

    sender.save_base = save_base


def _sealed_pickles(cls, fields) -> None:
    """A pickled instance (cache, session) carries envelopes, never plaintext; unpickling opens them."""
    get_state, set_state = cls.__getstate__, cls.__setstate__

    def __getstate__(self):
        state = get_state(self)
        for f in fields:
            value = state.get(f.attname)
            if value is not None and type(value) is not Sealed:
                state[f.attname] = f.seal(value, self)
        return state

    def __setstate__(self, state):
        set_state(self, state)
        data = self.__dict__
        for f in fields:
            if type(data.get(f.attname)) is Sealed:
                data[f.attname] = f.open_sealed(data[f.attname], self)

    cls.__getstate__, cls.__setstate__ = __getstate__, __setstate__


class_prepared.connect(_wire_models)


def _atomic_saves(cls) -> None:
    """Saves of a model with a unique deterministic field run in one transaction, so the
    cross-version check and the write happen under the same advisory lock."""
    original = cls.__dict__.get("save_base")
    if original is not None and getattr(original, "_phicrypto_atomic", False):
        return
    inner = cls.save_base

    @functools.wraps(inner)
    def save_base(self, *args, **kwargs):
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using, savepoint=False):
            return inner(self, *args, **kwargs)

    save_base._phicrypto_atomic = True
    cls.save_base = save_base


# ---------------------------------------------------------------- the fields
class EncryptedCharField(EncryptedMixin, models.CharField):
    def encode(self, value) -> bytes:
        return value.encode("utf-8")

    def decode(self, data: bytes):
        return data.decode("utf-8")

    def decode_many(self, items: list) -> list:
        return list(map(bytes.decode, items))  # UTF-8


class EncryptedTextField(EncryptedMixin, models.TextField):
    encode, decode, decode_many = EncryptedCharField.encode, EncryptedCharField.decode, EncryptedCharField.decode_many


class EncryptedBinaryField(EncryptedMixin, models.BinaryField):
    def encode(self, value) -> bytes:
        return bytes(value)

    def decode(self, data: bytes):
        return bytes(data)


class EncryptedIntegerField(EncryptedMixin, models.IntegerField):
    """Stored as 8 bytes, big-endian two's complement: every value has the same length."""

    def encode(self, value) -> bytes:
        return int(value).to_bytes(8, "big", signed=True)

    def decode(self, data: bytes):
        if len(data) != 8:
            raise ValueError("not an 8-byte integer")
        return int.from_bytes(data, "big", signed=True)


class EncryptedDateField(EncryptedMixin, models.DateField):
    def encode(self, value) -> bytes:
        return value.isoformat().encode("ascii")

    def decode(self, data: bytes):
        return datetime.date.fromisoformat(data.decode("ascii"))

    def decode_many(self, items: list) -> list:
        return list(map(datetime.date.fromisoformat, map(bytes.decode, items)))


class EncryptedDateTimeField(EncryptedMixin, models.DateTimeField):
    """Aware values are stored in UTC, microseconds always written, so equal instants encode equally."""

    def encode(self, value) -> bytes:
        if timezone.is_aware(value):
            value = value.astimezone(datetime.timezone.utc)
        return value.isoformat(timespec="microseconds").encode("ascii")

    def decode(self, data: bytes):
        return datetime.datetime.fromisoformat(data.decode("ascii"))


class EncryptedJSONField(EncryptedMixin, models.JSONField):
    """JSON with sorted keys and no spaces, so equal documents encode equally (deterministic lookups)."""

    def get_prep_value(self, value):
        return value

    @functools.cached_property
    def _canonical(self) -> json.JSONEncoder:  # json.dumps with these options builds one per call
        return (self.encoder or json.JSONEncoder)(sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def encode(self, value) -> bytes:
        return self._canonical.encode(value).encode("utf-8")

    def decode(self, data: bytes):
        return json.loads(data.decode("utf-8"), cls=self.decoder)

    def decode_many(self, items: list) -> list:
        if self.decoder is not None:
            return super().decode_many(items)
        return list(map(json.loads, map(bytes.decode, items)))  # UTF-8, as encode() wrote it


class EncryptedEmailField(EncryptedMixin, models.EmailField):
    """Stored as typed (UTF-8); Django's EmailField validation applies to the plaintext."""
    encode, decode, decode_many = EncryptedCharField.encode, EncryptedCharField.decode, EncryptedCharField.decode_many


class EncryptedDecimalField(EncryptedMixin, models.DecimalField):
    """Stored as the decimal string with exactly ``decimal_places`` digits after the point, so equal
    amounts encode equally (deterministic lookups) whatever precision they were given with."""

    def encode(self, value) -> bytes:
        return format(value.quantize(decimal.Decimal(1).scaleb(-self.decimal_places)), "f").encode("ascii")

    def decode(self, data: bytes):
        text = data.decode("ascii")
        value = decimal.Decimal(text)
        if not value.is_finite() or text != format(value, "f"):
            raise ValueError("not a canonical decimal")
        return value


class EncryptedUUIDField(EncryptedMixin, models.UUIDField):
    """Stored as the 16 bytes of the UUID: every value has the same length."""

    def encode(self, value) -> bytes:
        return value.bytes

    def decode(self, data: bytes):
        if len(data) != 16:
            raise ValueError("not a 16-byte UUID")
        return uuid.UUID(bytes=bytes(data))

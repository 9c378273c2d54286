"""Format-preserving encrypted fields: NIST SP 800-38G Rev. 1 FF1 (docs/search.md, docs/django.md).

    ssn = FormatPreservingField(pattern=SSN, db_index=True)      # "123-45-6789" -> "804-62-1937"

Each ``#`` of the pattern is a digit, encrypted with FF1 (radix 10) over all the digits together; every
other character is kept. The value keeps its length and format, so it fits the column, the forms and the
reports it always had. FF1 runs under the purpose's key source (a key derived per purpose and version;
the purpose is in the tweak), so equal values give equal ciphertexts and ``exact`` / ``in`` work.

The key version cannot ride in the value, so it has a column of its own, ``<field>_key_version``,
written with every value. Reading takes that version's key. A lookup encrypts the term under every
version that can still decrypt and matches (value, version) pairs, so rows written before a rotation are
found; :func:`reencrypt` moves rows to the active version, value and version in one UPDATE.

FF1 is not authenticated: a database writer who changes digits gets another valid-looking number on
read, never an error; and it is deterministic, so a reader sees which rows share a value (as with any
deterministic field). At least 6 digits (the SP 800-38G domain rule: 10^6 values).
"""
from __future__ import annotations

from django.core.exceptions import FieldError, ValidationError
from django.db import models, transaction
from django.db.models.lookups import Lookup

import phicrypto

SSN = "###-##-####"
PHONE_US = "(###) ###-####"
MRN_10 = "##########"


class Ciphertext(str):
    """A value as stored: FF1 output in the field's format (what values() and values_list() return)."""
    __slots__ = ()


class _Attribute(models.query_utils.DeferredAttribute):
    """Decrypts a loaded ciphertext on first read with the row's own key version."""

    def __get__(self, instance, cls=None):
        value = super().__get__(instance, cls)
        if type(value) is Ciphertext:
            value = self.field.decrypt(value, getattr(instance, self.field.version_attname))
            instance.__dict__[self.field.attname] = value
        return value

    def __set__(self, instance, value):  # a data descriptor: reads come here even when __dict__ holds the value
        instance.__dict__[self.field.attname] = value


class FormatPreservingField(models.CharField):
    descriptor_class = _Attribute

    def __init__(self, *args, pattern: str = SSN, purpose: str | None = None, **kwargs):
        digits = pattern.count("#")
        if digits < 6:
            raise ValueError("a format-preserving pattern needs at least 6 '#' digits (SP 800-38G Rev. 1: 10^6 values)")
        self.pattern, self._purpose_arg, self.purpose = pattern, purpose, purpose
        kwargs.setdefault("max_length", len(pattern))
        super().__init__(*args, **kwargs)

    def contribute_to_class(self, cls, name, *args, **kwargs):
        super().contribute_to_class(cls, name, *args, **kwargs)
        if self._purpose_arg is None:
            self.purpose = f"{cls._meta.app_label}.{cls.__name__}.{self.name}"
        self.version_attname = f"{name}_key_version"
        if not any(f.name == self.version_attname for f in cls._meta.local_fields):
            cls.add_to_class(self.version_attname, KeyVersionField(null=True, editable=False))

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["pattern"] = self.pattern
        if self._purpose_arg is not None:
            kwargs["purpose"] = self._purpose_arg
        if kwargs.get("max_length") == len(self.pattern):
            del kwargs["max_length"]
        return name, path, args, kwargs

    # ---- the format
    def digits_of(self, value: str) -> str:
        if len(value) != len(self.pattern) or any(
                (p == "#" and not ("0" <= c <= "9")) or (p != "#" and c != p) for p, c in zip(self.pattern, value)):
            raise ValidationError(f"{self.model._meta.label}.{self.name} must look like {self.pattern!r}")
        return "".join(c for p, c in zip(self.pattern, value) if p == "#")

    def formatted(self, digits: str) -> str:
        it = iter(digits)
        return "".join(next(it) if p == "#" else p for p in self.pattern)

    def validate(self, value, model_instance):
        super().validate(value, model_instance)
        if value is not None and type(value) is not Ciphertext:
            self.digits_of(value)  # forms and full_clean() see a wrong format before any save

    # ---- crypto through the purpose's key source
    def _source(self):
        from .keyring import get_keyring

        return get_keyring().engine.source(self.purpose)

    def encrypt(self, value: str, version: int | None = None) -> tuple[Ciphertext, int]:
        from .keyring import get_keyring

        if version is None:
            get_keyring()._writable(self.purpose)
        ct, used = phicrypto.ff1_encrypt_versioned(self._source(), self.digits_of(value), version=version)
        return Ciphertext(self.formatted(ct)), used

    def decrypt(self, value: str, version: int | None) -> str:
        if version is None:
            raise FieldError(f"{self.model._meta.label}.{self.name}: the row has no key version")
        return self.formatted(phicrypto.ff1_decrypt(self._source(), self.digits_of(value), version=version))

    def search_pairs(self, value: str) -> list[tuple[Ciphertext, int]]:
        try:
            versions = phicrypto.source_versions(self._source())
        except phicrypto.KeyNotFoundError:
            return []
        return [self.encrypt(value, v) for v in versions]

    # ---- database
    def from_db_value(self, value, expression, connection):
        return None if value is None else Ciphertext(value)

    def pre_save(self, model_instance, add):
        value = model_instance.__dict__.get(self.attname)
        if value is None or type(value) is Ciphertext or hasattr(value, "resolve_expression"):
            return value  # unchanged since it was loaded: the same ciphertext and version
        ct, version = self.encrypt(str(value))
        setattr(model_instance, self.version_attname, version)
        return ct

    def get_prep_value(self, value):
        if value is None or type(value) is Ciphertext or hasattr(value, "resolve_expression"):
            return value
        raise FieldError(f"{self.model._meta.label}.{self.name} is format-preserving encrypted: write it with save(), "
                         f"create() or bulk_create(), which also write its key version")

    def get_lookup(self, lookup_name):
        if lookup_name in ("exact", "in"):
            return FpeIn if lookup_name == "in" else FpeExact
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        raise FieldError(f"{self.model._meta.label}.{self.name} is format-preserving encrypted: lookup '{lookup_name}' "
                         f"is not supported (allowed: exact, in, isnull)")

    def get_transform(self, lookup_name):
        raise FieldError(f"{self.model._meta.label}.{self.name} is format-preserving encrypted: no transform '{lookup_name}'")


class KeyVersionField(models.PositiveIntegerField):
    """The key version of a format-preserving field's value (set by that field's pre_save)."""

    def contribute_to_class(self, cls, name, *args, **kwargs):
        # A migration's model state lists the column its field has already added.
        if not any(f.name == name for f in cls._meta.local_fields):
            super().contribute_to_class(cls, name, *args, **kwargs)


class FpeExact(Lookup):
    lookup_name = "exact"
    prepare_rhs = False

    def _terms(self) -> list:
        return [self.rhs]

    def as_sql(self, compiler, connection):
        field = self.lhs.output_field
        terms = [t for t in self._terms() if t is not None]
        if any(hasattr(t, "resolve_expression") for t in terms):
            raise FieldError(f"{field.model._meta.label}.{field.name} is encrypted: compare it with values, not expressions")
        pairs = [p for t in terms for p in field.search_pairs(str(t))]
        if not pairs:
            from django.core.exceptions import EmptyResultSet
            raise EmptyResultSet
        lhs, lhs_params = compiler.compile(self.lhs)
        version = field.model._meta.get_field(field.version_attname)
        vcol, vparams = compiler.compile(version.get_col(self.lhs.alias))
        sql = " OR ".join(f"({lhs} = %s AND {vcol} = %s)" for _ in pairs)
        params = [x for ct, v in pairs for x in (*lhs_params, str(ct), *vparams, v)]
        return f"({sql})", params


class FpeIn(FpeExact):
    lookup_name = "in"

    def _terms(self) -> list:
        return list(self.rhs)


def reencrypt(model, field_name: str, batch: int = 500) -> int:
    """Moves every value of ``field_name`` not under the active key version to it (value and version
    in one UPDATE per row, in transactions of ``batch`` rows); returns the rows rewritten."""
    field = model._meta.get_field(field_name)
    field._source()  # the purpose must exist
    from .keyring import get_keyring

    get_keyring()._writable(field.purpose)
    active = phicrypto.source_versions(field._source())[0]
    done = 0
    while True:
        with transaction.atomic():
            rows = list(model._base_manager.select_for_update(skip_locked=True)
                        .exclude(**{field.version_attname: active}).exclude(**{f"{field_name}__isnull": True})
                        .values_list("pk", field_name, field.version_attname)[:batch])
            for pk, stored, version in rows:
                ct, used = field.encrypt(field.decrypt(stored, version))
                model._base_manager.filter(pk=pk).update(**{field_name: ct, field.version_attname: used})
            done += len(rows)
        if len(rows) < batch:
            return done

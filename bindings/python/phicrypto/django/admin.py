"""Admin search over encrypted fields.

Django's admin searches every ``search_fields`` entry with ``icontains`` (``=name``: ``iexact``), which
an encrypted column cannot answer: one encrypted name in ``search_fields`` made every search an
HTTP 500. With ``EncryptedSearchMixin``:

    "name"        plain fields: Django's own search
    "=ssn"        a deterministic field: the whole search term, exactly (the ``exact`` lookup, across
                  key versions); a term that cannot be a value of the field (too long, not a date...)
                  finds nothing
    "=name", "^name"  a searchable randomized field (phicrypto.django.search): iexact (or exact) and
                  istartswith (or startswith) through its blind indexes
    "ssn", "diagnosis" ...   any other encrypted entry: skipped, and system check phicrypto.W002 says so

Check phicrypto.E006 flags a registered ModelAdmin that lists encrypted fields in search_fields
without the mixin (its searches would fail).
"""
from __future__ import annotations

from django.core import checks
from django.core.exceptions import FieldDoesNotExist, FieldError, ValidationError

from . import search
from .fields import EncryptedMixin


def _split(model, entry: str):
    """(encrypted field or None, exact?) of a search_fields entry."""
    exact = entry.startswith("=")
    name = entry.lstrip("^=@")
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None, exact
    return (field if isinstance(field, EncryptedMixin) else None), exact


def searchable(field, exact: bool) -> bool:
    return exact and field.deterministic


class EncryptedSearchMixin:
    def get_search_fields(self, request):
        return [e for e in super().get_search_fields(request) if _split(self.model, e)[0] is None]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return super().get_search_results(request, queryset, search_term)
        if self.get_search_fields(request):
            found, duplicates = super().get_search_results(request, queryset, search_term)
        else:
            found, duplicates = queryset.none(), False
        for entry in super().get_search_fields(request):
            field, exact = _split(self.model, entry)
            if field is not None and searchable(field, exact) and _could_be(field, term):
                found = found | queryset.filter(**{field.name: term})
            elif field is not None and (lookup := search.admin_lookup(field, entry)) and _could_be(field, term):
                try:  # a blind-index search (phicrypto.django.search): too short a prefix finds nothing
                    found = found | queryset.filter(pk__in=list(queryset.filter(**{f"{field.name}__{lookup}": term}).values_list("pk", flat=True)))
                except FieldError:
                    pass
        return found, duplicates

    def check(self, **kwargs):
        errors = super().check(**kwargs)
        for entry in self.search_fields or ():
            field, exact = _split(self.model, entry)
            if field is not None and not searchable(field, exact) and not search.admin_lookup(field, entry):
                errors.append(checks.Warning(
                    f"search_fields entry {entry!r} is an encrypted field the admin cannot search: it is skipped",
                    hint="search a deterministic field by the whole value with '=name'", obj=self.__class__, id="phicrypto.W002"))
        return errors


def _could_be(field, term: str) -> bool:
    """Whether ``term`` can be a value of ``field`` (else the search finds nothing, without a query)."""
    max_length = getattr(field, "max_length", None)
    if max_length is not None and len(term) > max_length:
        return False
    try:
        field.to_python(term)
    except (ValidationError, ValueError, TypeError):
        return False
    return True


@checks.register(checks.Tags.admin)
def check_admin_search(app_configs=None, **kwargs):
    from django.contrib import admin
    errors = []
    for model, model_admin in admin.site._registry.items():
        if isinstance(model_admin, EncryptedSearchMixin):
            continue
        encrypted = [e for e in model_admin.search_fields or () if _split(model, e)[0] is not None]
        if encrypted:
            errors.append(checks.Error(
                f"{type(model_admin).__name__} lists encrypted fields in search_fields ({', '.join(encrypted)}): "
                f"every admin search would fail", hint="add phicrypto.django.admin.EncryptedSearchMixin to the ModelAdmin",
                obj=type(model_admin), id="phicrypto.E006"))
    return errors

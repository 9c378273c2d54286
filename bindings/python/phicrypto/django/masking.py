"""Masked display of encrypted fields in the admin: ``***-**-6789`` instead of the whole SSN.

    @admin.register(Patient)
    class PatientAdmin(MaskedFieldsMixin, EncryptedSearchMixin, admin.ModelAdmin):
        masked_fields = {"ssn": 4, "mrn": 2}     # field name -> trailing characters left visible
        list_display = ("id", "name", "ssn")

A masked field shows masked in the change list and, read-only, in the change form (an editable input
would have to carry the plaintext to the browser). Override ``show_unmasked(request)`` to let some
users (say, with a permission) see and edit the real values. Masking is display only: the value is
decrypted on the server as before, and the access audit records the read.
"""
from __future__ import annotations

from django.contrib import admin


def mask(value, visible: int = 4, char: str = "*") -> str:
    """``value`` as text with every letter and digit but the last ``visible`` ones replaced by ``char``;
    separators stay, so the shape is recognisable (``***-**-6789``). None shows as the empty value."""
    if value is None:
        return "-"
    text = str(value)
    alnum = [i for i, c in enumerate(text) if c.isalnum()]
    hidden = set(alnum[:max(0, len(alnum) - visible)])
    return "".join(char if i in hidden else c for i, c in enumerate(text))


def _masked_display(name: str, visible: int, label: str):
    @admin.display(description=label)
    def show(obj):
        return mask(getattr(obj, name), visible)
    show.__name__ = f"masked_{name}"
    return show


class MaskedFieldsMixin:
    masked_fields: dict[str, int] = {}

    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        for name, visible in self.masked_fields.items():
            label = model._meta.get_field(name).verbose_name
            setattr(self, f"masked_{name}", _masked_display(name, visible, label))

    def show_unmasked(self, request) -> bool:
        """True: this request sees (and may edit) the real values. Default: nobody."""
        return False

    def _swap(self, request, names):
        if self.show_unmasked(request):
            return list(names)
        return [f"masked_{n}" if n in self.masked_fields else n for n in names]

    def get_list_display(self, request):
        return self._swap(request, super().get_list_display(request))

    def get_fields(self, request, obj=None):
        return self._swap(request, super().get_fields(request, obj))

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if self.show_unmasked(request):
            return readonly
        return readonly + [f"masked_{n}" for n in self.masked_fields]

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        return exclude if self.show_unmasked(request) else exclude + list(self.masked_fields)

from django.contrib import admin

from phicrypto.django.admin import EncryptedSearchMixin
from phicrypto.django.masking import MaskedFieldsMixin

from .models import Contact, Patient


@admin.register(Patient)
class PatientAdmin(EncryptedSearchMixin, admin.ModelAdmin):
    list_display = ("id", "name", "ward")
    fields = ("name", "ssn", "mrn", "diagnosis", "date_of_birth", "notes", "ward")
    search_fields = ("name", "=ssn", "=mrn", "diagnosis")  # diagnosis: skipped (check phicrypto.W002)


# The same model behind masked display (phicrypto.django.masking), on a second admin site.
masked_site = admin.AdminSite(name="masked")


@admin.register(Patient, site=masked_site)
class MaskedPatientAdmin(MaskedFieldsMixin, EncryptedSearchMixin, admin.ModelAdmin):
    masked_fields = {"ssn": 4, "mrn": 2}
    list_display = ("id", "name", "ssn", "mrn")
    fields = ("name", "ssn", "mrn", "diagnosis", "ward")
    search_fields = ("name", "=ssn")

    def show_unmasked(self, request):  # an example policy: superusers see the real values
        return request.user.is_superuser


@admin.register(Contact)
class ContactAdmin(EncryptedSearchMixin, admin.ModelAdmin):
    list_display = ("id",)
    search_fields = ("^last_name", "=first_name")  # blind indexes: istartswith and iexact

from django.contrib import admin

from phicrypto.django.admin import EncryptedSearchMixin

from .models import Contact, Patient


@admin.register(Patient)
class PatientAdmin(EncryptedSearchMixin, admin.ModelAdmin):
    list_display = ("id", "name", "ward")
    fields = ("name", "ssn", "mrn", "diagnosis", "date_of_birth", "notes", "ward")
    search_fields = ("name", "=ssn", "=mrn", "diagnosis")  # diagnosis: skipped (check phicrypto.W002)


@admin.register(Contact)
class ContactAdmin(EncryptedSearchMixin, admin.ModelAdmin):
    list_display = ("id",)
    search_fields = ("^last_name", "=first_name")  # blind indexes: istartswith and iexact

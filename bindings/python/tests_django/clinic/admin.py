from django.contrib import admin

from .models import Patient


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "ward")
    fields = ("name", "ssn", "mrn", "diagnosis", "date_of_birth", "notes", "ward")

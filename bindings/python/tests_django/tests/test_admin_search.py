"""Admin search with encrypted fields, through the test client against the real admin."""
import pytest
from django.contrib import admin

from clinic.models import Patient, Record
from phicrypto.django.admin import check_admin_search

from .helpers import make

pytestmark = pytest.mark.django_db


def found(admin_client, term):
    response = admin_client.get("/admin/clinic/patient/", {"q": term})
    assert response.status_code == 200
    return sorted(o.pk for o in response.context["cl"].result_list)


def test_search_by_plain_and_deterministic_fields(admin_client):
    ann, bob = make(name="Ann"), make(name="Bob", ssn="987-65-4321", mrn="MRN-0002")
    assert found(admin_client, "Ann") == [ann.pk]
    assert found(admin_client, "987-65-4321") == [bob.pk]          # =ssn, the whole value
    assert found(admin_client, " MRN-0001 ") == [ann.pk]            # =mrn
    assert found(admin_client, "987-65") == []                      # no partial matches on ciphertext
    assert found(admin_client, "E11.9 type 2 diabetes") == []       # diagnosis is skipped, not an error
    assert found(admin_client, "x" * 300) == []                     # longer than any field: nothing, no DataError
    assert found(admin_client, "") == [ann.pk, bob.pk]


def test_checks_warn_about_unsearchable_entries_and_flag_admins_without_the_mixin():
    warnings = [e for e in admin.site._registry[Patient].check() if e.id == "phicrypto.W002"]
    assert len(warnings) == 1 and "'diagnosis'" in warnings[0].msg
    assert check_admin_search() == []

    class RecordAdmin(admin.ModelAdmin):
        search_fields = ("patient_name", "diagnosis")

    admin.site.register(Record, RecordAdmin)
    try:
        errors = check_admin_search()
    finally:
        admin.site.unregister(Record)
    assert [e.id for e in errors] == ["phicrypto.E006"] and "diagnosis" in errors[0].msg

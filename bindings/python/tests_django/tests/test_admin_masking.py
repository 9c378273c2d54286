"""Masked display of encrypted fields (phicrypto.django.masking), through the test client against a
real admin site (clinic.admin.masked_site at /masked-admin/): a clerk sees ***-**-6789, never the SSN."""
import pytest
from django.contrib.auth.models import Permission, User

from clinic.models import Patient
from phicrypto.django.masking import mask

from .helpers import make

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk_client(client):
    clerk = User.objects.create_user("clerk", password="x", is_staff=True)
    clerk.user_permissions.set(Permission.objects.filter(codename__in=["view_patient", "change_patient"]))
    client.force_login(clerk)
    return client


def test_mask_keeps_separators_and_the_last_characters():
    assert mask("123-45-6789") == "***-**-6789"
    assert mask("MRN-0001", 2) == "***-**01"
    assert mask("12", 4) == "12"
    assert mask(None) == "-"


def test_change_list_and_form_show_masked_values_only(clerk_client):
    p = make(ssn="123-45-6789", mrn="MRN-0042", name="Ann")
    listing = clerk_client.get("/masked-admin/clinic/patient/")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "***-**-6789" in page and "***-**42" in page and "Ann" in page
    assert "123-45-6789" not in page and "MRN-0042" not in page
    change = clerk_client.get(f"/masked-admin/clinic/patient/{p.pk}/change/")
    assert change.status_code == 200
    page = change.content.decode()
    assert "***-**-6789" in page and "123-45-6789" not in page and "MRN-0042" not in page
    assert 'name="ssn"' not in page  # no input carrying the plaintext


def test_saving_the_masked_form_keeps_the_hidden_values(clerk_client):
    p = make(ssn="123-45-6789", mrn="MRN-0042")
    response = clerk_client.post(f"/masked-admin/clinic/patient/{p.pk}/change/",
                                 {"name": "Ann B.", "diagnosis": "J45 asthma", "ward": "3"})
    assert response.status_code == 302, response.content.decode()[:2000]
    p = Patient.objects.get(pk=p.pk)
    assert (p.name, p.diagnosis, p.ssn, p.mrn) == ("Ann B.", "J45 asthma", "123-45-6789", "MRN-0042")


def test_search_by_the_whole_value_still_works_while_masked(clerk_client):
    p = make(ssn="123-45-6789")
    response = clerk_client.get("/masked-admin/clinic/patient/", {"q": "123-45-6789"})
    assert [o.pk for o in response.context["cl"].result_list] == [p.pk]
    assert "***-**-6789" in response.content.decode()  # the row shows masked (the page echoes the clerk's own term)


def test_show_unmasked_lets_a_chosen_user_see_and_edit_the_real_values(admin_client):
    p = make(ssn="123-45-6789")
    page = admin_client.get(f"/masked-admin/clinic/patient/{p.pk}/change/").content.decode()
    assert 'name="ssn"' in page and "123-45-6789" in page
    assert "123-45-6789" in admin_client.get("/masked-admin/clinic/patient/").content.decode()

"""The admin change form, and the three-step migration from a plain CharField."""
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from clinic.models import Patient
from legacy.models import Person
from phicrypto.django._engine import read_header

from .helpers import make, raw


@pytest.mark.django_db
def test_admin_change_form_shows_and_saves_plaintext(admin_client):
    p = make()
    page = admin_client.get(f"/admin/clinic/patient/{p.pk}/change/").content.decode()
    assert 'value="123-45-6789"' in page and 'value="MRN-0001"' in page and "E11.9 type 2 diabetes" in page
    response = admin_client.post(f"/admin/clinic/patient/{p.pk}/change/", {
        "name": "Ann", "ssn": "123-45-6789", "mrn": "MRN-0001", "diagnosis": "J45 asthma",
        "date_of_birth": "1970-05-17", "notes": '{"allergies": []}', "ward": "general"})
    assert response.status_code == 302
    got = Patient.objects.get(pk=p.pk)
    assert (got.diagnosis, got.notes) == ("J45 asthma", {"allergies": []})
    assert b"asthma" not in raw("clinic_patient", "diagnosis", p.pk)
    other = make(ssn="999-99-9999", mrn="X")
    duplicate = admin_client.post(f"/admin/clinic/patient/{other.pk}/change/", {
        "name": "B", "ssn": "123-45-6789", "mrn": "X", "diagnosis": "", "date_of_birth": "", "notes": "null", "ward": "general"})
    assert duplicate.status_code == 200 and "already exists" in duplicate.content.decode()


@pytest.mark.django_db(transaction=True)
def test_three_step_migration_from_a_plain_charfield():
    executor = MigrationExecutor(connection)
    executor.migrate([("legacy", "0001_initial")])
    with connection.cursor() as cur:
        for i in range(2500):
            cur.execute("INSERT INTO legacy_person (name, ssn) VALUES (%s, %s)", [f"n{i}", f"123-00-{i:04d}" if i % 10 else None])
    executor = MigrationExecutor(connection)
    executor.migrate([("legacy", "0004_swap_ssn")])
    assert Person.objects.count() == 2500
    assert Person.objects.get(ssn="123-00-0042").name == "n42"
    assert Person.objects.filter(ssn__isnull=True).count() == 250
    with connection.cursor() as cur:
        cur.execute("SELECT data_type FROM information_schema.columns WHERE table_name = 'legacy_person' AND column_name = 'ssn'")
        assert cur.fetchone()[0] == "bytea"
        cur.execute("SELECT ssn FROM legacy_person WHERE name = 'n42'")
        stored = bytes(cur.fetchone()[0])
    assert b"123-00-0042" not in stored and read_header(stored)[:2] == (1, 1)
    with pytest.raises(Exception):  # unique again, now on the encrypted column
        Person.objects.create(name="dup", ssn="123-00-0042")

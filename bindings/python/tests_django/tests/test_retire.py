"""manage.py phicrypto keys retire PURPOSE VERSION: deactivates only what the data proves unused."""
import psycopg2
import pytest
from django.core.management.base import CommandError

from clinic.models import Patient, Sample
from phicrypto.django import conf

from .helpers import make, manage

pytestmark = pytest.mark.django_db(transaction=True)

SSN = "clinic.Patient.ssn"


def store_state(purpose, version):
    conn = psycopg2.connect(conf.store_url())
    with conn, conn.cursor() as cur:
        cur.execute("SELECT state FROM phicrypto_key_records WHERE purpose = %s AND version = %s", (purpose, version))
        state = cur.fetchone()[0]
    conn.close()
    return state


def test_retire_refuses_while_rows_name_the_version_then_deactivates():
    manage("keys", "init")
    make(ssn="111-11-1111", mrn="M1")
    make(ssn="222-22-2222", mrn="M2")
    Patient.objects.create(name="no ssn", mrn="M3")  # NULL: names no version
    manage("keys", "rotate", SSN)
    make(ssn="333-33-3333", mrn="M4")  # under v2
    with pytest.raises(CommandError, match=r"2 row\(s\) still name clinic.Patient.ssn v1 \(clinic.Patient.ssn: 2\)"):
        manage("keys", "retire", SSN, "1")
    manage("reencrypt", "clinic.Patient.ssn", "--no-progress")
    out = manage("keys", "retire", SSN, "1")
    assert "no row names clinic.Patient.ssn v1 (1 column(s) scanned: clinic.Patient.ssn)" in out
    assert store_state(SSN, 1) == "deactivated"
    assert sorted(Patient.objects.values_list("ssn", flat=True).exclude(ssn=None)) == ["111-11-1111", "222-22-2222", "333-33-3333"]
    assert "chain intact" in manage("keys", "audit", "--verify")


def test_the_active_version_an_unknown_one_and_a_foreign_purpose_are_refused():
    manage("keys", "init")
    with pytest.raises(CommandError, match="is the active version: rotate first"):
        manage("keys", "retire", SSN, "1")
    assert store_state(SSN, 1) == "active"
    with pytest.raises(CommandError, match="has no version 7"):
        manage("keys", "retire", SSN, "7")
    manage("keys", "rotate", SSN)
    from phicrypto.django.keyring import get_keyring
    get_keyring().engine.ensure(["files"])
    get_keyring().engine.rotate("files")
    with pytest.raises(CommandError, match="no encrypted field of this project uses files"):
        manage("keys", "retire", "files", "1")


def test_text_storage_is_scanned_from_its_decoded_header():
    # Sample.text is stored as text ("phi:" + base64url): the header is decoded in SQL.
    manage("keys", "init")
    Sample.objects.create(text="kept", label="a")
    manage("keys", "rotate", "clinic.Sample.text")
    with pytest.raises(CommandError, match=r"1 row\(s\) still name clinic.Sample.text v1 \(clinic.Sample.text: 1\)"):
        manage("keys", "retire", "clinic.Sample.text", "1")
    manage("reencrypt", "clinic.Sample.text", "--no-progress")
    assert "no row names clinic.Sample.text v1" in manage("keys", "retire", "clinic.Sample.text", "1")
    assert Sample.objects.get().text == "kept"


def test_versions_past_31_are_read_from_the_varint_header():
    manage("keys", "init")
    p = make(ssn="444-44-4444", mrn="M5")
    for _ in range(32):
        manage("keys", "rotate", SSN)
    p.ssn = "555-55-5555"
    p.save()  # under v33: a two-byte header (0 in the version bits, then the varint)
    manage("keys", "rotate", SSN)
    with pytest.raises(CommandError, match=r"1 row\(s\) still name clinic.Patient.ssn v33"):
        manage("keys", "retire", SSN, "33")
    assert "no row names clinic.Patient.ssn v1" in manage("keys", "retire", SSN, "1")

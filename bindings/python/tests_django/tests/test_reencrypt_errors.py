"""reencrypt meeting a value that does not decrypt: names model, field and pk; stops or skips as
asked; never a raw traceback."""
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from clinic.models import Patient
from phicrypto.django._engine import read_header

from .helpers import make, manage, raw

pytestmark = pytest.mark.django_db(transaction=True)


def setup_rows():
    rows = [make(ssn=f"000-00-000{i}", mrn=f"M{i}", diagnosis=f"D{i}") for i in range(4)]
    with connection.cursor() as cur:  # row 2's diagnosis tampered
        cur.execute("UPDATE clinic_patient SET diagnosis = overlay(diagnosis placing '\\x00'::bytea from 20 for 1) WHERE id = %s", [rows[2].pk])
    manage("keys", "rotate", "clinic.Patient.diagnosis")
    return rows


def versions(rows):
    return [read_header(raw("clinic_patient", "diagnosis", r.pk))[1] for r in rows]


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("phicrypto", "reencrypt", "clinic.Patient.diagnosis", "--no-progress", "--batch-size", "1", *args, stdout=out, stderr=err)
    finally:
        assert "Traceback" not in out.getvalue() + err.getvalue()
    return out.getvalue()


def test_stop_names_the_row_and_keeps_what_was_done():
    rows = setup_rows()
    with pytest.raises(CommandError) as err:
        run()
    message = str(err.value)
    assert f"clinic.Patient.diagnosis of pk={rows[2].pk}" in message and "AuthenticationError" in message and "D2" not in message
    assert versions(rows) == [2, 2, 1, 1]  # batches before the bad row committed; nothing after it


def test_skip_leaves_the_bad_row_and_finishes_the_rest():
    rows = setup_rows()
    before = raw("clinic_patient", "diagnosis", rows[2].pk)
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 value"):
        call_command("phicrypto", "reencrypt", "clinic.Patient.diagnosis", "--no-progress", "--on-error", "skip", stdout=out)
    assert f"skipped clinic.Patient.diagnosis of pk={rows[2].pk}: AuthenticationError" in out.getvalue()
    assert versions(rows) == [2, 2, 1, 2]
    assert raw("clinic_patient", "diagnosis", rows[2].pk) == before
    assert [Patient.objects.get(pk=r.pk).diagnosis for r in (rows[0], rows[3])] == ["D0", "D3"]


def test_status_shows_the_work_left_per_field():
    make(ssn="000-00-0001", mrn="A", diagnosis="D1")
    make(ssn="000-00-0002", mrn="B", diagnosis=None)
    manage("keys", "rotate", "clinic.Patient.diagnosis")
    make(ssn="000-00-0003", mrn="C", diagnosis="D3")
    lines = {line.split()[0]: line.split()[1:] for line in manage("reencrypt", "clinic.Patient", "--status").splitlines()[1:]}
    assert lines["clinic.Patient.diagnosis"] == ["2", "1", "50.0%"]
    assert lines["clinic.Patient.ssn"] == ["3", "0", "100.0%"]
    manage("reencrypt", "clinic.Patient.diagnosis", "--no-progress")
    assert manage("reencrypt", "clinic.Patient", "--status").count("100.0%") == 5

"""Row binding (phicrypto/django/binding.py) on PostgreSQL: a database writer who copies one row's
envelope into another row gets a DecryptionError naming model, field and pk, never the value."""
import datetime
import uuid

import pytest
from django.core.exceptions import FieldError
from django.db import connection, transaction
from django.test.utils import isolate_apps

from clinic.models import Patient, Record, Visit
from phicrypto.django import DecryptionError
from phicrypto.django.keyring import get_keyring

from .helpers import make, manage

pytestmark = pytest.mark.django_db


def raw(table, column, pk):
    with connection.cursor() as cur:
        cur.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        value = cur.fetchone()[0]
    return bytes(value) if isinstance(value, memoryview) else value


def copy_column(table, column, source_pk, target_pk):
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {table} SET {column} = (SELECT {column} FROM {table} WHERE id = %s) WHERE id = %s", [source_pk, target_pk])


def records():
    a = Record.objects.create(patient_name="A", diagnosis="F32.1 depression", admitted=datetime.date(2024, 1, 2), notes={"hiv": True})
    b = Record.objects.create(patient_name="B", diagnosis="J06.9 common cold", admitted=datetime.date(2024, 3, 4), notes={"hiv": False})
    return a, b


@pytest.mark.parametrize("column,value", [("diagnosis", "F32.1 depression"), ("admitted", "2024-01-02"), ("notes", "hiv")])
def test_envelope_copied_to_another_row_does_not_decrypt(column, value):
    a, b = records()
    copy_column("clinic_record", column, a.pk, b.pk)
    victim = Record.objects.get(pk=b.pk)
    with pytest.raises(DecryptionError) as err:
        getattr(victim, column)
    message = str(err.value)
    assert f"clinic.Record.{column} of pk={b.pk}" in message and "AuthenticationError" in message
    assert value not in message and value not in repr(err.value.args)
    assert err.value.__cause__ is None and err.value.__context__ is None
    assert (err.value.model, err.value.field, err.value.pk) == ("clinic.Record", column, b.pk)
    assert Record.objects.get(pk=a.pk).diagnosis == "F32.1 depression"  # the source row still reads


def test_bound_to_an_immutable_field():
    a, b = Visit.objects.create(mrn="MRN-1", summary="HIV positive"), Visit.objects.create(mrn="MRN-2", summary="healthy")
    copy_column("clinic_visit", "summary", a.pk, b.pk)
    with pytest.raises(DecryptionError, match=f"clinic.Visit.summary of pk={b.pk}"):
        Visit.objects.get(pk=b.pk).summary
    with connection.cursor() as cur:  # moving the whole binding group along with it is the same row's data again
        cur.execute("UPDATE clinic_visit SET mrn = 'MRN-1' WHERE id = %s", [b.pk])
    assert Visit.objects.get(pk=b.pk).summary == "HIV positive"


def test_unbound_fields_still_move_and_the_check_warns():
    """Patient has an auto-increment pk and no bind_to: its randomized fields are movable (the
    documented limit), and `manage.py check` says so for each of them."""
    a, b = make(ssn="111-11-1111", mrn="A", diagnosis="F32.1"), make(ssn="222-22-2222", mrn="B", diagnosis="J06.9")
    copy_column("clinic_patient", "diagnosis", a.pk, b.pk)
    assert Patient.objects.get(pk=b.pk).diagnosis == "F32.1"
    warned = {e.obj.name for f in Patient._meta.concrete_fields for e in f.check() if e.id == "phicrypto.W001"}
    assert warned == {"diagnosis", "date_of_birth", "notes"}
    assert not [e for f in Record._meta.concrete_fields + Visit._meta.concrete_fields for e in f.check() if e.id.startswith("phicrypto")]


def test_associated_data_is_the_documented_bytes():
    r = Record.objects.create(patient_name="A", diagnosis="I10")
    table, pk = b"clinic_record", str(r.pk).encode()
    ad = b"\x01" + len(table).to_bytes(4, "big") + table + (2).to_bytes(4, "big") + b"pk" + len(pk).to_bytes(4, "big") + pk
    envelope = raw("clinic_record", "diagnosis", r.pk)
    assert get_keyring().decrypt_bound("clinic.Record.diagnosis", envelope, ad) == b"I10"
    v = Visit.objects.create(mrn="M-7", summary="x")
    ad = b"\x01" + (12).to_bytes(4, "big") + b"clinic_visit" + (3).to_bytes(4, "big") + b"mrn" + (3).to_bytes(4, "big") + b"M-7"
    assert get_keyring().decrypt_bound("clinic.Visit.summary", raw("clinic_visit", "summary", v.pk), ad) == b"x"


def test_changing_a_bound_field_re_encrypts_in_the_same_save():
    v = Visit.objects.create(mrn="OLD", summary="E11.9")
    before = raw("clinic_visit", "summary", v.pk)
    loaded = Visit.objects.get(pk=v.pk)
    loaded.mrn = "NEW"  # the summary was never read
    loaded.save()
    assert raw("clinic_visit", "summary", v.pk) != before
    assert Visit.objects.get(pk=v.pk).summary == "E11.9"
    partial = Visit.objects.only("mrn").get(pk=v.pk)  # summary deferred, update_fields named
    partial.mrn = "NEWER"
    partial.save(update_fields=["mrn"])
    assert Visit.objects.get(pk=v.pk).summary == "E11.9"
    unchanged = Visit.objects.get(pk=v.pk)
    unchanged.ward = "icu"
    unchanged.save()
    assert Visit.objects.get(pk=v.pk).summary == "E11.9"


def test_a_new_pk_makes_a_row_bound_to_it():
    a, _ = records()
    loaded = Record.objects.get(pk=a.pk)
    loaded.pk = uuid.uuid4()
    loaded.save()
    assert Record.objects.get(pk=loaded.pk).diagnosis == "F32.1 depression"
    assert raw("clinic_record", "diagnosis", loaded.pk) != raw("clinic_record", "diagnosis", a.pk)


def test_writes_that_cannot_see_the_row_are_refused():
    a, b = records()
    before = raw("clinic_record", "diagnosis", a.pk)
    with pytest.raises(FieldError, match="bound to its row"), transaction.atomic():
        Record.objects.filter(pk=a.pk).update(diagnosis="plaintext?")
    a.diagnosis = "changed"
    with pytest.raises(FieldError, match="bound to its row"), transaction.atomic():
        Record.objects.bulk_update([a], ["diagnosis"])
    assert raw("clinic_record", "diagnosis", a.pk) == before
    with pytest.raises(FieldError, match="values"):
        list(Record.objects.values_list("diagnosis", flat=True))
    assert Record.objects.filter(pk=b.pk).update(patient_name="B2") == 1  # other columns as usual


def test_bulk_create_and_reencrypt_after_rotation():
    rows = Record.objects.bulk_create([Record(patient_name=f"p{i}", diagnosis=f"D{i}") for i in range(30)])
    manage("keys", "rotate", "clinic.Record.diagnosis")
    manage("reencrypt", "clinic.Record.diagnosis", "--no-progress")
    from phicrypto.django._engine import read_header
    assert {read_header(raw("clinic_record", "diagnosis", r.pk))[1] for r in rows} == {2}
    assert sorted(Record.objects.get(pk=r.pk).diagnosis for r in rows) == sorted(f"D{i}" for i in range(30))


@isolate_apps("clinic")
def test_checks_on_binding():
    from django.db import models
    from phicrypto.django.fields import EncryptedCharField, EncryptedTextField

    class Bad(models.Model):
        mrn = models.CharField(max_length=9)
        searchable = EncryptedCharField(max_length=5, deterministic=True, bind_to="mrn")
        auto_pk = EncryptedTextField(bind_to="pk")
        missing = EncryptedTextField(bind_to=("nope",))
        on_secret = EncryptedTextField(bind_to="searchable")
        accepted = EncryptedTextField(bind_to=())

        class Meta:
            app_label = "clinic"

    ids = {name: [e.id for e in Bad._meta.get_field(name).check()] for name in ("searchable", "auto_pk", "missing", "on_secret", "accepted")}
    assert ids == {"searchable": ["phicrypto.E004"], "auto_pk": ["phicrypto.E005"], "missing": ["phicrypto.E005"],
                   "on_secret": ["phicrypto.E005"], "accepted": []}

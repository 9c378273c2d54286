"""No way to write plaintext by accident, no computing on ciphertexts (expressions.py), and values
that decrypt but do not decode fail without showing the value."""
import datetime

import pytest
from django.core.exceptions import FieldError
from django.db import connection, transaction
from django.db.models import Case, CharField, F, Max, Min, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Upper

from clinic.models import Patient, Sample
from phicrypto.django import DecryptionError
from phicrypto.django.keyring import get_keyring

from .helpers import make, raw

pytestmark = pytest.mark.django_db


def stored(pk, column="diagnosis"):
    value = raw("clinic_patient", column, pk)
    return value.decode("latin-1") if isinstance(value, bytes) else value


@pytest.mark.parametrize("expression", [
    Value("SECRET-DX"), Value("SECRET-DX", output_field=CharField()),
    Case(When(pk__gt=0, then=Value("SECRET-DX")), default=Value("SECRET-DX")),
])
def test_update_with_values_encrypts(expression):
    p = make()
    Patient.objects.filter(pk=p.pk).update(diagnosis=expression)
    assert "SECRET-DX" not in stored(p.pk)
    assert Patient.objects.get(pk=p.pk).diagnosis == "SECRET-DX"


@pytest.mark.parametrize("expression", [F("name"), F("mrn"), RawSQL("'SECRET-DX'", []), Upper(Value("secret-dx")), Coalesce(F("name"), Value("x"))])
def test_update_with_other_expressions_is_refused(expression):
    p = make(name="SECRET-DX")
    before = stored(p.pk)
    with pytest.raises(FieldError, match="encrypted"), transaction.atomic():
        Patient.objects.filter(pk=p.pk).update(diagnosis=expression)
    assert stored(p.pk) == before


def test_update_from_the_same_column_keeps_the_envelope():
    p = make()
    before = stored(p.pk)
    Patient.objects.filter(pk=p.pk).update(diagnosis=F("diagnosis"))
    assert stored(p.pk) == before


def test_expressions_assigned_to_an_instance():
    p = make()
    p.diagnosis = Value("SECRET-DX")
    p.save()
    assert "SECRET-DX" not in stored(p.pk) and Patient.objects.get(pk=p.pk).diagnosis == "SECRET-DX"
    with pytest.raises(FieldError, match="encrypted"), transaction.atomic():
        Patient.objects.create(name="x", mrn="M", diagnosis=RawSQL("'SECRET-DX'", []))
    q = make(mrn="M2", ssn=None)
    q.diagnosis = F("name")
    with pytest.raises(FieldError, match="encrypted"), transaction.atomic():
        q.save()
    assert not Patient.objects.filter(mrn="M").exists()


@pytest.mark.parametrize("ordering", ["ssn", "-diagnosis", F("mrn").asc()])
def test_ordering_by_an_encrypted_column_is_refused(ordering):
    make()
    with pytest.raises(FieldError, match="order"):
        list(Patient.objects.order_by(ordering))
    with pytest.raises(FieldError, match="order"):
        list(Patient.objects.order_by(ordering).values_list("name", flat=True))


@pytest.mark.parametrize("aggregate", [Max, Min])
def test_aggregates_over_ciphertext_are_refused(aggregate):
    Sample.objects.create(text="apple")
    Sample.objects.create(text="zebra")
    with pytest.raises(FieldError, match="ciphertexts"):
        Sample.objects.aggregate(v=aggregate("text"))
    with pytest.raises(FieldError, match="ciphertexts"):
        list(Patient.objects.annotate(v=aggregate("ssn")).values_list("v", flat=True))


def test_admin_column_sort_on_an_encrypted_field_is_refused(admin_client):
    from django.contrib import admin
    make()
    model_admin = admin.site._registry[Patient]
    display = model_admin.list_display
    model_admin.list_display = ("id", "name", "ssn")
    try:
        with pytest.raises(FieldError, match="order"):
            admin_client.get("/admin/clinic/patient/?o=3")
        assert admin_client.get("/admin/clinic/patient/?o=2").status_code == 200
    finally:
        model_admin.list_display = display


@pytest.mark.parametrize("field,plaintext", [
    ("when", b"\xff\xfeSECRET"), ("when", b"SECRET-1970"), ("doc", b"{SECRET"), ("text", b"\xffSECRET"), ("count", b"SECRET"),
])
def test_a_value_that_decrypts_but_does_not_decode(field, plaintext):
    s = Sample.objects.create()
    model_field = Sample._meta.get_field(field)
    envelope = get_keyring().encrypt(model_field.purpose, plaintext, model_field.deterministic)
    Sample.objects.filter(pk=s.pk).update(**{field: None})
    with connection.cursor() as cur:
        cur.execute(f'UPDATE clinic_sample SET "{field}" = %s WHERE id = %s', [model_field.to_storage(envelope), s.pk])
    with pytest.raises(DecryptionError) as err:
        getattr(Sample.objects.get(pk=s.pk), field)
    _assert_no_secret(err.value, f"clinic.Sample.{field} of pk={s.pk}")
    with pytest.raises(DecryptionError) as err:
        list(Sample.objects.filter(pk=s.pk).values_list(field, flat=True))
    _assert_no_secret(err.value, f"clinic.Sample.{field}")


def _assert_no_secret(error, where):
    assert where in str(error) and "does not decode" in str(error)
    assert error.__cause__ is None and error.__context__ is None
    for text in (str(error), repr(error.args), repr(error)):
        assert "SECRET" not in text

import datetime
import io

from django.core.management import call_command
from django.db import connection

from clinic.models import Patient
from phicrypto.django._engine import read_header


def raw(table, column, pk, using=connection):
    with using.cursor() as cur:
        cur.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        value = cur.fetchone()[0]
    return bytes(value) if isinstance(value, memoryview) else value


def version(column, pk, table="clinic_patient"):
    return read_header(raw(table, column, pk))[1]


def make(**kw):
    values = dict(name="Ann", ssn="123-45-6789", mrn="MRN-0001", diagnosis="E11.9 type 2 diabetes",
                  date_of_birth=datetime.date(1970, 5, 17), notes={"allergies": ["penicillin"]})
    values.update(kw)
    return Patient.objects.create(**values)


def manage(*args) -> str:
    out = io.StringIO()
    call_command("phicrypto", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()

"""dumpdata writes envelopes and loaddata stores them back unchanged; plaintext export is explicit
and audited (phicrypto/django/serialization.py)."""
import datetime
import io
import json
import logging

import pytest
from django.core.management import call_command

from clinic.models import Patient, Record, Sample

from .helpers import make, raw

pytestmark = pytest.mark.django_db


def dump(*args):
    out = io.StringIO()
    call_command("dumpdata", *args, format="json", stdout=out)
    return out.getvalue()


def rows(model):
    return {o.pk: {f.name: raw(model._meta.db_table, f"\"{f.column}\"", o.pk) for f in model._meta.concrete_fields}
            for o in model.objects.all()}


def test_dumpdata_writes_envelopes_and_loaddata_restores_them(tmp_path):
    make()
    Record.objects.create(patient_name="A", diagnosis="F32.1 depression", admitted=datetime.date(2024, 1, 2), notes={"hiv": True})
    Sample.objects.create(text="héllo", blob=b"\x00bin", count=-42, seen=datetime.datetime(2024, 2, 29, 13, 0, tzinfo=datetime.timezone.utc),
                          when=datetime.date(2020, 1, 2), doc={"a": 1}, label="abc")
    before = {m: rows(m) for m in (Patient, Record, Sample)}
    fixture = dump("clinic.Patient", "clinic.Record", "clinic.Sample")
    objects = json.loads(fixture)
    assert all(v.startswith("phi:") for o in objects for k, v in o["fields"].items()
               if k not in ("name", "ward", "patient_name") and v is not None)
    # Everything but the envelopes and the pks: a UUID4 pk reads "-4xxx-" (so "-42" one time in 16),
    # and base64 of a ciphertext may hold any short string by chance.
    outside = json.dumps([{k: v for k, v in o["fields"].items() if not str(v).startswith("phi:")} for o in objects], ensure_ascii=False)
    for secret in ("123-45-6789", "MRN-0001", "diabetes", "1970-05-17", "penicillin", "depression", "2024-01-02", "héllo", "-42", "2020-01-02", '"abc"'):
        assert secret not in outside
    for secret in ("123-45-6789", "diabetes", "1970-05-17", "penicillin", "depression", "2020-01-02"):
        assert secret not in fixture  # long enough never to occur by chance
    path = tmp_path / "clinic.json"
    path.write_text(fixture)
    for m in (Patient, Record, Sample):
        m.objects.all().delete()
    call_command("loaddata", str(path), stdout=io.StringIO())
    assert {m: rows(m) for m in (Patient, Record, Sample)} == before  # the same envelopes, byte for byte
    assert Patient.objects.get().diagnosis == "E11.9 type 2 diabetes"
    assert Record.objects.get().diagnosis == "F32.1 depression"  # row-bound: same pk, same AD
    assert Sample.objects.get().count == -42


def test_a_value_changed_in_memory_is_encrypted_for_the_fixture():
    from django.core import serializers
    from phicrypto.django import serialization
    p = make()
    loaded = Patient.objects.get(pk=p.pk)
    loaded.diagnosis = "I10 changed"
    with serialization.fixture_mode(serialization.ENVELOPES):
        text = serializers.serialize("json", [loaded])
    assert "I10" not in text and json.loads(text)[0]["fields"]["diagnosis"].startswith("phi:")


def test_plaintext_export_is_explicit_and_audited(caplog):
    p = make()
    with caplog.at_level(logging.INFO, logger="phicrypto.audit"):
        fixture = dump("clinic.Patient", "--phicrypto-plaintext")
    assert "E11.9 type 2 diabetes" in fixture and "123-45-6789" in fixture
    events = {(r.phicrypto["action"], r.phicrypto["field"], r.phicrypto["pk"]) for r in caplog.records if r.name == "phicrypto.audit"}
    assert {("export", f, str(p.pk)) for f in ("ssn", "mrn", "diagnosis", "date_of_birth", "notes")} <= events

"""Fields on a real PostgreSQL 15: round trips, the stored envelope, NULL against "", lookups."""
import datetime

import pytest
from django.core.exceptions import FieldError, ValidationError
from django.db import DataError, connection
from django.test.utils import isolate_apps

from clinic.models import Patient, Sample
from phicrypto.django import DecryptionError
from phicrypto.django._engine import read_header

pytestmark = pytest.mark.django_db


def raw(table, column, pk):
    with connection.cursor() as cur:
        cur.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        value = cur.fetchone()[0]
    return bytes(value) if isinstance(value, memoryview) else value


def make(**kw):
    values = dict(name="Ann", ssn="123-45-6789", mrn="MRN-0001", diagnosis="E11.9 type 2 diabetes",
                  date_of_birth=datetime.date(1970, 5, 17), notes={"allergies": ["penicillin"], "smoker": False})
    values.update(kw)
    return Patient.objects.create(**values)


def test_create_read_update_delete():
    p = make()
    got = Patient.objects.get(pk=p.pk)
    assert (got.ssn, got.mrn, got.diagnosis) == ("123-45-6789", "MRN-0001", "E11.9 type 2 diabetes")
    assert got.date_of_birth == datetime.date(1970, 5, 17)
    assert got.notes == {"allergies": ["penicillin"], "smoker": False}
    got.diagnosis = "I10 hypertension"
    got.save()
    assert Patient.objects.get(pk=p.pk).diagnosis == "I10 hypertension"
    got.delete()
    assert not Patient.objects.filter(pk=p.pk).exists()


def test_raw_column_holds_the_envelope():
    p = make()
    ssn, diagnosis = raw("clinic_patient", "ssn", p.pk), raw("clinic_patient", "diagnosis", p.pk)
    assert isinstance(ssn, bytes) and b"123-45-6789" not in ssn
    assert len(ssn) == len("123-45-6789") + 17                       # deterministic: header + SIV
    assert len(diagnosis) == len("E11.9 type 2 diabetes".encode()) + 29  # randomized: header + nonce + tag
    assert read_header(ssn)[:2] == (1, 1) and read_header(diagnosis)[:2] == (0, 1)
    assert ssn[0] == 0b0110_0001 and diagnosis[0] == 0b0100_0001
    with connection.cursor() as cur:
        cur.execute("SELECT data_type FROM information_schema.columns WHERE table_name = 'clinic_patient' AND column_name = 'ssn'")
        assert cur.fetchone()[0] == "bytea"


def test_null_is_null_and_empty_is_encrypted():
    none, empty = make(ssn=None, diagnosis=None), make(ssn="", diagnosis="", mrn="M2")
    assert raw("clinic_patient", "diagnosis", none.pk) is None
    assert raw("clinic_patient", "ssn", none.pk) is None
    assert len(raw("clinic_patient", "diagnosis", empty.pk)) == 29
    assert len(raw("clinic_patient", "ssn", empty.pk)) == 17
    assert Patient.objects.get(pk=none.pk).diagnosis is None
    assert Patient.objects.get(pk=empty.pk).diagnosis == ""
    assert list(Patient.objects.filter(diagnosis__isnull=True).values_list("pk", flat=True)) == [none.pk]
    assert list(Patient.objects.filter(diagnosis=None).values_list("pk", flat=True)) == [none.pk]
    assert list(Patient.objects.filter(ssn="").values_list("pk", flat=True)) == [empty.pk]
    assert list(Patient.objects.filter(ssn__isnull=False).values_list("pk", flat=True)) == [empty.pk]


def test_randomized_differs_across_rows_deterministic_does_not():
    a, b = make(ssn="111-11-1111", mrn="SAME"), make(ssn="222-22-2222", mrn="SAME")
    assert raw("clinic_patient", "diagnosis", a.pk) != raw("clinic_patient", "diagnosis", b.pk)
    assert raw("clinic_patient", "mrn", a.pk) == raw("clinic_patient", "mrn", b.pk)
    assert raw("clinic_patient", "ssn", a.pk) != raw("clinic_patient", "ssn", b.pk)


def test_exact_and_in_lookups():
    a, b, c = make(ssn="111-11-1111", mrn="A"), make(ssn="222-22-2222", mrn="B"), make(ssn=None, mrn="A")
    assert Patient.objects.get(ssn="111-11-1111").pk == a.pk
    assert set(Patient.objects.filter(mrn="A").values_list("pk", flat=True)) == {a.pk, c.pk}
    assert set(Patient.objects.filter(ssn__in=["222-22-2222", "111-11-1111", None]).values_list("pk", flat=True)) == {a.pk, b.pk}
    assert set(Patient.objects.exclude(mrn="A").values_list("pk", flat=True)) == {b.pk}
    assert not Patient.objects.filter(ssn="999-99-9999").exists()
    assert not Patient.objects.filter(ssn__in=[]).exists()
    assert Patient.objects.filter(ssn__in=["111-11-1111"], mrn="A").count() == 1


@pytest.mark.parametrize("query", [
    {"ssn__startswith": "123"}, {"ssn__icontains": "45"}, {"ssn__gt": "1"}, {"ssn__iexact": "x"},
    {"diagnosis": "E11.9"}, {"diagnosis__in": ["E11.9"]}, {"diagnosis__contains": "E11"},
    {"date_of_birth__year": 1970}, {"date_of_birth__lt": datetime.date(2000, 1, 1)},
    {"notes__smoker": False}, {"notes__has_key": "smoker"}, {"mrn__regex": "^M"},
])
def test_every_other_lookup_raises_field_error(query):
    make()
    with pytest.raises(FieldError, match="encrypted"):
        list(Patient.objects.filter(**query))


def test_expressions_are_refused():
    from django.db.models import F
    with pytest.raises(FieldError, match="encrypted"):
        list(Patient.objects.filter(ssn=F("mrn")))


def test_max_length_validates_the_plaintext():
    p = Patient(name="x", ssn="123-45-67890", mrn="M")
    with pytest.raises(ValidationError) as err:
        p.full_clean()
    assert "ssn" in err.value.message_dict
    with pytest.raises(DataError):
        p.save()


def test_values_and_values_list_decrypt():
    a = make(ssn="111-11-1111", mrn="A")
    assert list(Patient.objects.filter(pk=a.pk).values_list("ssn", "mrn", "date_of_birth")) == [("111-11-1111", "A", datetime.date(1970, 5, 17))]
    row = Patient.objects.values("notes", "diagnosis").get(pk=a.pk)
    assert row == {"notes": {"allergies": ["penicillin"], "smoker": False}, "diagnosis": "E11.9 type 2 diabetes"}


def test_every_type_round_trips_in_both_storages():
    seen = datetime.datetime(2024, 2, 29, 13, 14, 15, 123456, tzinfo=datetime.timezone.utc)
    s = Sample.objects.create(text="héllo ✓", blob=b"\x00\xffbinary", count=-42, seen=seen,
                              when=datetime.date(2020, 1, 2), doc={"b": 1, "a": [1, 2]}, label="abc")
    got = Sample.objects.get(pk=s.pk)
    assert (got.text, got.blob, got.count, got.seen, got.when, got.doc, got.label) == \
        ("héllo ✓", b"\x00\xffbinary", -42, seen, datetime.date(2020, 1, 2), {"a": [1, 2], "b": 1}, "abc")
    stored_text = raw("clinic_sample", "text", s.pk)
    assert stored_text.startswith("phi:") and "llo" not in stored_text
    envelope = Sample._meta.get_field("text").from_storage(stored_text)
    assert len(envelope) == len("héllo ✓".encode()) + 17 and read_header(envelope)[:2] == (1, 1)
    assert Sample.objects.get(text="héllo ✓").pk == s.pk
    assert Sample.objects.get(count=-42).pk == s.pk
    assert Sample.objects.get(when=datetime.date(2020, 1, 2)).pk == s.pk
    assert Sample.objects.get(doc={"a": [1, 2], "b": 1}).pk == s.pk       # key order does not matter
    assert len(raw("clinic_sample", "count", s.pk)) == 8 + 17                # integers: fixed 8 bytes


def test_purpose_binds_the_column():
    a = make()
    with connection.cursor() as cur:  # copy the mrn envelope into the ssn column of the same row
        cur.execute("UPDATE clinic_patient SET ssn = mrn WHERE id = %s", [a.pk])
    with pytest.raises(DecryptionError) as err:
        Patient.objects.get(pk=a.pk).ssn
    assert f"clinic.Patient.ssn of pk={a.pk}" in str(err.value)
    assert "MRN-0001" not in str(err.value)


def test_tampered_value_raises_naming_model_field_and_pk():
    a = make()
    with connection.cursor() as cur:
        cur.execute("UPDATE clinic_patient SET diagnosis = overlay(diagnosis placing '\\x00'::bytea from 20 for 1) WHERE id = %s", [a.pk])
    p = Patient.objects.get(pk=a.pk)
    assert p.ssn == "123-45-6789"  # the other fields still read
    with pytest.raises(DecryptionError) as err:
        p.diagnosis
    message = str(err.value)
    assert "clinic.Patient.diagnosis" in message and f"pk={a.pk}" in message and "diabetes" not in message
    with pytest.raises(DecryptionError):
        list(Patient.objects.filter(pk=a.pk).values_list("diagnosis", flat=True))


def test_plaintext_in_a_text_column_is_not_returned():
    s = Sample.objects.create(text="x")
    with connection.cursor() as cur:
        cur.execute("UPDATE clinic_sample SET text = 'legacy plaintext' WHERE id = %s", [s.pk])
    with pytest.raises(DecryptionError, match="missing prefix"):
        Sample.objects.get(pk=s.pk).text


def test_bulk_create_bulk_update_update_values_list():
    rows = Patient.objects.bulk_create([Patient(name=f"p{i}", ssn=f"000-00-{i:04d}", mrn=f"M{i}", diagnosis=f"D{i}") for i in range(50)])
    assert Patient.objects.get(ssn="000-00-0042").diagnosis == "D42"
    for r in rows:
        r.diagnosis = r.diagnosis + "!"
    Patient.objects.bulk_update(rows, ["diagnosis"], batch_size=20)
    assert sorted(Patient.objects.values_list("diagnosis", flat=True)) == sorted(f"D{i}!" for i in range(50))
    Patient.objects.filter(mrn__in=["M1", "M2"]).update(diagnosis="updated", mrn="M-new")
    assert sorted(Patient.objects.filter(mrn="M-new").values_list("diagnosis", flat=True)) == ["updated", "updated"]


def test_a_save_writes_fresh_envelopes_that_read_back():
    """Fetched values are plaintext in the instance (readpath.py), so a save encrypts every loaded
    encrypted field again: randomized envelopes change, deterministic ones do not."""
    a = make()
    before = {c: raw("clinic_patient", c, a.pk) for c in ("diagnosis", "ssn")}
    p = Patient.objects.get(pk=a.pk)
    p.name = "renamed"
    p.save()
    assert raw("clinic_patient", "diagnosis", a.pk) != before["diagnosis"]
    assert raw("clinic_patient", "ssn", a.pk) == before["ssn"]
    assert Patient.objects.get(pk=a.pk).diagnosis == "E11.9 type 2 diabetes"


def test_deconstruct_round_trips():
    for field in Patient._meta.get_fields() + Sample._meta.get_fields():
        if not hasattr(field, "deterministic"):
            continue
        name, path, args, kwargs = field.deconstruct()
        assert path.startswith("phicrypto.django.fields.")
        clone = type(field)(*args, **kwargs)
        assert (clone.deterministic, clone.storage, clone._purpose_arg) == (field.deterministic, field.storage, field._purpose_arg)
    assert Sample._meta.get_field("label").deconstruct()[3]["purpose"] == "clinic.sample-label"
    assert Patient._meta.get_field("ssn").purpose == "clinic.Patient.ssn"


@isolate_apps("clinic")
def test_checks_refuse_unique_randomized_fields():
    from django.db import models
    from phicrypto.django.fields import EncryptedCharField

    class Bad(models.Model):
        x = EncryptedCharField(max_length=5, unique=True)

        class Meta:
            app_label = "clinic"

    ids = {e.id for e in Bad._meta.get_field("x").check()}
    assert "phicrypto.E002" in ids


def test_stored_envelope_opens_with_an_independent_implementation():
    """Unwrap the DEK with Debian's `cryptography` (AES-KWP under the KEK), derive the GCM subkey
    (HKDF-SHA-256, docs/field-format.md) and open the raw diagnosis column: the bytes in PostgreSQL
    are exactly the documented envelope."""
    import base64
    import os
    import psycopg2
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM, AESSIV
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    from cryptography.hazmat.primitives.keywrap import aes_key_unwrap_with_padding
    from phicrypto.django import conf

    p = make()
    conn = psycopg2.connect(conf.store_url())
    with conn, conn.cursor() as cur:
        cur.execute("SELECT purpose, record FROM phicrypto_key_records WHERE purpose IN ('clinic.Patient.diagnosis', 'clinic.Patient.ssn') AND version = 1")
        wrapped = {purpose: _wrapped_dek(bytes(r)) for purpose, r in cur.fetchall()}
    conn.close()
    kek = base64.b64decode(os.environ["PHICRYPTO_MASTER_KEY"])

    def subkey(purpose, info, length):
        dek = aes_key_unwrap_with_padding(kek, wrapped[purpose])
        return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(dek)

    def ad(head, purpose):
        return head + len(purpose).to_bytes(2, "big") + purpose.encode()

    env = raw("clinic_patient", "diagnosis", p.pk)
    purpose = "clinic.Patient.diagnosis"
    gcm = AESGCM(subkey(purpose, b"phicrypto/field/v1/aes-256-gcm", 32))
    assert gcm.decrypt(env[1:13], env[13:], ad(env[:1], purpose)) == b"E11.9 type 2 diabetes"
    env = raw("clinic_patient", "ssn", p.pk)
    purpose = "clinic.Patient.ssn"
    siv = AESSIV(subkey(purpose, b"phicrypto/field/v1/aes-256-siv", 64))
    assert siv.decrypt(env[1:], [ad(env[:1], purpose)]) == b"123-45-6789"


def _wrapped_dek(record: bytes) -> bytes:
    """The AES-KWP-wrapped DEK of a binary key record (docs/keyring-format.md): format, state and
    wrap algorithm bytes, purpose (u8 length), version (u32), generation (u64), five i64 times, usage
    (u64), KEK id (u16 length), check value (u8 length), then the wrapped DEK (u8 length)."""
    assert record[0] == 2 and record[2] == 1  # format 2, AES-KWP
    at = 3 + 1 + record[3] + 4 + 8 + 5 * 8 + 8
    at += 2 + int.from_bytes(record[at:at + 2], "big")
    at += 1 + record[at]
    return record[at + 1:at + 1 + record[at]]


def test_bulk_paths_use_one_batch_call_per_field(monkeypatch):
    from phicrypto.django.keyring import get_keyring
    ring = get_keyring()
    calls = {"one": 0, "many": [], "decrypt_many": []}
    one, many, dmany = ring.encrypt, ring.encrypt_many, ring.decrypt_many
    monkeypatch.setattr(ring, "encrypt", lambda *a: (calls.__setitem__("one", calls["one"] + 1), one(*a))[1])
    monkeypatch.setattr(ring, "encrypt_many", lambda p, v, d: (calls["many"].append((p, len(v))), many(p, v, d))[1])
    monkeypatch.setattr(ring, "decrypt_many", lambda p, e: (calls["decrypt_many"].append((p, len(e))), dmany(p, e))[1])
    Patient.objects.bulk_create([Patient(name=f"p{i}", ssn=f"000-00-{i:04d}", mrn=f"M{i}", diagnosis=f"D{i}",
                                         date_of_birth=datetime.date(2000, 1, 1), notes=[i]) for i in range(300)])
    assert calls["one"] == 0
    assert sorted(calls["many"]) == sorted((f"clinic.Patient.{f}", 300) for f in ("ssn", "mrn", "diagnosis", "date_of_birth", "notes"))
    rows = list(Patient.objects.order_by("pk"))
    assert [r.diagnosis for r in rows] == [f"D{i}" for i in range(300)] and rows[7].notes == [7]
    assert calls["decrypt_many"] == [(f"clinic.Patient.{f}", 300) for f in ("ssn", "mrn", "diagnosis", "date_of_birth", "notes")]
    calls["many"].clear()
    Patient.objects.filter(mrn__in=["M1", "M2", "M3"]).update(diagnosis="same")
    assert calls["many"] == [("clinic.Patient.diagnosis", 1)]


@pytest.mark.django_db
def test_values_prepared_through_the_connection_proxy_add_one_execute_wrapper():
    """django.db.connection is a proxy: a flag kept in its own __dict__ was never there, so each value
    prepared through it put one more wrapper on the connection (50,000 values: RecursionError)."""
    from django.db import connections

    from phicrypto.django.fields import _encrypt_pending
    field = Patient._meta.get_field("diagnosis")
    real = connections["default"]
    real.execute_wrappers[:] = [w for w in real.execute_wrappers if w is not _encrypt_pending]
    real.__dict__.pop("_phi_batched", None)
    for i in range(3):
        field.get_db_prep_value(f"D{i}", connection)
    assert real.execute_wrappers.count(_encrypt_pending) == 1
    with connection.cursor() as cur:  # the pending values are encrypted by the statement that carries them
        cur.execute("SELECT %s::bytea", [field.get_db_prep_value("D9", connection)])
        assert read_header(bytes(cur.fetchone()[0]))[1] == 1


def test_pending_values_are_encrypted_before_other_execute_wrappers_see_them():
    """Batched writes hold each value until its statement runs; phicrypto's execute wrapper, first on
    the connection, turns them into envelopes for any driver, and a wrapper of the application's
    (Django's execute_wrapper(), which pops the last one on exit) sees envelopes and leaves ours."""
    from phicrypto.django.fields import _encrypt_pending
    seen = []

    def spy(execute, sql, params, many, context):
        seen.extend(params or ())
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        Patient.objects.bulk_create([Patient(name=f"p{i}", ssn=f"000-00-{i:04d}", mrn=f"M{i}", diagnosis=f"D{i}",
                                             date_of_birth=datetime.date(2000, 1, 1), notes=[i]) for i in range(3)])
    assert connection.execute_wrappers == [_encrypt_pending]
    assert seen and not [p for p in seen if "pending" in repr(p)]
    envelopes = [bytes(p) for p in seen if isinstance(p, (bytes, memoryview))]
    assert len(envelopes) == 3 * 5 and all(read_header(e)[1] == 1 for e in envelopes)
    assert sorted(Patient.objects.values_list("mrn", flat=True)) == ["M0", "M1", "M2"]


def test_reads_leave_no_reference_cycles():
    """A fetch's compiler, rows and columns are freed when the query is done, not left to the cyclic
    collector: with a cycle there, every ~15 get() calls paid for a collection (readpath.register)."""
    import gc
    first = make()
    make(ssn="987-65-4321", mrn="MRN-0002")
    Patient.objects.get(ssn="123-45-6789")  # warm: import-time and first-use caches
    gc.collect()
    gc.disable()
    try:
        for _ in range(10):
            found = Patient.objects.get(ssn="123-45-6789")
            assert found.pk == first.pk and found.diagnosis == "E11.9 type 2 diabetes"
            assert [r.mrn for r in Patient.objects.order_by("pk")] == ["MRN-0001", "MRN-0002"]
            assert list(Patient.objects.values_list("ssn", flat=True).order_by("pk")) == ["123-45-6789", "987-65-4321"]
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_instances_pickle_sealed():
    """A pickled instance (cache, session) carries envelopes; unpickling opens them."""
    import pickle
    p = make()
    loaded = Patient.objects.get(pk=p.pk)
    data = pickle.dumps(loaded)
    for secret in (b"diabetes", b"123-45-6789", b"MRN-0001", b"penicillin", b"1970-05-17"):
        assert secret not in data
    copy = pickle.loads(data)
    assert (copy.ssn, copy.mrn, copy.diagnosis, copy.notes) == ("123-45-6789", "MRN-0001", "E11.9 type 2 diabetes", {"allergies": ["penicillin"], "smoker": False})
    assert loaded.diagnosis == "E11.9 type 2 diabetes"  # the original instance is untouched
    assert b"diabetes" not in pickle.dumps(Patient.objects.get(pk=p.pk))


def test_a_store_without_a_keyring_is_never_started_by_the_app():
    """Issue 11 section 4: after a restore that forgot the key tables, the app must not create a new
    keyring by itself (its versions would later collide with the real ones): writing refuses, naming
    `manage.py phicrypto keys init`, and no row is written."""
    import psycopg2
    from django.core.management import call_command

    from phicrypto import KeyNotFoundError
    from phicrypto.django import conf, keyring

    keyring.reset()
    conn = psycopg2.connect(conf.store_url())
    with conn, conn.cursor() as cur:
        cur.execute("TRUNCATE phicrypto_key_records, phicrypto_key_audit, phicrypto_key_settings")
    conn.close()
    from django.db import transaction

    with pytest.raises(KeyNotFoundError, match="phicrypto keys init"), transaction.atomic():
        make()
    assert not Patient.objects.exists()
    keyring.reset()
    call_command("phicrypto", "keys", "init")  # the explicit act
    assert make().ssn == "123-45-6789"

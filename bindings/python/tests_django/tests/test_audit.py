"""Access audit: events per decrypt with model, field, pk, key version and actor."""
import logging
import os

import pytest

from clinic.models import Patient
from phicrypto.django import audit
from phicrypto.django.models import AccessEvent

from .helpers import make


@pytest.fixture
def audit_on(settings):
    def configure(**extra):
        settings.PHICRYPTO = {**settings.PHICRYPTO, "AUDIT": "on", **extra}
        audit.reset()
    return configure


ENCRYPTED = ["ssn", "mrn", "diagnosis", "date_of_birth", "notes"]


@pytest.mark.django_db
def test_logger_sink_records_each_value_decrypted_once_per_fetch(audit_on, caplog):
    """Values are decrypted when the fetch is read (one batch per column), so that is when they
    are recorded: one log record per column of the fetch, listing the rows."""
    audit_on()
    p, q = make(), make(ssn="222-22-2222", mrn="MRN-0002")
    token = audit.set_actor("dr.house#7")
    try:
        with caplog.at_level(logging.INFO, logger="phicrypto.audit"):
            got = list(Patient.objects.filter(pk__in=[p.pk, q.pk]).order_by("pk"))
            got[0].ssn, got[0].ssn, got[1].mrn  # reads of loaded values add nothing
    finally:
        audit.actor.reset(token)
    events = [r.phicrypto for r in caplog.records if r.name == "phicrypto.audit"]
    assert [(e["model"], e["field"], e["pks"], e["key_versions"], e["actor"], e["action"]) for e in events] == [
        ("clinic.Patient", f, [str(p.pk), str(q.pk)], [1, 1], "dr.house#7", "decrypt") for f in ENCRYPTED]
    assert "123-45-6789" not in caplog.text and "222-22-2222" not in caplog.text


@pytest.mark.django_db
def test_off_records_nothing(caplog):
    p = make()
    with caplog.at_level(logging.INFO, logger="phicrypto.audit"):
        assert Patient.objects.get(pk=p.pk).ssn == "123-45-6789"
    assert not [r for r in caplog.records if r.name == "phicrypto.audit"]


@pytest.mark.django_db
def test_sampling(audit_on, caplog, monkeypatch):
    audit_on(AUDIT=0.25)
    p = make()
    draws = iter([0.9, 0.1, 0.9, 0.9, 0.9])  # one draw per value: ssn, mrn, diagnosis, date_of_birth, notes
    monkeypatch.setattr(audit.random, "random", lambda: next(draws))
    with caplog.at_level(logging.INFO, logger="phicrypto.audit"):
        Patient.objects.get(pk=p.pk)
    assert [r.phicrypto["field"] for r in caplog.records if r.name == "phicrypto.audit"] == ["mrn"]


@pytest.mark.django_db(transaction=True)
def test_database_sink_writes_in_batches(audit_on):
    audit_on(AUDIT_SINK="database", AUDIT_BATCH=3)
    p = make()
    token = audit.set_actor('dr "quote", comma\nline')
    Patient.objects.get(pk=p.pk)
    audit.actor.reset(token)
    # At 3 values buffered the writer thread writes what is buffered by then (3 to 5 batches), no flush needed.
    assert _eventually(lambda: AccessEvent.objects.count() >= 3)
    Patient.objects.only("pk", "ssn").get(pk=p.pk)
    audit.flush()
    rows = list(AccessEvent.objects.order_by("id").values_list("actor", "field", "object_pks", "key_versions"))
    who = 'dr "quote", comma\nline'
    assert rows == [(who, f, [str(p.pk)], [1]) for f in ENCRYPTED] + [(None, "ssn", [str(p.pk)], [1])]


@pytest.mark.django_db(transaction=True)
def test_database_sink_writes_one_row_per_field_of_a_fetch_and_finds_who_read_a_row(audit_on):
    """A fetch of many rows is one row per field listing every pk (not one row per value), and the
    question an auditor asks, who read this patient, is one indexed containment query."""
    audit_on(AUDIT_SINK="database")
    patients = [make(ssn=f"300-00-{i:04d}", mrn=f"MRN-3{i:04d}") for i in range(250)]
    token = audit.set_actor("dr.grey#3")
    try:
        list(Patient.objects.order_by("pk"))
    finally:
        audit.actor.reset(token)
    audit.flush()
    pks = [str(p.pk) for p in patients]
    assert sorted(AccessEvent.objects.values_list("field", "object_pks", "key_versions")) == sorted(
        (f, pks, [1] * len(pks)) for f in ENCRYPTED)
    read_one = AccessEvent.objects.filter(model="clinic.Patient", object_pks__contains=[pks[123]])
    assert sorted(read_one.values_list("actor", "field")) == sorted(("dr.grey#3", f) for f in ENCRYPTED)
    assert not AccessEvent.objects.filter(object_pks__contains=["no such pk"]).exists()


@pytest.mark.django_db(transaction=True)
def test_a_batch_the_writer_could_not_write_is_written_by_the_next_flush(audit_on, monkeypatch):
    audit_on(AUDIT_SINK="database", AUDIT_BATCH=2)
    p = make()
    sink = audit._get_sink()
    write, attempts = sink._write, []

    def fail_once(batches):
        attempts.append(len(batches))
        if len(attempts) == 1:
            raise OSError("the database went away")
        write(batches)
    monkeypatch.setattr(sink, "_write", fail_once)
    Patient.objects.get(pk=p.pk)
    assert _eventually(lambda: attempts)  # the writer tried and failed, and stopped trying
    assert AccessEvent.objects.count() == 0
    audit.flush()
    assert sorted(AccessEvent.objects.values_list("field", flat=True)) == sorted(ENCRYPTED)


@pytest.mark.django_db(transaction=True)
def test_a_forked_child_writes_its_own_events_and_leaves_the_parents_connection(audit_on):
    """gunicorn --preload: a child must not write the parent's buffer, nor use or close its connection."""
    audit_on(AUDIT_SINK="database", AUDIT_BATCH=1000)
    audit.record("clinic.Patient", "ssn", 1, 1)
    audit.flush()  # the parent's connection is open now
    audit.record("clinic.Patient", "ssn", 2, 1)  # buffered in the parent at the fork
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            audit.record("clinic.Patient", "ssn", 3, 1)
            audit.flush()
            code = 0
        finally:
            os._exit(code)
    assert os.waitpid(pid, 0)[1] == 0
    audit.flush()  # over the parent's own connection, which the child left open
    assert sorted(AccessEvent.objects.values_list("object_pks", flat=True)) == [["1"], ["2"], ["3"]]


def _eventually(condition, seconds=10.0):
    import time
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_text_array_quotes_any_pk():
    assert audit._text_array(["1", "22", "0b7e1c2a-5d3e-4c1a-9f00-3a6b2c1d4e5f"]) == "{1,22,0b7e1c2a-5d3e-4c1a-9f00-3a6b2c1d4e5f}"
    assert audit._text_array(["1", "null"]) == '{"1","null"}'
    assert audit._text_array(["1", ""]) == '{"1",""}'
    assert audit._text_array(["1", None, 'a"b\\c', "x,y}"]) == '{"1",NULL,"a\\"b\\\\c","x,y}"}'
    # a pk holding the separator is one element, not two rows someone did not read
    assert audit._text_array(["7,8"]) == '{"7,8"}'
    assert audit._text_array(["1", "7,8"]) == '{"1","7,8"}'


@pytest.mark.django_db(transaction=True)
def test_migration_0003_turns_events_into_batches_and_back():
    """Events written one row per value (0002's table) survive the move to batches and the way back."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    def migrate(target):
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate([("phicrypto", target)])

    migrate("0002_drop_interim_key_tables")
    try:
        with connection.cursor() as cur:
            cur.execute("INSERT INTO phicrypto_access_event (at, actor, action, model, field, object_pk, key_version) VALUES "
                        "(now(), 'a', 'decrypt', 'clinic.Patient', 'ssn', '7', 2), (now(), NULL, 'export', 'clinic.Patient', 'mrn', NULL, 1)")
        migrate("0003_access_event_batches")
        assert sorted(AccessEvent.objects.values_list("actor", "field", "object_pks", "key_versions"), key=str) == sorted(
            [("a", "ssn", ["7"], [2]), (None, "mrn", [None], [1])], key=str)
        AccessEvent.objects.filter(field="ssn").update(object_pks=["7", "8"], key_versions=[2, 3])
        migrate("0002_drop_interim_key_tables")
        with connection.cursor() as cur:
            cur.execute("SELECT field, object_pk, key_version FROM phicrypto_access_event ORDER BY field, key_version")
            assert cur.fetchall() == [("mrn", None, 1), ("ssn", "7", 2), ("ssn", "8", 3)]
    finally:
        migrate("0004_access_event_lz4")


@pytest.mark.django_db
def test_audit_arrays_are_compressed_with_lz4():
    """Migration 0004: the server's share of the database sink (COPY of 25 rows of 2,000 pks per
    10,000-row fetch) is about half with lz4 than with pglz (docs/django.md)."""
    from django.db import connection
    with connection.cursor() as cur:
        cur.execute("SELECT attname, attcompression FROM pg_attribute WHERE attrelid = 'phicrypto_access_event'::regclass"
                    " AND attname IN ('object_pks', 'key_versions') ORDER BY attname")
        assert cur.fetchall() == [("key_versions", "l"), ("object_pks", "l")]


@pytest.mark.django_db(transaction=True)
def test_middleware_sets_the_actor_from_request_user(audit_on, admin_client, admin_user):
    audit_on(AUDIT_SINK="database")
    p = make()
    assert admin_client.get(f"/admin/clinic/patient/{p.pk}/change/").status_code == 200
    actors = set(AccessEvent.objects.values_list("actor", flat=True))  # flushed at request end
    assert actors == {f"{admin_user.get_username()}#{admin_user.pk}"}
    assert audit.actor.get() is None

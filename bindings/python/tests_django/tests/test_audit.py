"""Access audit: events per decrypt with model, field, pk, key version and actor."""
import logging

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
    assert AccessEvent.objects.count() == 3  # ssn, mrn, diagnosis: one batch written, two events buffered
    Patient.objects.only("pk", "ssn").get(pk=p.pk)
    audit.flush()
    rows = list(AccessEvent.objects.order_by("id").values_list("actor", "field", "object_pk", "key_version"))
    who = 'dr "quote", comma\nline'
    assert rows == [(who, f, str(p.pk), 1) for f in ENCRYPTED] + [(None, "ssn", str(p.pk), 1)]


@pytest.mark.django_db(transaction=True)
def test_middleware_sets_the_actor_from_request_user(audit_on, admin_client, admin_user):
    audit_on(AUDIT_SINK="database")
    p = make()
    assert admin_client.get(f"/admin/clinic/patient/{p.pk}/change/").status_code == 200
    actors = set(AccessEvent.objects.values_list("actor", flat=True))  # flushed at request end
    assert actors == {f"{admin_user.get_username()}#{admin_user.pk}"}
    assert audit.actor.get() is None

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


@pytest.mark.django_db
def test_logger_sink_records_each_read_once(audit_on, caplog):
    audit_on()
    p = make()
    token = audit.set_actor("dr.house#7")
    try:
        with caplog.at_level(logging.INFO, logger="phicrypto.audit"):
            got = Patient.objects.get(pk=p.pk)
            got.ssn, got.ssn, got.mrn  # the second read of ssn is cached plaintext
    finally:
        audit.actor.reset(token)
    events = [r.phicrypto for r in caplog.records if r.name == "phicrypto.audit"]
    assert [(e["model"], e["field"], e["pk"], e["key_version"], e["actor"]) for e in events] == [
        ("clinic.Patient", "ssn", str(p.pk), 1, "dr.house#7"), ("clinic.Patient", "mrn", str(p.pk), 1, "dr.house#7")]
    assert "123-45-6789" not in caplog.text


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
    draws = iter([0.9, 0.1])
    monkeypatch.setattr(audit.random, "random", lambda: next(draws))
    with caplog.at_level(logging.INFO, logger="phicrypto.audit"):
        got = Patient.objects.get(pk=p.pk)
        got.ssn, got.mrn
    assert [r.phicrypto["field"] for r in caplog.records if r.name == "phicrypto.audit"] == ["mrn"]


@pytest.mark.django_db(transaction=True)
def test_database_sink_writes_in_batches(audit_on):
    audit_on(AUDIT_SINK="database", AUDIT_BATCH=3)
    p = make()
    got = Patient.objects.get(pk=p.pk)
    token = audit.set_actor('dr "quote", comma\nline')
    got.ssn
    audit.actor.reset(token)
    got.mrn
    assert AccessEvent.objects.count() == 0  # buffered
    got.diagnosis
    assert AccessEvent.objects.count() == 3  # one batch
    got.notes
    audit.flush()
    assert list(AccessEvent.objects.order_by("id").values_list("actor", flat=True)) == ['dr "quote", comma\nline', None, None, None]
    rows = list(AccessEvent.objects.order_by("id").values_list("field", "object_pk", "key_version"))
    assert rows == [("ssn", str(p.pk), 1), ("mrn", str(p.pk), 1), ("diagnosis", str(p.pk), 1), ("notes", str(p.pk), 1)]


@pytest.mark.django_db(transaction=True)
def test_middleware_sets_the_actor_from_request_user(audit_on, admin_client, admin_user):
    audit_on(AUDIT_SINK="database")
    p = make()
    assert admin_client.get(f"/admin/clinic/patient/{p.pk}/change/").status_code == 200
    actors = set(AccessEvent.objects.values_list("actor", flat=True))  # flushed at request end
    assert actors == {f"{admin_user.get_username()}#{admin_user.pk}"}
    assert audit.actor.get() is None

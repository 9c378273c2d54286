"""manage.py phicrypto keys ... on the real store."""
import psycopg2
import pytest

import phicrypto
from django.core.management.base import CommandError

from clinic.models import Patient
from phicrypto.django import conf, keyring
from phicrypto.django.reencrypt import all_purposes

from .helpers import make, manage

pytestmark = pytest.mark.django_db(transaction=True)


def store_sql(sql, params=()):
    conn = psycopg2.connect(conf.store_url())
    with conn, conn.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall() if cur.description else None
    conn.close()
    return rows


def test_init_creates_every_purpose_then_list_shows_them():
    out = manage("keys", "init")
    purposes = all_purposes()
    assert "clinic.Patient.ssn" in purposes and "legacy.Person.ssn" in purposes and "clinic.sample-label" in purposes
    assert f"{len(purposes)} purpose(s) created" in out
    assert "0 purpose(s) created" in manage("keys", "init")  # idempotent
    listing = manage("keys", "list")
    for p in purposes:
        assert any(line.split()[:3] == [p, "1", "active"] for line in listing.splitlines()), p
    assert store_sql("SELECT count(*) FROM phicrypto_key_records WHERE state = 'active'")[0][0] == len(purposes)


def test_rotate_needs_a_purpose_or_all():
    with pytest.raises(CommandError):
        manage("keys", "rotate")
    manage("keys", "init")
    manage("keys", "rotate", "--all")
    states = dict(((p, v), s) for p, v, s in store_sql("SELECT purpose, version, state FROM phicrypto_key_records"))
    for p in all_purposes():
        assert (states[(p, 1)], states[(p, 2)]) == ("deactivated", "active")


def test_rotate_of_an_unknown_purpose_names_the_known_ones_and_creates_nothing():
    manage("keys", "init")
    before = store_sql("SELECT count(*) FROM phicrypto_key_records")[0][0]
    with pytest.raises(CommandError, match=r"no purpose 'clinic\.Patient\.ssnn': known purposes are .*clinic\.Patient\.ssn\b"):
        manage("keys", "rotate", "clinic.Patient.ssnn")
    assert store_sql("SELECT count(*) FROM phicrypto_key_records")[0][0] == before


def test_audit_chain_verifies_and_detects_edits_and_deletions():
    manage("keys", "init")
    manage("keys", "rotate", "clinic.Patient.ssn")
    assert "chain intact" in manage("keys", "audit", "--verify")
    # One bit of record 2's time flipped (byte 16: the last of the i64 after format and sequence,
    # docs/keyring-format.md): its hash no longer matches its contents.
    flip = "UPDATE phicrypto_key_audit SET event = set_byte(event, 16, get_byte(event, 16) # 1) WHERE seq = 2"
    store_sql(flip)
    with pytest.raises(CommandError, match="broken at record 2 .*edited"):
        manage("keys", "audit", "--verify")
    store_sql(flip)  # flipped back: intact again
    assert "chain intact" in manage("keys", "audit", "--verify")
    store_sql("DELETE FROM phicrypto_key_audit WHERE seq = 3")
    with pytest.raises(CommandError, match="deleted"):
        manage("keys", "audit", "--verify")


def test_rewrap_changes_the_kek_without_touching_data(settings):
    p = make()
    before = Patient.objects.values_list("diagnosis", flat=True).get(pk=p.pk)
    assert "re-wrapped" in manage("keys", "rewrap", "--to", "env:PHICRYPTO_TEST_NEW_KEK")  # set by the settings
    settings.PHICRYPTO = {**settings.PHICRYPTO, "KEK": "env:PHICRYPTO_TEST_NEW_KEK"}
    keyring.reset()
    assert Patient.objects.get(pk=p.pk).diagnosis == before
    settings.PHICRYPTO = {**settings.PHICRYPTO, "KEK": "env:PHICRYPTO_MASTER_KEY"}
    keyring.reset()
    with pytest.raises(phicrypto.WrongKekError, match="not by the KEK given"):
        Patient.objects.get(pk=p.pk).diagnosis


def test_missing_kek_is_a_clear_error(settings):
    settings.PHICRYPTO = {**settings.PHICRYPTO, "KEK": "env:PHICRYPTO_TEST_NO_SUCH_KEK"}
    keyring.reset()
    with pytest.raises(CommandError, match="PHICRYPTO_TEST_NO_SUCH_KEK is not set"):
        manage("keys", "init")

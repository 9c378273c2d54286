"""System checks on the key store (phicrypto/django/checks.py): a restore without the key tables,
an empty store, rows under versions the store lacks."""
import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection

from phicrypto.django import checks

from .helpers import make, manage

pytestmark = pytest.mark.django_db


def ids(errors):
    return [e.id for e in errors]


def test_a_restore_without_the_key_tables_fails_the_check():
    manage("keys", "init")
    assert checks.check_key_store() == []
    with connection.cursor() as cur:  # the test transaction rolls the DROP back
        cur.execute("DROP TABLE phicrypto_key_audit, phicrypto_key_records, phicrypto_key_settings")
    errors = checks.check_key_store()
    assert ids(errors) == ["phicrypto.E010"] and "phicrypto_key_records" in errors[0].msg and "'default'" in errors[0].msg
    with pytest.raises(SystemCheckError, match="phicrypto.E010"):
        call_command("check")


def test_an_empty_store_fails_the_check_and_keys_init_still_runs():
    errors = checks.check_key_store()  # the fixture emptied the store
    assert ids(errors) == ["phicrypto.E011"] and "keys init" in errors[0].hint
    manage("keys", "init")  # the phicrypto command itself does not run the checks
    assert checks.check_key_store() == []


def test_rows_under_versions_the_store_lacks():
    p = make()
    assert checks.check_versions_in_data(databases=["default"]) == []
    manage("keys", "rotate", "clinic.Patient.diagnosis")
    make(ssn="222-22-2222", mrn="M2")  # a row under version 2
    with connection.cursor() as cur:  # the store as restored from an older backup: version 2 lost
        cur.execute("DELETE FROM phicrypto_key_records WHERE purpose = 'clinic.Patient.diagnosis' AND version = 2")
    errors = checks.check_versions_in_data(databases=["default"])
    assert ids(errors) == ["phicrypto.E012"] and "clinic.Patient.diagnosis" in errors[0].msg and "[2]" in errors[0].msg
    assert checks.check_versions_in_data(databases=None) == []  # not at every runserver start
    assert p.pk

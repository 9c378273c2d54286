"""Two processes, one rotation: the other process's new version is noticed without a restart."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from clinic.models import Patient
from phicrypto.django.keyring import SharedKeyring, get_keyring

from .helpers import make, version

ROOT = Path(__file__).resolve().parents[1]


def child(*args) -> str:
    env = dict(os.environ, PHICRYPTO_TEST_PGDATABASE=connection.settings_dict["NAME"],
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH"), str(ROOT.parent)])))
    done = subprocess.run([sys.executable, "-m", "tests.child", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


@pytest.mark.django_db(transaction=True)
def test_unknown_version_in_a_ciphertext_triggers_a_reload():
    mine = make(ssn="111-11-1111", mrn="MINE")
    assert get_keyring().engine.active_version("clinic.Patient.diagnosis") == 1
    pk = int(child("rotate-and-write", "clinic.Patient.diagnosis"))
    assert version("diagnosis", pk) == 2  # written by the other process under its new version
    assert Patient.objects.get(pk=pk).diagnosis == "written by the child"
    assert Patient.objects.get(pk=mine.pk).diagnosis == "E11.9 type 2 diabetes"


@pytest.mark.django_db(transaction=True)
def test_active_version_is_re_read_after_the_ttl(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(SharedKeyring, "clock", staticmethod(lambda: now[0]))
    first = make(ssn="111-11-1111", mrn="A")
    child("rotate", "clinic.Patient.mrn")
    within_ttl = make(ssn="222-22-2222", mrn="B")
    assert (version("mrn", first.pk), version("mrn", within_ttl.pk)) == (1, 1)
    now[0] += get_keyring().ttl
    after_ttl = make(ssn="333-33-3333", mrn="C")
    assert version("mrn", after_ttl.pk) == 2
    assert Patient.objects.get(mrn="A").pk == first.pk  # the lookup searches both versions

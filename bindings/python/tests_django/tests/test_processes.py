"""Two processes, one rotation: the other process's new version is noticed without a restart."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from clinic.models import Patient
from phicrypto.django.keyring import SharedKeyring, get_keyring

from .helpers import make, version

ROOT = Path(__file__).resolve().parents[1]


def child_env() -> dict:
    return dict(os.environ, PHICRYPTO_TEST_PGDATABASE=connection.settings_dict["NAME"],
                PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH"), str(ROOT.parent)])))


def child(*args) -> str:
    done = subprocess.run([sys.executable, "-m", "tests.child", *args], cwd=ROOT, env=child_env(),
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


STORE_LOCK = 0x5048_4943_4B45_5953  # the advisory lock every commit of the PostgreSQL key store takes


@pytest.mark.django_db(transaction=True)
def test_two_processes_rotating_at_once_make_one_new_version():
    """Both children plan their rotation on version 1 and wait for the store's lock (held here) to
    commit; once it is released one commits version 2, the other finds it and makes no version 3."""
    import psycopg2
    from phicrypto.django import conf
    from .helpers import manage
    purpose = "clinic.Patient.mrn"
    manage("keys", "init")
    kids = [subprocess.Popen([sys.executable, "-m", "tests.child", "rotate-on-go", purpose], cwd=ROOT, env=child_env(),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    lock = psycopg2.connect(conf.store_url())
    lock.autocommit = True
    try:
        assert [k.stdout.readline().strip() for k in kids] == ["ready", "ready"]
        with lock.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", (STORE_LOCK,))
            for k in kids:
                k.stdin.write("go\n")
                k.stdin.flush()
            deadline = time.monotonic() + 60
            while True:  # both are waiting for the lock to commit their plans
                cur.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
                waiting = cur.fetchone()[0]
                if waiting == 2 or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            cur.execute("SELECT pg_advisory_unlock(%s)", (STORE_LOCK,))
        outputs = [k.communicate(timeout=120) for k in kids]
    finally:
        lock.close()
        for k in kids:
            if k.poll() is None:
                k.kill()
    assert all(k.returncode == 0 for k in kids), [err[-2000:] for _, err in outputs]
    assert waiting == 2  # the two rotations really were in flight together
    assert [out.strip() for out, _ in outputs] == ["2", "2"]
    get_keyring().reload()
    assert [(v.version, v.state) for v in get_keyring().engine.versions(purpose)] == [(1, "deactivated"), (2, "active")]

"""The Django disaster-recovery drill (docs/runbooks/disaster-recovery.md, "A Django database"):
data written, a recovery bundle exported, the database restored into a new one at a site where the
KEK is lost, `manage.py phicrypto keys import BUNDLE --replace` under a new KEK, every value read back.
The restored site is another process (tests/drill_child.py) on the restored database."""
import base64
import datetime
import decimal
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg2
import pytest

from clinic.models import Sample
from phicrypto.django import conf

from .drill_child import dump
from .helpers import make, manage

pytestmark = pytest.mark.django_db(transaction=True)

HERE = Path(__file__).resolve().parents[1]
REPO = HERE.parents[2]
PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")


def phicrypt() -> str:
    """The phicrypt command: $PHICRYPTO_PHICRYPT, the published one, or the Release build's."""
    for path in (os.environ.get("PHICRYPTO_PHICRYPT"), REPO / "artifacts/bin/phicrypt",
                 *sorted(REPO.glob("src/PhiCrypto.Cli/bin/Release/net*/phicrypt"))):
        if path and os.access(path, os.X_OK):
            return str(path)
    pytest.fail("the drill needs phicrypt: dotnet build src/PhiCrypto.Cli -c Release (build/django.cake does)")


def export_bundle(tmp_path: Path) -> tuple[Path, Path]:
    secret = tmp_path / "recovery-passphrase.txt"
    secret.write_text("correct horse battery staple drill\n")
    bundle = tmp_path / "keys.bundle"
    env = dict(os.environ, PHICRYPTO_KEYRING=conf.store_url(), PHICRYPTO_KEK="env:PHICRYPTO_MASTER_KEY")
    subprocess.run([phicrypt(), "keys", "export", "--recovery-passphrase-file", str(secret), "-o", str(bundle)],
                   env=env, check=True, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    return bundle, secret


def restore_into_new_database(settings) -> str:
    """pg_dump of the test database, restored into a new database: data and key tables together."""
    db = settings.DATABASES["default"]
    target = f"drill_restored_{uuid.uuid4().hex[:8]}"
    conn = psycopg2.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE {target}")
    conn.close()
    where = ["-h", db["HOST"], "-p", str(db["PORT"]), "-U", db["USER"]]
    dumped = subprocess.run([f"{PG_BIN}/pg_dump", *where, "-Fc", db["NAME"]], check=True, capture_output=True).stdout
    subprocess.run([f"{PG_BIN}/pg_restore", *where, "-d", target, "--no-owner"], input=dumped, check=True, capture_output=True)
    return target


def drop_database(settings, name: str) -> None:
    db = settings.DATABASES["default"]
    conn = psycopg2.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    conn.close()


def restored_site(database: str, new_kek: str):
    env = dict(os.environ, PHICRYPTO_TEST_PGDATABASE=database, PHICRYPTO_MASTER_KEY=new_kek,
               PYTHONPATH=os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH"), str(HERE.parent)])))

    def run(*args, stdin=""):
        if args[:3] == ("manage", "keys", "import"):
            args = (*args, "--phicrypt", phicrypt())
        return subprocess.run([sys.executable, "-m", "tests.drill_child", *args], cwd=HERE, env=env, input=stdin,
                              capture_output=True, text=True, timeout=600)
    return run


def key_records(settings, database: str) -> int:
    db = settings.DATABASES["default"]
    conn = psycopg2.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=database)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM phicrypto_key_records")
        n = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'phicrypto_replaced_%'")
        holding = cur.fetchone()[0]
    conn.close()
    return n, holding


def test_restored_database_with_a_lost_kek_reads_every_value_after_import_replace(settings, tmp_path):
    manage("keys", "init")
    make(ssn="111-11-1111", mrn="M1")
    manage("keys", "rotate", "--all")  # two versions per purpose: old rows and new rows
    make(ssn="222-22-2222", mrn="M2", notes={"x": [1, 2]}, date_of_birth=datetime.date(1999, 1, 2))
    Sample.objects.create(text="t", blob=b"\x00\x01", count=7, seen=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
                          when=datetime.date(2026, 2, 3), doc={"a": 1}, label="abc", email="a@b.example",
                          amount=decimal.Decimal("12.34"), token=uuid.UUID(int=5))
    expected = json.loads(json.dumps(dump(), sort_keys=True))
    assert sum(len(rows) for rows in expected.values()) == 3
    bundle, secret = export_bundle(tmp_path)

    restored = restore_into_new_database(settings)
    try:
        site = restored_site(restored, base64.b64encode(os.urandom(32)).decode())  # the old KEK is lost
        before = site("dump")
        assert before.returncode != 0 and "WrongKekError" in before.stderr  # the problem the command solves
        records = key_records(settings, restored)[0]

        wrong = tmp_path / "wrong.txt"
        wrong.write_text("not the passphrase\n")
        refused = site("manage", "keys", "import", str(bundle), "--replace", "--yes", "--recovery-passphrase-file", str(wrong))
        assert refused.returncode == 1 and "the store is as it was" in refused.stderr
        assert key_records(settings, restored) == (records, 0)  # rolled back: the lost KEK's records, no holding schema

        declined = site("manage", "keys", "import", str(bundle), "--replace", "--recovery-passphrase-file", str(secret), stdin="no\n")
        assert declined.returncode == 1 and "nothing changed" in declined.stderr
        assert key_records(settings, restored) == (records, 0)

        done = site("manage", "keys", "import", str(bundle), "--replace", "--recovery-passphrase-file", str(secret), stdin="replace\n")
        assert done.returncode == 0, done.stderr
        assert f"replaced {records} record(s) of the lost KEK" in done.stdout
        assert key_records(settings, restored) == (records, 0)

        after = site("dump")
        assert after.returncode == 0, after.stderr
        assert json.loads(after.stdout) == expected
        again = site("manage", "keys", "import", str(bundle), "--replace", "--yes", "--recovery-passphrase-file", str(secret))
        assert again.returncode == 1 and "nothing is lost" in again.stderr
        assert site("manage", "keys", "audit", "--verify").returncode == 0
    finally:
        drop_database(settings, restored)

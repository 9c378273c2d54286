"""A fresh directory (also $HOME) in which one runbook block runs as an operator would run it.

``prepare(needs)`` sets up what the block's marker names before it runs; each need is one method
below, made with the same commands the runbooks document. The environment is an operator's: phicrypt
on PATH, libpq's PGHOST/PGPORT/PGUSER pointing at the test's PostgreSQL, the KEK in
PHICRYPTO_MASTER_KEY, the recovery key's password in PHICRYPTO_RECOVERY_KEY_PASSWORD.
"""
from __future__ import annotations

import base64
import os
import secrets
import subprocess
from pathlib import Path
from typing import Callable, Mapping

# A 2-column table the backups carry, and the row count a restore must bring back.
PATIENT_ROWS = 500
_PATIENTS = f"""
CREATE TABLE patients (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO patients SELECT g, 'patient ' || g FROM generate_series(1, {PATIENT_ROWS}) g;
"""


class Workspace:
    def __init__(self, root: Path, phicrypt: Path, pg: Mapping[str, str], s3: Callable[[], Mapping[str, str]]):
        self.root = root
        self._s3 = s3
        self.env = {
            "PATH": f"{phicrypt.parent}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(root),
            "LANG": "C.UTF-8",
            "TMPDIR": str(root),
            **pg,
            "DB_HOST": pg["PGHOST"],
            "PHICRYPTO_MASTER_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
            "PHICRYPTO_RECOVERY_KEY_PASSWORD": secrets.token_urlsafe(18),
        }

    # ---------------------------------------------------------------- running
    def run(self, *args: str, env: Mapping[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess:
        r = subprocess.run(list(args), cwd=self.root, env={**self.env, **(env or {})}, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=300)
        if check and r.returncode != 0:
            raise AssertionError(f"preparing the block: {' '.join(args)} exited {r.returncode}: {r.stderr.strip()}")
        return r

    def shell(self, script: str) -> subprocess.CompletedProcess:
        """The block as bash runs it: stop at the first failing command (pipes included)."""
        return self.run("bash", "-e", "-o", "pipefail", "-c", script, check=False)

    def psql(self, sql: str, database: str = "postgres") -> str:
        return self.run("psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql).stdout.strip()

    def prepare(self, needs: list[str]) -> None:
        for need in needs:
            getattr(self, "need_" + need.replace("-", "_"))()

    @classmethod
    def known_needs(cls) -> set[str]:
        return {n[len("need_"):].replace("_", "-") for n in dir(cls) if n.startswith("need_")}

    # ---------------------------------------------------------------- needs
    def need_database(self) -> None:
        """Databases clinic and ehr with a patients table; a login role `backup` that can read them."""
        for name in self.psql("SELECT datname FROM pg_database WHERE datname NOT IN ('postgres','template0','template1')").split():
            self.psql(f'DROP DATABASE "{name}" WITH (FORCE)')
        self.psql("DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='backup') THEN CREATE ROLE backup LOGIN; END IF; END$$")
        self.psql("GRANT pg_read_all_data TO backup")
        for name in ("clinic", "ehr"):
            self.psql(f"CREATE DATABASE {name}")
            self.psql(_PATIENTS, name)

    def need_keyring(self) -> None:
        self.run("phicrypt", "keys", "init")

    def need_scan(self) -> None:
        """scan.dcm: 3 MB, so the README's 4 KiB range at 1 MiB lies inside it."""
        (self.root / "scan.dcm").write_bytes(os.urandom(3 * 1024 * 1024))

    def need_recovery_key(self) -> None:
        """recovery.pem, password-protected as disaster-recovery.md makes it, and recovery.pub.pem."""
        self.run("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:4096", "-aes-256-cbc",
                 "-pass", "env:PHICRYPTO_RECOVERY_KEY_PASSWORD", "-out", "recovery.pem")
        self.run("openssl", "pkey", "-in", "recovery.pem", "-passin", "env:PHICRYPTO_RECOVERY_KEY_PASSWORD",
                 "-pubout", "-out", "recovery.pub.pem")

    def need_signing_key(self) -> None:
        self.run("phicrypt", "keys", "signing-key", "-o", "backup-signing.pub.pem")

    def need_backup(self) -> None:
        """$BACKUP: a signed backup of the clinic database wrapped to the keyring and the recovery key."""
        self.run("phicrypt", "backup", "--pg", "dbname=clinic", "-o", "backup/", "--recovery-key", "recovery.pub.pem")
        self.env["BACKUP"] = "backup/"

    def need_passphrase(self) -> None:
        """pass.txt: a recovery passphrase, as the custodians write it down."""
        (self.root / "pass.txt").write_text(secrets.token_urlsafe(24) + "\n")

    def need_drill_host(self) -> None:
        """The isolated drill host: no keyring, no KEK; the recovery key only in the safe ($SAFE)."""
        safe = self.root / "safe"
        safe.mkdir()
        (self.root / "recovery.pem").rename(safe / "recovery.pem")
        self.run("rm", "-r", ".phicrypto")
        del self.env["PHICRYPTO_MASTER_KEY"]
        self.env["SAFE"] = str(safe)

    def need_new_machine(self) -> None:
        """The recovery drill's step 1: a new KEK and an empty keyring location."""
        self.env["PHICRYPTO_MASTER_KEY"] = base64.b64encode(secrets.token_bytes(32)).decode()
        self.env["PHICRYPTO_KEYRING"] = str(self.root / "new-keyring.json")

    def need_old_site(self) -> None:
        """The site before the disaster: its keyring (own KEK) made a backup ($BACKUP) and the bundle
        keys-2026-11-29.bundle; the safe ($SAFE) holds recovery.pem and pass.txt. The new machine has
        neither that keyring nor its KEK."""
        old = {"PHICRYPTO_KEYRING": str(self.root / "old-site" / "keyring.json")}
        safe = self.root / "safe"
        safe.mkdir()
        (safe / "pass.txt").write_text(secrets.token_urlsafe(24) + "\n")
        self.run("phicrypt", "keys", "init", env=old)
        self.run("phicrypt", "backup", "--pg", "dbname=clinic", "-o", "backup/", "--recovery-key", "recovery.pub.pem", env=old)
        self.run("phicrypt", "keys", "signing-key", "-o", "backup-signing.pub.pem", env=old)
        self.run("phicrypt", "keys", "export", "--recovery-key", "recovery.pub.pem", "--recovery-passphrase-file",
                 str(safe / "pass.txt"), "-o", "keys-2026-11-29.bundle", env=old)
        (self.root / "recovery.pem").rename(safe / "recovery.pem")
        self.run("rm", "-r", "old-site")
        self._old_kek = self.env.pop("PHICRYPTO_MASTER_KEY")
        self.env.update(BACKUP="backup/", SAFE=str(safe))

    def need_old_kek(self) -> None:
        """The old site's KEK survived (in SOURCE_MASTER_KEY): it proves a bundle's origin."""
        self.env["SOURCE_MASTER_KEY"] = self._old_kek

    def need_s3(self) -> None:
        """A Swift s3api endpoint in AWS_ENDPOINT_URL with the bucket hospital-backups."""
        self.env.update(self._s3())
        import boto3  # Debian's python3-boto3, as the S3 suites use
        s3 = boto3.resource("s3", endpoint_url=self.env["AWS_ENDPOINT_URL"], region_name=self.env["AWS_REGION"],
                            aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"])
        bucket = s3.Bucket("hospital-backups")
        if bucket.creation_date is None:
            bucket.create()
        bucket.objects.all().delete()  # an earlier block's backups

    def need_s3_backup(self) -> None:
        """The backup the runbook's verify example names: s3://hospital-backups/clinic/2026-11-29."""
        self.run("phicrypt", "backup", "--pg", "dbname=clinic", "-o", "s3://hospital-backups/clinic/2026-11-29",
                 "--recovery-key", "recovery.pub.pem")

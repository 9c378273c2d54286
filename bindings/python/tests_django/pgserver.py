"""A throwaway PostgreSQL 15 cluster on 127.0.0.1 for the Django tests and the benchmark.

Uses the project's tests/services/postgres.sh when the repository has it (or $PHICRYPTO_PG_SERVICE);
otherwise does the same itself: initdb + pg_ctl in a temp dir, run as the postgres user when we are
root, trust auth on 127.0.0.1 only, stopped and removed on exit.

    python3 pgserver.py start   -> prints PGHOST/PGPORT/PGDATA lines and leaves it running
    python3 pgserver.py stop DIR
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile

from pathlib import Path
from urllib.parse import urlparse

BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")
SERVICE = Path(os.environ.get("PHICRYPTO_PG_SERVICE") or Path(__file__).resolve().parents[3] / "tests" / "services" / "postgres.sh")


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self):
        self.base = tempfile.mkdtemp(prefix="phicrypto-pg-")
        self.data = os.path.join(self.base, "data")
        self.port = _free_port()
        self.host = "127.0.0.1"
        self.user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")

    def start(self) -> "Server":
        if SERVICE.is_file():
            out = subprocess.run(["bash", str(SERVICE), "start", self._service_dir], check=True,
                                 capture_output=True, text=True).stdout
            url = urlparse(out.strip().splitlines()[-1])
            self.host, self.port, self.user = url.hostname, url.port, url.username
            return self
        subprocess.run(_as_postgres([f"{BIN}/initdb", "-D", self.data, "-A", "trust", "-U", self.user,
                                     "-E", "UTF8", "--no-sync"]), check=True, stdout=subprocess.DEVNULL)
        opts = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        subprocess.run(_as_postgres([f"{BIN}/pg_ctl", "-D", self.data, "-o", opts, "-l",
                                     os.path.join(self.base, "log"), "-w", "start"]), check=True, stdout=subprocess.DEVNULL)
        return self

    @property
    def _service_dir(self) -> str:
        return os.path.join(self.base, "pg")

    def stop(self) -> None:
        if SERVICE.is_file():
            subprocess.run(["bash", str(SERVICE), "stop", self._service_dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            shutil.rmtree(self.base, ignore_errors=True)
            return
        subprocess.run(_as_postgres([f"{BIN}/pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.base, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["start"]:
        s = Server().start()
        print(f"PGHOST={s.host}\nPGPORT={s.port}\nPGDATA={s.data}\nPGBASE={s.base}")
    elif sys.argv[1:2] == ["stop"]:
        base = sys.argv[2]
        subprocess.run(_as_postgres([f"{BIN}/pg_ctl", "-D", os.path.join(base, "data"), "-m", "fast", "-w", "stop"]))
        shutil.rmtree(base, ignore_errors=True)

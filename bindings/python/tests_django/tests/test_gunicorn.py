"""gunicorn --preload with several workers serving the clinic project under a bounded load on
127.0.0.1: every request answers, no worker hangs or times out at fork, and every randomized
envelope written has its own nonce."""
import concurrent.futures
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from .helpers import manage

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.skipif(shutil.which("gunicorn") is None, reason="Debian package gunicorn not installed (build.sh installs it)")]
PROJECT = Path(__file__).resolve().parents[1]
WORKERS, REQUESTS, CONCURRENCY = 3, 60, 6


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(port, i):
    body = f'{{"text": "t{i}", "label": "l{i % 10}", "count": {i}}}'.encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/samples/", body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


# Both ways: keyring opened in each worker, and opened in the master before fork (the workers then open
# their own on PostgreSQL after fork: libpq, no runtime threads needed; issue 12 section 4).
@pytest.mark.parametrize("warm", [pytest.param("0", id="keyring-opened-in-workers"), pytest.param("1", id="keyring-opened-before-fork")])
def test_preloaded_workers_serve_encrypted_writes(warm, tmp_path):
    manage("keys", "init")
    port = free_port()
    env = {**os.environ, "PHICRYPTO_TEST_PGDATABASE": connection.settings_dict["NAME"], "PHICRYPTO_TEST_WARM": warm,
           "PYTHONPATH": f"{PROJECT}{os.pathsep}{PROJECT.parent}"}
    log = tmp_path / "gunicorn.log"
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--preload", "-w", str(WORKERS), "-b", f"127.0.0.1:{port}",
                               "--timeout", "30", "--error-logfile", str(log), "clinicproject.wsgi"],
                              cwd=PROJECT, env=env, stdout=open(tmp_path / "workers.log", "w"), stderr=subprocess.STDOUT)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        with concurrent.futures.ThreadPoolExecutor(CONCURRENCY) as pool:
            statuses = list(pool.map(lambda i: post(port, i), range(REQUESTS)))
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert statuses == [201] * REQUESTS, (tmp_path / "workers.log").read_text()[-3000:]
    assert "WORKER TIMEOUT" not in log.read_text()
    with connection.cursor() as cur:
        cur.execute("SELECT label FROM clinic_sample")  # randomized: header (1) + nonce (12) + ...
        nonces = [bytes(v)[1:13] for (v,) in cur.fetchall()]
    assert len(nonces) == REQUESTS and len(set(nonces)) == REQUESTS

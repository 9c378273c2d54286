"""Services for the runbook tests: the NativeAOT `phicrypt` from the build, a throwaway PostgreSQL 15
(tests/services/postgres.sh) for the session, and Swift with s3api (tests/services/swift-s3.sh),
started only when a block needs S3."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import pytest

from workspace import Workspace

REPO = Path(__file__).resolve().parents[2]
SERVICES = REPO / "tests" / "services"


@pytest.fixture(scope="session")
def phicrypt() -> Path:
    """The published executable (./build.sh --target=Publish, or PHICRYPT=...): what operators run."""
    path = Path(os.environ.get("PHICRYPT") or REPO / "artifacts" / "bin" / "phicrypt")
    assert path.is_file(), f"{path} is missing: publish the CLI first (./build.sh --target=Publish)"
    return path


@pytest.fixture(scope="session")
def pg_env(tmp_path_factory):
    state = tmp_path_factory.mktemp("pg")
    out = subprocess.run(["bash", str(SERVICES / "postgres.sh"), "start", str(state)], check=True,
                         capture_output=True, text=True).stdout
    url = urlparse(out.strip().splitlines()[-1])
    yield {"PGHOST": url.hostname, "PGPORT": str(url.port), "PGUSER": url.username,
           "DATABASE_URL": f"postgresql://{url.username}@{url.hostname}:{url.port}/postgres"}
    subprocess.run(["bash", str(SERVICES / "postgres.sh"), "stop", str(state)], capture_output=True)


@pytest.fixture(scope="session")
def s3_env(tmp_path_factory):
    """A function that starts Swift on first use and returns the AWS_* variables for it."""
    started: dict[str, str] = {}
    state = tmp_path_factory.mktemp("swift")

    def start() -> dict[str, str]:
        if not started:
            out = subprocess.run(["bash", str(SERVICES / "swift-s3.sh"), "start", str(state)], check=True,
                                 capture_output=True, text=True).stdout
            exports = dict(line[len("export "):].split("=", 1) for line in out.splitlines() if line.startswith("export "))
            started.update(AWS_ENDPOINT_URL=exports["S3_ENDPOINT_URL"], AWS_REGION=exports["AWS_DEFAULT_REGION"],
                           AWS_ACCESS_KEY_ID=exports["AWS_ACCESS_KEY_ID"], AWS_SECRET_ACCESS_KEY=exports["AWS_SECRET_ACCESS_KEY"])
        return started

    yield start
    if started:
        subprocess.run(["bash", str(SERVICES / "swift-s3.sh"), "stop", str(state)], capture_output=True)


@pytest.fixture
def workspace(tmp_path, phicrypt, pg_env, s3_env) -> Workspace:
    return Workspace(tmp_path, phicrypt, pg_env, s3_env)

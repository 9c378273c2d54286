"""The hostile-input pass of the public Python API (issue 12, "Must show"): mutated envelopes, key
records and messages (up to 64 MiB) through every public decrypt, unwrap and open function, with no
crash, no untyped exception and no forgery. The pass runs in a child interpreter (hostile_api.py):
a crash of the host process fails the test here instead of killing pytest."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import phicrypto
import pytest

CHILD = Path(__file__).with_name("hostile_api.py")


def run_child(*args: str) -> subprocess.CompletedProcess[str]:
    # the child imports the same phicrypto as this process (an installed wheel, or the source tree)
    package_root = str(Path(phicrypto.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p)}
    return subprocess.run([sys.executable, str(CHILD), *args], capture_output=True, text=True, timeout=600, env=env)


def assert_survived(child: subprocess.CompletedProcess[str]) -> None:
    if child.returncode < 0:
        pytest.fail(f"the child was killed by signal {-child.returncode}: {child.stderr[-3000:]}")
    assert child.returncode == 0, f"child exited with {child.returncode}:\n{child.stderr[-6000:]}"
    assert child.stdout.strip().endswith("survived")


def test_mutated_inputs_through_every_public_decrypt_are_typed_and_never_forged() -> None:
    assert_survived(run_child("mutations", os.environ.get("PHICRYPTO_HOSTILE_EXAMPLES", "400")))


def test_64_mib_inputs_through_every_public_decrypt_are_typed() -> None:
    child = run_child("large")
    assert_survived(child)
    assert child.stdout.count("64 MiB variants typed") == 7

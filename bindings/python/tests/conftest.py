"""Shared fixtures. The suite tests whichever phicrypto is importable: the installed wheel when the
Test target runs it (a venv with the freshly built wheel), or a checkout with PHICRYPTO_LIBRARY set."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

# The native runtime reads the environment once, when the library starts: KEKs for the keyring tests
# must be in place before phicrypto is imported.
os.environ.setdefault("PHICRYPTO_TEST_KEK", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
os.environ.setdefault("PHICRYPTO_TEST_KEK2", "HxwdHhobGBkWFxQVEhMQEQ4PDA0KCwgJBgcEBQIDAAE=")

import phicrypto  # noqa: E402


def pytest_report_header(config: pytest.Config) -> list[str]:
    from phicrypto._ffi import library_path

    return [f"phicrypto {phicrypto.__version__} from {os.path.dirname(phicrypto.__file__)}",
            f"native library {library_path()} ({phicrypto.native_version()})"]


def repo_root() -> Path:
    """The repository root: PHICRYPTO_REPO, else the folder above bindings/python/tests."""
    env = os.environ.get("PHICRYPTO_REPO")
    return Path(env) if env else Path(__file__).resolve().parents[3]


@pytest.fixture
def key() -> phicrypto.Key:
    return phicrypto.generate_encryption_key()

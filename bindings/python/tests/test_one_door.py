"""One door: only the package's binding layer (its private modules, phicrypto/_*.py) touches cffi;
phicrypto.s3 and phicrypto.django use the public phicrypto API alone."""
from __future__ import annotations

import re
from pathlib import Path

import phicrypto

PACKAGE = Path(phicrypto.__file__).resolve().parent
# cffi's lib/ffi objects or any private module of the package, reached from outside the binding layer
FORBIDDEN = re.compile(r"\b_ffi\b|\bffi\.|\blib\.phi_|\bphicrypto\._\w+|from \.\.\.?_\w+ import|import cffi|from cffi")


def outside_the_binding_layer() -> list[Path]:
    files = [PACKAGE / "s3.py"] + sorted((PACKAGE / "django").rglob("*.py"))
    return [f for f in files if f.is_file()]


def test_the_files_checked_exist() -> None:
    names = {f.name for f in outside_the_binding_layer()}
    assert {"s3.py", "_engine.py", "fields.py"} <= names


def test_only_the_binding_layer_touches_cffi() -> None:
    offenders = []
    for path in outside_the_binding_layer():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if FORBIDDEN.search(code):
                offenders.append(f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_pattern_catches_what_it_must() -> None:
    for bad in ["from phicrypto._ffi import lib", "rc = lib.phi_field_encrypt(h)", "phicrypto._errors.ERR_POLICY",
                "buf = ffi.new('char[]', 4)", "from .._fields import encrypt_one"]:
        assert FORBIDDEN.search(bad), bad
    for good in ["import phicrypto", "phicrypto.Keyring.open(url)", "from ._engine import read_header", "from . import conf"]:
        assert not FORBIDDEN.search(good), good

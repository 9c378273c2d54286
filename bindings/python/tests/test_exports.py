"""The one list of exports (interop/exports.txt) against the header, the built library's dynamic
symbols (nm -D) and the cffi declarations; and the status constants against the header."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from conftest import repo_root
from phicrypto import _errors
from phicrypto._ffi import CDEF, library_path, lib


def listed() -> set[str]:
    lines = (repo_root() / "interop" / "exports.txt").read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def header() -> str:
    return (repo_root() / "interop" / "include" / "phicrypto.h").read_text()


def test_export_list_is_not_empty() -> None:
    assert "phi_field_encrypt" in listed()


def test_header_declares_exactly_the_listed_functions() -> None:
    assert set(re.findall(r"^int (phi_\w+)\(", header(), re.M)) == listed()


def test_library_exports_exactly_the_listed_functions() -> None:
    nm = shutil.which("nm")
    if nm is None:
        pytest.fail("nm (binutils) is needed to read the library's symbols")
    out = subprocess.run([nm, "-D", "--defined-only", library_path()], check=True, capture_output=True, text=True).stdout
    exported = {m.group(1) for m in re.finditer(r" T (phi_\w+)", out)}
    assert exported == listed()


def test_cffi_declares_exactly_the_listed_functions() -> None:
    assert set(re.findall(r"^int (phi_\w+)\(", CDEF, re.M)) == listed()
    assert {name for name in dir(lib) if name.startswith("phi_")} == listed()


def test_cffi_declarations_match_the_header_text() -> None:
    """Same parameter lists, not just the same names (whitespace aside)."""
    def declarations(text: str) -> dict[str, str]:
        found = re.findall(r"^int (phi_\w+)\(([^;]*)\);", text, re.M)
        return {name: " ".join(params.split()) for name, params in found}

    assert declarations(CDEF) == declarations(header())


def test_status_constants_match_the_header() -> None:
    defines = {m.group(1): int(m.group(2)) for m in re.finditer(r"#define PHI_(OK|ERR_\w+)\s+\(?(-?\d+)\)?", header())}
    assert defines and all(getattr(_errors, name) == value for name, value in defines.items())


def test_libsodium_ships_beside_the_library_and_is_found_through_origin() -> None:
    from pathlib import Path

    library = Path(library_path())
    assert (library.parent / "libsodium.so").is_file()
    readelf = shutil.which("readelf")
    if readelf is None:
        pytest.fail("readelf (binutils) is needed to read the library's dynamic section")
    dynamic = subprocess.run([readelf, "-d", str(library)], check=True, capture_output=True, text=True).stdout
    assert "[libsodium.so]" in dynamic and "[$ORIGIN]" in dynamic
    assert "NODELETE" in dynamic  # never unmapped under the runtime's threads

"""The C ABI described once (interop/abi.json): every generated copy is current, the built library's
dynamic symbols (nm -D) are exactly the described functions, the C# exports have the described
signatures, and the C# status and wrap-algorithm numbers are the described ones."""
from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import repo_root
from phicrypto import _cdef
from phicrypto._ffi import CDEF, lib, library_path


def generator():
    spec = importlib.util.spec_from_file_location("phicrypto_abi_generate", repo_root() / "interop" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def description() -> dict:
    return json.loads((repo_root() / "interop" / "abi.json").read_text(encoding="utf-8"))


def described() -> set[str]:
    return {f["name"] for s in description()["sections"] for f in s["functions"]}


def test_every_generated_file_is_current() -> None:
    stale = [str(p.relative_to(repo_root())) for p in generator().stale()]
    assert stale == [], f"edited interop/abi.json without regenerating (./build.sh --target=Abi): {stale}"


def test_the_stale_check_sees_an_edit_of_the_description() -> None:
    """Editing the description without regenerating makes the check above fail, for every output."""
    gen = generator()
    abi = gen.load()
    abi["sections"][0]["functions"][0]["doc"] += " (edited)"
    abi["constants"][0]["value"] += 100
    stale = {p.name for p in gen.stale(abi)}
    assert stale == {"phicrypto.h", "_cdef.py", "AbiConstants.g.cs"}
    abi["sections"][0]["functions"].append({"name": "phi_new_export", "params": [], "doc": "new"})
    assert "exports.txt" in {p.name for p in gen.stale(abi)}


def test_the_library_exports_exactly_the_described_functions() -> None:
    nm = shutil.which("nm")
    if nm is None:
        pytest.fail("nm (binutils) is needed to read the library's symbols")
    out = subprocess.run([nm, "-D", "--defined-only", library_path()], check=True, capture_output=True, text=True).stdout
    assert {m.group(1) for m in re.finditer(r" T (phi_\w+)", out)} == described()


def test_cffi_declares_exactly_the_described_functions() -> None:
    assert set(re.findall(r"^int (phi_\w+)\(", CDEF, re.M)) == described()
    assert {name for name in dir(lib) if name.startswith("phi_")} == described()


def test_the_export_list_and_header_name_the_described_functions() -> None:
    listed = {l for l in (repo_root() / "interop" / "exports.txt").read_text().splitlines() if l and not l.startswith("#")}
    header = (repo_root() / "interop" / "include" / "phicrypto.h").read_text()
    assert listed == described() == set(re.findall(r"^int (phi_\w+)\(", header, re.M))


# C types of the description -> the C# parameter types of [UnmanagedCallersOnly] exports
_CSHARP = {"size_t": "nuint", "size_t *": "nuint*", "int": "int", "int32_t": "int", "int32_t *": "int*",
           "uint32_t": "uint", "uint32_t *": "uint*", "uint64_t": "ulong", "uint64_t *": "ulong*",
           "char *": "byte*", "const char *": "byte*", "uint8_t *": "byte*", "const uint8_t *": "byte*",
           "const size_t *": "nuint*"}


def _csharp_type(c_type: str) -> str:
    if c_type in _CSHARP:
        return _CSHARP[c_type]
    if re.fullmatch(r"(const )?phi_\w+ \*", c_type):
        return "nint"   # a handle
    if re.fullmatch(r"phi_\w+ \*\*", c_type):
        return "nint*"  # a handle out
    raise AssertionError(f"no C# mapping for {c_type!r}")


def csharp_exports() -> dict[str, list[str]]:
    exports: dict[str, list[str]] = {}
    pattern = re.compile(r'\[UnmanagedCallersOnly\(EntryPoint = "(phi_\w+)".*?\)\]\s*(?:private|internal|public) static int \w+\(([^)]*)\)')
    for source in (repo_root() / "src" / "PhiCrypto.Native").glob("*.cs"):
        for name, params in pattern.findall(source.read_text(encoding="utf-8")):
            exports[name] = [" ".join(p.split()[:-1]) for p in params.split(",") if p.strip()]
    return exports


def test_the_csharp_exports_have_the_described_signatures() -> None:
    exports = csharp_exports()
    assert set(exports) == described()
    for section in description()["sections"]:
        for f in section["functions"]:
            assert exports[f["name"]] == [_csharp_type(t) for t, _ in f["params"]], f["name"]


def _csharp_enum(path: Path, name: str) -> dict[str, int]:
    body = re.search(r"enum " + name + r"\b[^{]*\{([^}]*)\}", path.read_text(encoding="utf-8"), re.S)
    assert body, f"enum {name} not found in {path}"
    text = re.sub(r"//[^\n]*", "", body.group(1))
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"(\w+)\s*=\s*(-?\d+)", text)}


def test_the_status_codes_are_phistatus() -> None:
    status = _csharp_enum(repo_root() / "src" / "PhiCrypto.Core" / "Errors.cs", "PhiStatus")
    assert status == {s["csharp"]: s["value"] for s in description()["status"]}
    assert all(getattr(_cdef, s["name"]) == s["value"] for s in description()["status"])


def test_the_wrap_algorithms_are_the_cores_numbers() -> None:
    """PHI_WRAP_* once disagreed with PhiCrypto.Keys.WrapAlgorithm (KW 1 / KWP 2 against AesKwp 1 / AesKw 2)."""
    core = _csharp_enum(repo_root() / "src" / "PhiCrypto.Core" / "Keys" / "IKek.cs", "WrapAlgorithm")
    assert (_cdef.PHI_WRAP_AES_KWP, _cdef.PHI_WRAP_AES_KW) == (core["AesKwp"], core["AesKw"])


def test_libsodium_ships_beside_the_library_and_is_found_through_origin() -> None:
    library = Path(library_path())
    assert (library.parent / "libsodium.so").is_file()
    readelf = shutil.which("readelf")
    if readelf is None:
        pytest.fail("readelf (binutils) is needed to read the library's dynamic section")
    dynamic = subprocess.run([readelf, "-d", str(library)], check=True, capture_output=True, text=True).stdout
    assert "[libsodium.so]" in dynamic and "[$ORIGIN]" in dynamic
    assert "NODELETE" in dynamic  # never unmapped under the runtime's threads


def test_the_installed_wheel_is_what_runs() -> None:
    """Under the Test target (PHICRYPTO_EXPECT_WHEEL=1) the package must come from the venv with its
    own bundled library and pre-parsed declarations, never from the source tree."""
    import os

    import phicrypto
    from phicrypto import _ffi

    if os.environ.get("PHICRYPTO_EXPECT_WHEEL") != "1":
        assert _ffi.library_path()  # a checkout run: nothing more to say about packaging
        return
    package = os.path.dirname(phicrypto.__file__)
    assert "site-packages" in package
    assert _ffi.library_path() == os.path.join(package, "libphicrypto.so")
    assert _ffi.PREPARSED

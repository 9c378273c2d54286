#!/usr/bin/python3
"""Writes every copy of the C ABI from its one description, interop/abi.json.

    /usr/bin/python3 interop/generate.py            regenerate (./build.sh --target=Abi runs this)
    /usr/bin/python3 interop/generate.py --check    exit 1, naming each stale file, if any differs

Outputs: the block between the GENERATED markers of interop/include/phicrypto.h (status codes,
constants, handle types, declarations with their doc comments; the conventions prose around it is
hand-written), interop/exports.txt, bindings/python/phicrypto/_cdef.py (cffi declarations and the
constants) and src/PhiCrypto.Native/AbiConstants.g.cs (the constants for the C# exports, whose
signatures bindings/python/tests/test_abi.py checks against the description). Standard library only.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DESCRIPTION = ROOT / "interop" / "abi.json"
HEADER = ROOT / "interop" / "include" / "phicrypto.h"
EXPORTS = ROOT / "interop" / "exports.txt"
CDEF = ROOT / "bindings" / "python" / "phicrypto" / "_cdef.py"
CSHARP = ROOT / "src" / "PhiCrypto.Native" / "AbiConstants.g.cs"

BEGIN = "/* ---- BEGIN GENERATED from interop/abi.json by interop/generate.py: do not edit by hand ---- */"
END = "/* ---- END GENERATED ---- */"
WIDTH = 110


def load(path: Path = DESCRIPTION) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def functions(abi: dict) -> list[dict]:
    return [f for section in abi["sections"] for f in section["functions"]]


def prototype(f: dict, indent_continuation: bool = True) -> str:
    """`int name(type a, type b);`, wrapped under the parenthesis when longer than WIDTH."""
    params = [f"{t}{'' if t.endswith('*') else ' '}{n}" for t, n in f["params"]] or ["void"]
    head = f"int {f['name']}("
    lines, line = [], head
    for i, p in enumerate(params):
        piece = p + (", " if i < len(params) - 1 else ");")
        if len(line) + len(piece.rstrip()) > WIDTH and line.strip() != head.strip():
            lines.append(line.rstrip())
            line = " " * len(head) if indent_continuation else "    "
        line += piece
    lines.append(line)
    return "\n".join(lines)


def comment(text: str, indent: str = "") -> list[str]:
    if not text:
        return []
    body = text.split("\n")
    if len(body) == 1 and len(body[0]) < WIDTH - 6:
        return [f"{indent}/* {body[0]} */"]
    return [f"{indent}/* {body[0]}"] + [f"{indent} * {l}".rstrip() for l in body[1:]] + [f"{indent} */"]


def define(name: str, value: int, doc: str) -> str:
    v = f"({value})" if value < 0 else str(value)
    line = f"#define {name:<26}{v:>6}"
    return f"{line}   /* {doc} */" if doc else line


def header_block(abi: dict) -> str:
    out = [BEGIN, "", "/* ---- status codes (the same numbers as PhiCrypto.PhiStatus in the C# core) ---- */"]
    out += [define(s["name"], s["value"], s["doc"]) for s in abi["status"]]
    out += ["", "/* ---- constants ---- */"]
    out += [define(c["name"], c["value"], c["doc"]) for c in abi["constants"]]
    out += ["", "/* ---- handles (opaque) ---- */"]
    width = max(len(h["name"]) for h in abi["handles"]) * 2 + 18
    out += [f"{'typedef struct ' + h['name'] + ' ' + h['name'] + ';':<{width}} /* {h['doc']} */" for h in abi["handles"]]
    for section in abi["sections"]:
        title = f"/* {'=' * 72} {section['title']}"
        if section["doc"]:
            out += ["", title] + [f" * {l}".rstrip() for l in [""] + section["doc"].split("\n")] + [" */"]
        else:
            out += ["", title + " */"]
        for f in section["functions"]:
            out += [""] + comment(f["doc"]) + [prototype(f)]
    out += ["", END]
    return "\n".join(out)


def header(abi: dict, current: str) -> str:
    start, stop = current.find(BEGIN), current.find(END)
    if start < 0 or stop < start:
        raise SystemExit(f"{HEADER}: the GENERATED markers are missing")
    return current[:start] + header_block(abi) + current[stop + len(END):]


def exports(abi: dict) -> str:
    lines = ["# Every symbol libphicrypto.so exports, one per line. GENERATED from interop/abi.json by",
             "# interop/generate.py: do not edit. Checked against nm -D of the built library (bindings/python/",
             "# tests/test_abi.py, interop/tests/exports.cmake)."]
    return "\n".join(lines + [f["name"] for f in functions(abi)]) + "\n"


def cdef(abi: dict) -> str:
    decls = [f"typedef struct {h['name']} {h['name']};" for h in abi["handles"]] + [""]
    decls += [prototype(f, indent_continuation=False) for f in functions(abi)]
    consts = [f"{c['name']} = {c['value']}" for c in abi["status"] + abi["constants"]]
    return "\n".join([
        '"""The C declarations of libphicrypto.so for cffi, and its constants. GENERATED from interop/abi.json',
        'by interop/generate.py: do not edit. Plain data, so setup.py can read it without importing the package."""',
        "",
        'CDEF = """',
        *decls,
        '"""',
        "",
        *consts,
        "",
    ])


def csharp(abi: dict) -> str:
    lines = ["// GENERATED from interop/abi.json by interop/generate.py: do not edit. The ABI's constants for the",
             "// exports; the status codes are PhiCrypto.PhiStatus (checked against the description by",
             "// bindings/python/tests/test_abi.py, as are the [UnmanagedCallersOnly] signatures).",
             "namespace PhiCrypto.Native;", "", "internal static class AbiConstants", "{"]
    for c in abi["constants"]:
        lines += [f"    /// <summary>{c['name']}: {c['doc'].replace('&', '&amp;').replace('<', '&lt;')}</summary>",
                  f"    internal const int {c['csharp']} = {c['value']};"]
    return "\n".join(lines + ["}", ""])


def render(abi: dict) -> dict[Path, str]:
    return {
        HEADER: header(abi, HEADER.read_text(encoding="utf-8")),
        EXPORTS: exports(abi),
        CDEF: cdef(abi),
        CSHARP: csharp(abi),
    }


def stale(abi: dict | None = None) -> list[Path]:
    """The generated files that differ from what the description gives."""
    outputs = render(abi or load())
    return [p for p, text in outputs.items() if not p.exists() or p.read_text(encoding="utf-8") != text]


def main(argv: list[str]) -> int:
    if argv[1:] == ["--check"]:
        old = stale()
        for p in old:
            print(f"stale: {p.relative_to(ROOT)} (run ./build.sh --target=Abi)", file=sys.stderr)
        return 1 if old else 0
    if argv[1:]:
        print(__doc__, file=sys.stderr)
        return 2
    for path, text in render(load()).items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

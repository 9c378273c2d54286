"""The fenced code blocks of a Markdown file, with the marker that says whether the test runs them.

A shell block (info string ``sh``) is preceded (blank lines allowed) by one of:

    <!-- runnable: needs=keyring,database; session=drill; expect=REGEX -->
    <!-- not runnable: REASON -->

``needs`` names what the test prepares first (test_runbooks.py, ``Workspace``), ``session`` runs the
blocks of one document that share it in one shell, in order (a drill whose steps keep state), and
``expect`` is a regular expression the block's output must contain. A fenced block with no info
string is an error, so a shell block cannot escape by leaving it out. docs/runbooks/README.md.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

SHELL = {"sh", "bash", "shell", "console"}
_FENCE = re.compile(r"^(?P<indent>\s*)```(?P<info>[^`]*)$")
_MARKER = re.compile(r"^\s*<!--\s*(?P<kind>runnable|not runnable):\s*(?P<body>.*?)\s*-->\s*$")


@dataclass
class Block:
    path: Path
    line: int                  # 1-based line of the opening fence
    info: str
    text: str
    marker: str | None = None  # "runnable", "not runnable" or None
    reason: str = ""
    needs: list[str] = field(default_factory=list)
    session: str | None = None
    expect: str | None = None

    @property
    def where(self) -> str:
        return f"{self.path.name}:{self.line}"

    @property
    def is_shell(self) -> bool:
        return self.info.split()[0] in SHELL if self.info else False


def _apply_marker(block: Block, kind: str, body: str) -> None:
    block.marker = kind
    if kind == "not runnable":
        block.reason = body
        return
    for part in filter(None, (p.strip() for p in body.split(";"))):
        name, _, value = part.partition("=")
        name, value = name.strip(), value.strip()
        if name == "needs":
            block.needs = [n.strip() for n in value.split(",") if n.strip()]
        elif name == "session":
            block.session = value
        elif name == "expect":
            block.expect = value
        else:
            raise ValueError(f"{block.where}: unknown marker field {name!r} (needs, session, expect)")


def blocks(path: Path) -> list[Block]:
    """Every fenced block of the file, in order, with its marker applied."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    marker: tuple[str, str] | None = None
    i = 0
    while i < len(lines):
        m = _MARKER.match(lines[i])
        fence = _FENCE.match(lines[i])
        if m:
            marker = (m["kind"], m["body"])
        elif fence:
            indent = len(fence["indent"])
            body: list[str] = []
            i += 1
            while i < len(lines) and not _FENCE.match(lines[i]):
                body.append(lines[i][indent:] if lines[i][:indent].isspace() else lines[i].lstrip())
                i += 1
            block = Block(path, i - len(body), fence["info"].strip(), "\n".join(body) + "\n")
            if marker:
                _apply_marker(block, *marker)
            found.append(block)
            marker = None
        elif lines[i].strip():
            marker = None
        i += 1
    return found

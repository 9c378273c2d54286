"""Issue 15: every command in the README's operator example and in docs/runbooks/*.md runs as written.

Each shell block marked runnable runs in a fresh directory (also $HOME) with the published `phicrypt`
on PATH and a real PostgreSQL 15, after the test prepared what the marker's `needs=` names; blocks of
one `session=` run in one shell, in order. It must exit 0 and, where the marker says `expect=`,
print what it says. A shell block that cannot run here carries `<!-- not runnable: REASON -->`, and
every fenced block must say what it is, so a new command cannot escape the test.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from markdown_blocks import Block, blocks
from workspace import PATIENT_ROWS, Workspace

REPO = Path(__file__).resolve().parents[2]
DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs" / "runbooks").glob("*.md"))]
ALL_BLOCKS = [b for doc in DOCUMENTS for b in blocks(doc)]


def _units() -> list[list[Block]]:
    """One list per run: a block alone, or every block of one session in document order."""
    units: list[list[Block]] = []
    sessions: dict[tuple[Path, str], list[Block]] = {}
    for b in ALL_BLOCKS:
        if b.marker != "runnable":
            continue
        if b.session is None:
            units.append([b])
        elif (b.path, b.session) not in sessions:
            sessions[(b.path, b.session)] = [b]
            units.append(sessions[(b.path, b.session)])
        else:
            sessions[(b.path, b.session)].append(b)
    return units


UNITS = _units()


def _unit_id(unit: list[Block]) -> str:
    return f"{unit[0].path.name}#{unit[0].session}" if unit[0].session else unit[0].where


def test_every_shell_block_is_runnable_or_says_why_not() -> None:
    problems = []
    for b in ALL_BLOCKS:
        if not b.info:
            problems.append(f"{b.where}: a fenced block needs an info string (sh, text, python, ...)")
        elif b.is_shell and b.marker is None:
            problems.append(f"{b.where}: a shell block needs <!-- runnable: ... --> or <!-- not runnable: REASON -->")
        elif b.marker == "not runnable" and len(b.reason.split()) < 3:
            problems.append(f"{b.where}: 'not runnable' needs a reason")
        elif b.marker == "runnable" and not set(b.needs) <= Workspace.known_needs():
            problems.append(f"{b.where}: unknown needs {sorted(set(b.needs) - Workspace.known_needs())}")
    assert not problems, "\n".join(problems)


def test_the_readme_operator_example_and_the_drills_are_runnable() -> None:
    """The marker alone cannot hide what the issue names: these blocks must be among the runnable ones."""
    runnable = "\n".join(b.text for b in ALL_BLOCKS if b.marker == "runnable")
    for command in ("phicrypt keys init", "phicrypt backup --pg", "phicrypt verify", "phicrypt restore",
                    "phicrypt decrypt", "-aes-256-cbc", "phicrypt keys import", "phicrypt keys export"):
        assert command in runnable, f"no runnable block runs {command!r}"


@pytest.mark.parametrize("unit", UNITS, ids=_unit_id)
def test_block_runs_as_written(unit: list[Block], workspace: Workspace) -> None:
    workspace.prepare(list(dict.fromkeys(n for b in unit for n in b.needs)))
    script = "".join(f"echo '>>> {b.where}' >&2\n{b.text}" for b in unit)
    r = workspace.shell(script)
    output = r.stdout + r.stderr
    assert r.returncode == 0, f"exit {r.returncode}\n--- output\n{output}"
    for b in unit:
        if b.expect:
            assert re.search(b.expect, output), f"{b.where}: output lacks /{b.expect}/\n--- output\n{output}"


def test_a_restored_database_has_every_row(workspace: Workspace) -> None:
    """What the drill's "compare row counts" step checks, done here for the README's restore."""
    readme = next(u for u in UNITS if u[0].path.name == "README.md" and "phicrypt restore" in u[0].text)
    workspace.prepare(readme[0].needs)
    assert workspace.shell(readme[0].text).returncode == 0
    assert workspace.psql("SELECT count(*) FROM patients", "ehr_restored") == str(PATIENT_ROWS)

"""`keys retire PURPOSE VERSION`: a key version leaves service only when the data proves it unused.

The proof reads every encrypted column whose field uses PURPOSE, in every model, from the envelope
headers alone (``reencrypt.version_counts``: SQL fetches the header prefix, never a value), and
counts the rows that still name VERSION. Zero everywhere: the version is moved to deactivated (NIST
SP 800-57: it may still decrypt, never encrypt), with the proof in the key audit event. Otherwise
nothing changes and the refusal names the rows left, per model and field.

The active version is refused before any scan: a writer may be using it while the scan runs, and
SP 800-57 has no way back from deactivated. Rotate first, re-encrypt, then retire.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db import router

from .keyring import get_keyring
from .reencrypt import targets, version_counts


class RetireRefused(Exception):
    """The version cannot be retired; the message says why (rows left, active, unknown)."""


@dataclass
class Proof:
    fields: list[str]           # "app.Model.field" of every column scanned
    left: dict[str, int]        # those of them with rows still naming the version

    @property
    def rows_left(self) -> int:
        return sum(self.left.values())


def scan(purpose: str, version: int) -> Proof:
    """The rows naming ``version`` of ``purpose``, per field, read from the envelope headers."""
    scanned, left = [], {}
    for model, fields in targets(None):
        for field in fields:
            if field.purpose != purpose:
                continue
            label = f"{model._meta.label}.{field.name}"
            scanned.append(label)
            rows = version_counts(model, field, router.db_for_read(model)).get(version, 0)
            if rows:
                left[label] = rows
    return Proof(scanned, left)


def retire(purpose: str, version: int) -> tuple[str, Proof]:
    """Proves no row names the version, then deactivates it; returns (its state before, the proof)."""
    ring = get_keyring()
    ring.reload()
    states = {v.version: v.state for v in ring.engine.versions(purpose)}
    if version not in states:
        raise RetireRefused(f"{purpose} has no version {version}" + (f" (it has {sorted(states)})" if states else ""))
    if states[version] == "active":
        raise RetireRefused(f"{purpose} v{version} is the active version: rotate first "
                            f"(`phicrypto keys rotate {purpose}`), re-encrypt, then retire it")
    proof = scan(purpose, version)
    if not proof.fields:
        raise RetireRefused(f"no encrypted field of this project uses {purpose}: there is no data here to prove "
                            "it unused (retire keys of files and backups with phicrypt)")
    if proof.rows_left:
        where = ", ".join(f"{label}: {n}" for label, n in sorted(proof.left.items()))
        raise RetireRefused(f"{proof.rows_left} row(s) still name {purpose} v{version} ({where}): "
                            "run `manage.py phicrypto reencrypt` first")
    ring.engine.set_state(purpose, version, "deactivated", _reason(proof))
    return states[version], proof


def _reason(proof: Proof) -> str:
    """The audit event's detail (at most 1024 bytes in the record format): the columns, or their count."""
    listed = f"retired: no row names it ({len(proof.fields)} column(s) scanned: {', '.join(proof.fields)})"
    return listed if len(listed.encode()) <= 1000 else f"retired: no row names it ({len(proof.fields)} column(s) scanned)"

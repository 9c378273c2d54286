"""Issue 15: the published (NativeAOT) `phicrypt` says what went wrong in readable English, in one
line; a password-protected recovery key with a wrong password is its own error (exit 3) through
every command that reads it."""
from __future__ import annotations

import re

import pytest

from workspace import Workspace

# What a stripped NativeAOT runtime prints instead of its own texts, and the parameter suffix.
RESOURCE_KEY = re.compile(r"\b(Arg_\w+|ArgumentOutOfRange_\w+|Argument_\w+|InvalidOperation_\w+|\w+_Name)\b|\(Parameter '")

BAD_COMMANDS = {
    "rotate of an unknown purpose": ("phicrypt keys rotate clinik", 4, r"no keys for purpose 'clinik'.*it has: backup-signing, backups, files.*phicrypt keys add clinik"),
    "a 31-byte key file": ("head -c 31 /dev/urandom > k.bin && phicrypt encrypt scan.dcm -o x.phi --key-file k.bin", 2, r"exactly 32 raw bytes \(found 31\)"),
    "a purpose that is not a name": ("phicrypt keys add 'Bad Name!'", 2, r"a purpose is 1 to 200 characters"),
    "an unknown state": ("phicrypt keys state files 1 retired", 2, r"state"),
    "a fractional size": ("phicrypt backup --pg dbname=ehr -o b/ --split 1.5G", 2, r"--split"),
    "an unknown option": ("phicrypt verify b/ --frobnicate", 2, r"--frobnicate"),
    "not an encrypted message": ("phicrypt decrypt scan.dcm -o out.bin", 5, r"."),
    "inspect of garbage": ("phicrypt inspect scan.dcm", 5, r"."),
    "a backup without manifest": ("mkdir -p empty && phicrypt verify empty/", 7, r"manifest"),
    "a public key to decrypt with": ('phicrypt verify "$BACKUP" --recovery-key recovery.pub.pem --verify-key backup-signing.pub.pem', 2, r"private key"),
    "a range past the end": ("phicrypt encrypt scan.dcm -o s.phi && phicrypt decrypt s.phi --range 99999999-99999999 -o p.bin", None, r"range"),
}


@pytest.mark.parametrize("name", BAD_COMMANDS)
def test_an_error_is_one_readable_line(name: str, workspace: Workspace) -> None:
    workspace.prepare(["database", "keyring", "scan", "recovery-key", "signing-key", "backup"])
    command, code, says = BAD_COMMANDS[name]
    r = workspace.shell(command)
    lines = r.stderr.strip().splitlines()
    assert r.returncode != 0 and (code is None or r.returncode == code), f"exit {r.returncode}: {r.stderr}"
    assert len(lines) == 1 and lines[0].startswith("phicrypt: "), r.stderr
    assert not RESOURCE_KEY.search(r.stderr), r.stderr
    assert re.search(says, lines[0]), lines[0]


WRONG_PASSWORD = {
    "verify": 'phicrypt verify "$BACKUP" --recovery-key recovery.pem --verify-key backup-signing.pub.pem',
    "restore": 'createdb target && phicrypt restore "$BACKUP" --pg dbname=target --recovery-key recovery.pem --verify-key backup-signing.pub.pem',
    "decrypt": 'cat "$BACKUP"/part-* | phicrypt decrypt --recovery-private-key recovery.pem -o dump.zst',
    "keys import": "phicrypt keys export --recovery-key recovery.pub.pem -o k.bundle && "
                   "PHICRYPTO_KEYRING=new.json phicrypt keys import k.bundle --init --recovery-private-key recovery.pem --source-kek env:PHICRYPTO_MASTER_KEY",
}


@pytest.mark.parametrize("command", WRONG_PASSWORD)
def test_a_wrong_recovery_key_password_is_exit_3_and_says_so(command: str, workspace: Workspace) -> None:
    workspace.prepare(["database", "keyring", "recovery-key", "signing-key", "backup"])
    right = workspace.env["PHICRYPTO_RECOVERY_KEY_PASSWORD"]
    workspace.env["PHICRYPTO_RECOVERY_KEY_PASSWORD"] = right + "x"
    r = workspace.shell(WRONG_PASSWORD[command])
    assert r.returncode == 3, f"exit {r.returncode}: {r.stderr}"
    assert "recovery.pem: wrong password for the encrypted recovery key (set PHICRYPTO_RECOVERY_KEY_PASSWORD" in r.stderr
    assert "not an RSA" not in r.stderr and "not a usable" not in r.stderr
    if command == "restore":
        assert workspace.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", "target") == "0"
    assert not (workspace.root / "dump.zst").exists() and not (workspace.root / "new.json").exists()
    workspace.env["PHICRYPTO_RECOVERY_KEY_PASSWORD"] = right  # the same command with the right password works
    again = workspace.shell(WRONG_PASSWORD[command].replace("createdb target && ", "").replace(" -o k.bundle", " -o k2.bundle").replace("import k.bundle", "import k2.bundle"))
    assert again.returncode == 0, again.stderr

"""manage.py phicrypto: keys and re-encryption.

    phicrypto keys init                       the keyring (if the store has none) and the first version
                                              of every encrypted field's purpose
    phicrypto keys list [PURPOSE]
    phicrypto keys rotate PURPOSE | --all     new active version (old ones still decrypt)
    phicrypto keys rewrap --to KEK            re-wrap every DEK under another KEK (no data re-encrypted)
    phicrypto keys audit --verify             check the hash chain of the key audit trail
    phicrypto keys retire PURPOSE VERSION     deactivate a version once no row names it (proved from the data)
    phicrypto keys import BUNDLE --replace    disaster recovery: the restored store's records of a lost KEK
              (--recovery-passphrase-file F | --recovery-private-key PEM [--source-kek SPEC]) [--yes] [--phicrypt PATH]
                                              replaced by the bundle's, under the configured KEK
    phicrypto reencrypt [app[.Model[.field]]] [--batch-size N] [--no-progress]
"""
from __future__ import annotations

import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from ... import _engine, conf
from ...keyring import get_keyring, reset
from ...reencrypt import Reencryptor, all_purposes, targets
from ...recovery import RecoveryRefused, find_phicrypt, record_count, replace, store_state
from ...retire import RetireRefused, retire


class Command(BaseCommand):
    help = "PhiCrypto keys (init, list, rotate, rewrap, audit) and online re-encryption."
    requires_system_checks = []  # `keys init` is what the key store checks (phicrypto.E011) ask for

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="command", required=True)
        keys = sub.add_parser("keys", help="key versions")
        actions = keys.add_subparsers(dest="action", required=True)
        actions.add_parser("init", help="create version 1 of every encrypted field's purpose")
        ls = actions.add_parser("list", help="list key versions")
        ls.add_argument("purpose", nargs="?")
        rotate = actions.add_parser("rotate", help="add a new active version")
        rotate.add_argument("purpose", nargs="?")
        rotate.add_argument("--all", action="store_true", dest="all_purposes")
        rewrap = actions.add_parser("rewrap", help="re-wrap every DEK under another KEK")
        rewrap.add_argument("--to", required=True, dest="new_kek", help="env:NAME, passphrase-env:NAME, passphrase-file:PATH or pkcs11:... (where the secret is, never the secret)")
        aud = actions.add_parser("audit", help="key audit trail")
        aud.add_argument("--verify", action="store_true")
        ret = actions.add_parser("retire", help="deactivate a version no row names any more (scans the data first)")
        ret.add_argument("purpose")
        ret.add_argument("version", type=int)
        imp = actions.add_parser("import", help="disaster recovery: import a recovery bundle into the restored database's store")
        imp.add_argument("bundle")
        imp.add_argument("--replace", action="store_true", required=True,
                         help="replace the store's records of the lost KEK with the bundle's (asks first)")
        imp.add_argument("--yes", action="store_true", help="do not ask")
        imp.add_argument("--recovery-passphrase-file", help="file holding the recovery passphrase (proves the bundle's origin alone)")
        imp.add_argument("--recovery-private-key", help="the RSA recovery private key (PEM); needs --source-kek")
        imp.add_argument("--source-kek", help="the KEK of the keyring the bundle came from (phicrypt KEK syntax)")
        imp.add_argument("--phicrypt", help="path of the phicrypt command (default: on PATH)")
        re = sub.add_parser("reencrypt", help="re-encrypt rows under old key versions")
        re.add_argument("target", nargs="?", help="app_label[.Model[.field]]")
        re.add_argument("--batch-size", type=int, default=1000)
        re.add_argument("--no-progress", action="store_true")
        re.add_argument("--status", action="store_true", help="show the rows left under old key versions, per model and field")
        re.add_argument("--on-error", choices=("stop", "skip"), default="stop",
                        help="a value that does not decrypt: stop there (default), or leave its row and go on")

    def handle(self, *args, **opts):
        try:
            if opts["command"] == "keys":
                return getattr(self, f"keys_{opts['action']}")(opts)
            return self.reencrypt(opts)
        except (_engine.PhiCryptoError, ImproperlyConfigured, ValueError, RetireRefused, RecoveryRefused) as err:
            raise CommandError(str(err)) from None

    # ---- keys
    def keys_init(self, opts):
        # The one place a keyring is created: an explicit act (the app never starts one by itself).
        _engine.create_keyring(conf.store_url(), _engine.KekSource(conf.get("KEK")))
        reset()
        created = get_keyring().engine.ensure(all_purposes())
        for p in created:
            self.stdout.write(f"created {p} version 1")
        self.stdout.write(f"{len(created)} purpose(s) created, {len(all_purposes()) - len(created)} already had keys")

    def keys_list(self, opts):
        ring = get_keyring()
        ring.reload()
        self.stdout.write(f"{'purpose':40} {'version':>7}  {'state':12} {'created':25} kek")
        for v in ring.engine.versions(opts.get("purpose")):
            self.stdout.write(f"{v.purpose:40} {v.version:>7}  {v.state:12} {v.created.isoformat(timespec='seconds'):25} {v.kek_id}")

    def keys_rotate(self, opts):
        ring = get_keyring()
        if opts["all_purposes"] == bool(opts.get("purpose")):
            raise CommandError("give either a PURPOSE or --all")
        ring.reload()
        existing, models = {v.purpose for v in ring.engine.versions()}, set(all_purposes())
        purposes = sorted(existing | models) if opts["all_purposes"] else [opts["purpose"]]
        for p in purposes:
            if p not in existing:
                # a model's purpose without keys gets version 1; anything else is a typo, never a new purpose
                if p not in models:
                    raise CommandError(f"no purpose {p!r}: known purposes are {', '.join(sorted(existing | models)) or 'none'}")
                ring.engine.ensure([p])
                self.stdout.write(f"created {p}: version 1 is active")
                continue
            version = ring.engine.rotate(p)
            self.stdout.write(f"rotated {p}: version {version} is active")

    def keys_rewrap(self, opts):
        count = get_keyring().engine.rewrap(_engine.KekSource(opts["new_kek"]))
        reset()
        self.stdout.write(f"re-wrapped {count} key(s); set PHICRYPTO['KEK'] to {opts['new_kek']!r} before the next start")

    def keys_audit(self, opts):
        if not opts["verify"]:
            raise CommandError("use: phicrypto keys audit --verify")
        ok, count, message = get_keyring().engine.verify_audit()
        if not ok:
            raise CommandError(message)
        self.stdout.write(message)

    def keys_retire(self, opts):
        before, proof = retire(opts["purpose"], opts["version"])
        self.stdout.write(f"no row names {opts['purpose']} v{opts['version']} ({len(proof.fields)} column(s) scanned: "
                          f"{', '.join(proof.fields)})")
        self.stdout.write(f"{opts['purpose']} v{opts['version']}: {before} -> deactivated" if before != "deactivated"
                          else f"{opts['purpose']} v{opts['version']} stays deactivated (rotation deactivated it); it protects no row here")

    def keys_import(self, opts):
        alias = conf.store_alias()
        if alias is None:
            raise CommandError("--replace works on a key store inside a Django database (PHICRYPTO['STORE'] is a URL): use phicrypt keys import")
        if bool(opts["recovery_passphrase_file"]) == bool(opts["recovery_private_key"]):
            raise CommandError("give one of --recovery-passphrase-file F or --recovery-private-key PEM")
        phicrypt = find_phicrypt(opts["phicrypt"])
        state = store_state(conf.store_url(), _engine.KekSource(conf.get("KEK")))
        if state != "lost":
            raise CommandError("the key store is empty: import with `phicrypt keys import BUNDLE --init`, no --replace needed" if state == "empty"
                               else "the configured KEK opens this key store: nothing is lost, so nothing is replaced")
        records = record_count(alias)
        if not opts["yes"] and not self._confirm(f"the key store in database {alias!r} holds {records} key record(s) under a KEK that is not "
                                                 f"the configured one; they will be replaced by the bundle's, wrapped under {conf.get('KEK')}"):
            raise CommandError("nothing changed")
        args = []
        for flag in ("recovery_passphrase_file", "recovery_private_key", "source_kek"):
            if opts[flag]:
                args += ["--" + flag.replace("_", "-"), opts[flag]]
        self.stdout.write(replace(alias, phicrypt, opts["bundle"], args).rstrip())
        self.stdout.write(f"replaced {records} record(s) of the lost KEK; check with `manage.py check --database {alias}` and read a few rows")

    def _confirm(self, what: str) -> bool:
        self.stdout.write(what)
        self.stdout.flush()
        try:
            return input("type 'replace' to go on: ").strip() == "replace"
        except EOFError:
            return False

    # ---- reencrypt
    def reencrypt(self, opts):
        if opts["status"]:
            return self.reencrypt_status(opts)
        skipped = []
        for model, fields in targets(opts.get("target")):
            names = ", ".join(f.name for f in fields)
            show = None if opts["no_progress"] else self._bar(f"{model._meta.label} ({names})")
            worker = Reencryptor(model, fields, opts["batch_size"], show, opts["on_error"])
            try:
                done = worker.run()
            finally:
                if show:
                    sys.stderr.write("\n")
            self.stdout.write(f"{model._meta.label}: {done} row(s) re-encrypted by this worker")
            for s in worker.skipped:
                self.stdout.write(f"skipped {s}")
            skipped += worker.skipped
        if skipped:
            raise CommandError(f"{len(skipped)} value(s) could not be decrypted and were left as they are (listed above)")
        return None

    def reencrypt_status(self, opts):
        self.stdout.write(f"{'field':40} {'rows':>10} {'old':>10}  done")
        for model, fields in targets(opts.get("target")):
            for field, total, old in Reencryptor(model, fields).status():
                done = 100.0 if total == 0 else 100.0 * (total - old) / total
                self.stdout.write(f"{model._meta.label + '.' + field.name:40} {total:>10} {old:>10}  {done:5.1f}%")

    @staticmethod
    def _bar(label: str):
        def show(p):
            total = max(p.total, p.done, 1)
            filled = int(30 * min(p.done, total) / total)
            sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (30 - filled)}] {p.done}/{p.total}")
            sys.stderr.flush()
        return show

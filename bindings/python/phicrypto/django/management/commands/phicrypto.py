"""manage.py phicrypto: keys and re-encryption.

    phicrypto keys init                       the keyring (if the store has none) and the first version
                                              of every encrypted field's purpose
    phicrypto keys list [PURPOSE]
    phicrypto keys rotate PURPOSE | --all     new active version (old ones still decrypt)
    phicrypto keys rewrap --to KEK            re-wrap every DEK under another KEK (no data re-encrypted)
    phicrypto keys audit --verify             check the hash chain of the key audit trail
    phicrypto reencrypt [app[.Model[.field]]] [--batch-size N] [--no-progress]
"""
from __future__ import annotations

import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from ... import _engine, conf
from ...keyring import get_keyring, reset
from ...reencrypt import Reencryptor, all_purposes, targets


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
        except (_engine.PhiCryptoError, ImproperlyConfigured, ValueError) as err:
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
        purposes = sorted({v.purpose for v in ring.engine.versions()} | set(all_purposes())) if opts["all_purposes"] else [opts["purpose"]]
        for p in purposes:
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

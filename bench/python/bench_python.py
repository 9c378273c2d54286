"""Side-by-side timings of phicrypto and Debian's python3-cryptography, in one run on one machine.

    python3 bench/python/bench_python.py [--stream-mib 512] [--phicrypt PATH] [--out FILE]

Measures: a 50-byte field encrypt and decrypt (phicrypto randomized and deterministic; cryptography
AESGCM, AESSIV, Fernet), FF1 and blind indexes per SSN (issue 14: FF1 at most 10 us through Python),
a 10,000-field batch (phicrypto in one call; cryptography in a loop), library
load + first call (fresh interpreters), and stream_encrypt of a file against the phicrypt CLI.
Figures are the best of several repeats (the machine is shared: the minimum is the least disturbed).
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import timeit

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, AESSIV

import phicrypto


def best_us(fn, number: int, repeat: int = 7) -> float:
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6


def fields() -> list[tuple[str, float, float]]:
    value = os.urandom(50)
    key = phicrypto.generate_encryption_key()
    gcm, siv, fernet = AESGCM(AESGCM.generate_key(256)), AESSIV(AESSIV.generate_key(512)), Fernet(Fernet.generate_key())
    nonce = os.urandom(12)
    rows = []
    r, d = phicrypto.encrypt(value, key), phicrypto.encrypt_deterministic(value, key)
    rows.append(("phicrypto encrypt (AES-256-GCM field)", best_us(lambda: phicrypto.encrypt(value, key), 20000),
                 best_us(lambda: phicrypto.decrypt(r, key), 20000)))
    rows.append(("phicrypto encrypt_deterministic (AES-256-SIV field)", best_us(lambda: phicrypto.encrypt_deterministic(value, key), 20000),
                 best_us(lambda: phicrypto.decrypt(d, key), 20000)))
    g = gcm.encrypt(nonce, value, None)
    rows.append(("cryptography AESGCM (fresh nonce each call)",
                 best_us(lambda: gcm.encrypt(os.urandom(12), value, None), 20000), best_us(lambda: gcm.decrypt(nonce, g, None), 20000)))
    s = siv.encrypt(value, None)
    rows.append(("cryptography AESSIV", best_us(lambda: siv.encrypt(value, None), 20000), best_us(lambda: siv.decrypt(s, None), 20000)))
    f = fernet.encrypt(value)
    rows.append(("cryptography Fernet", best_us(lambda: fernet.encrypt(value), 5000), best_us(lambda: fernet.decrypt(f), 5000)))
    return rows


def search() -> list[tuple[str, float, float]]:
    """Per SSN through a keyring-like source (derived keys cached per version): FF1 encrypt/decrypt,
    a 19-bit exact blind index, a case-insensitive name index, and 10,000 SSN indexes in one call."""
    key = phicrypto.generate_encryption_key()
    source = key.source("clinic.Patient.ssn")
    ssn = "123456789"
    ct, version = phicrypto.ff1_encrypt_versioned(source, ssn)
    rows = [("phicrypto ff1_encrypt / ff1_decrypt, SSN (9 digits) through a source",
             best_us(lambda: phicrypto.ff1_encrypt(source, ssn), 20000),
             best_us(lambda: phicrypto.ff1_decrypt(source, ct, version=version), 20000))]
    raw = phicrypto.generate_encryption_key()
    raw_ct = phicrypto.ff1_encrypt(raw, ssn)
    rows.append(("phicrypto ff1_encrypt / ff1_decrypt, SSN under a plain Key (key schedule per call)",
                 best_us(lambda: phicrypto.ff1_encrypt(raw, ssn), 20000), best_us(lambda: phicrypto.ff1_decrypt(raw, raw_ct), 20000)))
    exact = phicrypto.IndexDefinition.exact("ssn", 19)
    name = phicrypto.IndexDefinition.exact("last_name_ci", 16, case_insensitive=True)
    rows.append(("phicrypto blind_index, SSN (19 bits) / name (case-insensitive)",
                 best_us(lambda: phicrypto.blind_index(source, "123-45-6789", exact), 20000),
                 best_us(lambda: phicrypto.blind_index(source, "O'Brien-Smith", name), 20000)))
    values = [f"{i:09d}" for i in range(10_000)]
    rows.append(("phicrypto blind_index_batch, per SSN of 10,000 in one call",
                 best_us(lambda: phicrypto.blind_index_batch(source, values, exact), 5) / 10_000, float("nan")))
    return rows


def batches() -> list[tuple[str, float, float]]:
    values = [f"SSN-{i:09d}".encode() for i in range(10_000)]
    key = phicrypto.generate_encryption_key()
    gcm = AESGCM(AESGCM.generate_key(256))
    rows = []
    for deterministic in (False, True):
        envs = phicrypto.encrypt_fields(values, key, deterministic)
        rows.append((f"phicrypto encrypt_fields/decrypt_fields ({'deterministic' if deterministic else 'randomized'}, one call)",
                     best_us(lambda: phicrypto.encrypt_fields(values, key, deterministic), 5) / 1000,
                     best_us(lambda: phicrypto.decrypt_fields(envs, key), 5) / 1000))
    nonces = [os.urandom(12) for _ in values]
    cts = [gcm.encrypt(n, v, None) for n, v in zip(nonces, values)]
    rows.append(("cryptography AESGCM loop",
                 best_us(lambda: [gcm.encrypt(os.urandom(12), v, None) for v in values], 3) / 1000,
                 best_us(lambda: [gcm.decrypt(n, c, None) for n, c in zip(nonces, cts)], 3) / 1000))
    return rows


def first_call_ms(runs: int = 7) -> tuple[float, float]:
    """Fresh interpreter: time of `import phicrypto` + generate key + one encrypt, and of the
    same with cryptography's AESGCM; medians in ms (measured inside the child, interpreter start excluded)."""
    code = ("import time; t=time.perf_counter(); {body}; print((time.perf_counter()-t)*1000)")
    ours = code.format(body="import phicrypto; k=phicrypto.generate_encryption_key(); phicrypto.encrypt(b'x'*50, k)")
    theirs = code.format(body="import os; from cryptography.hazmat.primitives.ciphers.aead import AESGCM; "
                              "AESGCM(AESGCM.generate_key(256)).encrypt(os.urandom(12), b'x'*50, None)")
    def median(src: str) -> float:
        return statistics.median(float(subprocess.run([sys.executable, "-c", src], check=True, capture_output=True, text=True).stdout)
                                 for _ in range(runs))
    return median(ours), median(theirs)


def streams(mib: int, phicrypt: str | None) -> list[tuple[str, float]]:
    key = phicrypto.generate_encryption_key()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "in.bin"), os.path.join(tmp, "out.bin")
        block = os.urandom(1 << 20)
        with open(src, "wb") as f:
            for _ in range(mib):
                f.write(block)
        def encrypt_file() -> None:
            with open(src, "rb") as i, open(dst, "wb") as o:
                phicrypto.stream_encrypt(i, o, key)
        encrypt_file()
        t = min(timeit.repeat(encrypt_file, number=1, repeat=3))
        rows.append((f"phicrypto.stream_encrypt {mib} MiB", mib / t))
        def decrypt_file() -> None:
            with open(dst, "rb") as i, open(src, "wb") as o:
                phicrypto.stream_decrypt(i, o, key)
        t = min(timeit.repeat(decrypt_file, number=1, repeat=3))
        rows.append((f"phicrypto.stream_decrypt {mib} MiB", mib / t))
        gcm = AESGCM(AESGCM.generate_key(256))
        def python_loop() -> None:
            with open(src, "rb") as i, open(dst, "wb") as o:
                for chunk in iter(lambda: i.read(65536), b""):
                    o.write(gcm.encrypt(os.urandom(12), chunk, None))
        t = min(timeit.repeat(python_loop, number=1, repeat=3))
        rows.append((f"cryptography AESGCM loop, 64 KiB chunks, {mib} MiB", mib / t))
        if phicrypt:
            key_file = os.path.join(tmp, "key")
            with open(key_file, "wb") as f:
                f.write(os.urandom(32))
            def cli() -> None:
                subprocess.run([phicrypt, "encrypt", src, "-o", dst, "--key-file", key_file], check=True, capture_output=True)
            try:
                cli()
                t = min(timeit.repeat(cli, number=1, repeat=3))
                rows.append((f"phicrypt encrypt (CLI) {mib} MiB", mib / t))
            except subprocess.CalledProcessError as e:
                rows.append((f"phicrypt encrypt (CLI) failed: {e.stderr.decode(errors='replace').strip()[:80]}", float("nan")))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stream-mib", type=int, default=512)
    parser.add_argument("--phicrypt", default=shutil.which("phicrypt"))
    parser.add_argument("--out")
    args = parser.parse_args()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"# phicrypto vs cryptography, {now}", "",
             f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, load average "
             f"{os.getloadavg()[0]:.1f}; phicrypto {phicrypto.__version__}, best of repeats", "",
             "| 50-byte field | encrypt (us) | decrypt (us) |", "|---|---:|---:|"]
    lines += [f"| {n} | {e:.2f} | {d:.2f} |" for n, e, d in fields()]
    lines += ["", "| search, per SSN | first (us) | second (us) |", "|---|---:|---:|"]
    lines += [f"| {n} | {e:.2f} | {'' if d != d else f'{d:.2f}'} |" for n, e, d in search()]
    lines += ["", "| 10,000 fields | encrypt (ms) | decrypt (ms) |", "|---|---:|---:|"]
    lines += [f"| {n} | {e:.2f} | {d:.2f} |" for n, e, d in batches()]
    ours, theirs = first_call_ms()
    lines += ["", "| library load + first call (fresh interpreter, median) | ms |", "|---|---:|",
              f"| import phicrypto + key + encrypt | {ours:.1f} |", f"| import cryptography AESGCM + encrypt | {theirs:.1f} |"]
    if args.stream_mib > 0:
        lines += ["", "| stream | MB/s |", "|---|---:|"]
        lines += [f"| {n} | {v:.0f} |" for n, v in streams(args.stream_mib, args.phicrypt)]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()

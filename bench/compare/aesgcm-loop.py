#!/usr/bin/python3
# python3 aesgcm-loop.py encrypt|decrypt KEYFILE IN OUT: a plain loop over pyca/cryptography's AESGCM in
# 64 KiB chunks (nonce = chunk counter, tag appended): the floor a hand-rolled Python script reaches.
# Not a message format: no header, no key wrapping, no truncation protection.
import sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

CHUNK = 65536
mode, key_file, src, dst = sys.argv[1:5]
aead = AESGCM(open(key_file, "rb").read())
step = CHUNK if mode == "encrypt" else CHUNK + 16
with open(src, "rb", buffering=1 << 20) as fin, open(dst, "wb", buffering=1 << 20) as fout:
    counter = 0
    while True:
        chunk = fin.read(step)
        if not chunk:
            break
        nonce = counter.to_bytes(12, "big")
        fout.write(aead.encrypt(nonce, chunk, None) if mode == "encrypt" else aead.decrypt(nonce, chunk, None))
        counter += 1

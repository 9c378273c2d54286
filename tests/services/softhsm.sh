#!/usr/bin/env bash
# A throwaway SoftHSM2 token with an AES-256 key-encryption key, for PKCS#11 tests.
#   tests/services/softhsm.sh start DIR  -> creates DIR/softhsm2.conf, a token "phicrypto-test" and a
#        non-extractable AES-256 object "phicrypto-kek" (CKA_WRAP/UNWRAP), the user PIN in DIR/pin (0600),
#        and prints two lines (also in DIR/env):
#          SOFTHSM2_CONF=DIR/softhsm2.conf
#          PHICRYPTO_PKCS11_URI=pkcs11:token=phicrypto-test;object=phicrypto-kek?module-path=...&pin-source=file:DIR/pin
#   tests/services/softhsm.sh stop DIR   -> removes DIR (the token lives only there)
# Needs softhsm2 and opensc (pkcs11-tool).
set -euo pipefail

cmd=${1:-}; dir=${2:-}
[[ -n "$cmd" && -n "$dir" ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
module=${SOFTHSM2_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
label=${SOFTHSM_TOKEN_LABEL:-phicrypto-test}
object=${SOFTHSM_KEY_LABEL:-phicrypto-kek}

start() {
  command -v softhsm2-util >/dev/null || { echo "softhsm.sh: softhsm2-util not found (install softhsm2)" >&2; exit 3; }
  command -v pkcs11-tool >/dev/null || { echo "softhsm.sh: pkcs11-tool not found (install opensc)" >&2; exit 3; }
  mkdir -p "$dir/tokens"
  dir=$(cd "$dir" && pwd)
  chmod 700 "$dir"
  printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' "$dir" > "$dir/softhsm2.conf"
  export SOFTHSM2_CONF="$dir/softhsm2.conf"
  local pin so_pin
  pin=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
  so_pin=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
  (umask 077; printf '%s' "$pin" > "$dir/pin")
  softhsm2-util --init-token --free --label "$label" --pin "$pin" --so-pin "$so_pin" >"$dir/init.log" 2>&1 \
    || { cat "$dir/init.log" >&2; exit 1; }
  pkcs11-tool --module "$module" --token-label "$label" --login --pin "$pin" \
    --keygen --key-type AES:32 --label "$object" --id 01 --usage-wrap --sensitive >"$dir/keygen.log" 2>&1 \
    || { cat "$dir/keygen.log" >&2; exit 1; }
  {
    echo "SOFTHSM2_CONF=$dir/softhsm2.conf"
    echo "PHICRYPTO_PKCS11_URI=pkcs11:token=$label;object=$object?module-path=$module&pin-source=file:$dir/pin"
  } | tee "$dir/env"
}

stop() {
  rm -rf "$dir"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Side-by-side on one 512 MiB file, one run each, this machine, now:
#   phicrypt encrypt/decrypt (suite 0x0478, 64 KiB frames, parallel workers) to /dev/null,
#   age 1.1 (X25519 recipient), the AWS Encryption SDK for JavaScript (same message format),
#   a Python loop over cryptography's AESGCM (64 KiB chunks), and `openssl speed -evp aes-256-gcm -multi 2`
#   as the ceiling. Also a random 4 KiB read from a 500 MB message (phicrypt decrypt --range, whole process).
# Prints wall time, MB/s (10^6 bytes/s) and peak RSS (GNU time %M). Needs: age, node + tests/interop-js
# (npm ci), /usr/bin/python3 with python3-cryptography, GNU time, openssl.
# Usage: bench/compare/compare.sh [PHICRYPT]   (default: artifacts/bin/phicrypt, the NativeAOT build)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
phicrypt=${1:-$root/artifacts/bin/phicrypt}
[ -x "$phicrypt" ] || { echo "phicrypt not found at $phicrypt (run ./build.sh --target Publish)"; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/phicrypt-compare.XXXXXX")
trap 'rm -rf "$work"' EXIT
size=$((512 * 1024 * 1024))

head -c "$size" /dev/urandom > "$work/plain"
head -c 32 /dev/urandom > "$work/key"
if [ ! -d "$root/tests/interop-js/node_modules" ]; then (cd "$root/tests/interop-js" && npm ci --no-audit --no-fund >/dev/null); fi
age-keygen -o "$work/age.key" 2>/dev/null
recipient=$(age-keygen -y "$work/age.key")

# Prepare ciphertexts for the decrypt runs (not timed).
"$phicrypt" encrypt "$work/plain" -o "$work/plain.phi" --key-file "$work/key"
age -r "$recipient" -o "$work/plain.age" "$work/plain"
/usr/bin/python3 "$here/aesgcm-loop.py" encrypt "$work/key" "$work/plain" "$work/plain.py"
cat "$work/plain" > /dev/null   # warm the page cache

printf '%s, %s, %s\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc) CPUs" "load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-40s %9s %10s %10s\n' "run (512 MiB)" "seconds" "MB/s" "peak RSS"
measure() {
  local name=$1; shift
  /usr/bin/time -o "$work/time" -f '%e %M' "$@" >/dev/null 2>"$work/stderr" || { echo "$name failed: $(cat "$work/stderr")"; return; }
  local out secs kb
  out=$(tail -1 "$work/time"); secs=${out% *}; kb=${out#* }
  printf '%-40s %9s %10.0f %8d MB\n' "$name" "$secs" "$(echo "$size / $secs / 1000000" | bc -l)" "$((kb / 1024))"
}
measure "phicrypt encrypt"            "$phicrypt" encrypt "$work/plain" -o - --key-file "$work/key"
measure "phicrypt decrypt"            "$phicrypt" decrypt "$work/plain.phi" -o - --key-file "$work/key"
measure "age encrypt"                 age -r "$recipient" -o /dev/null "$work/plain"
measure "age decrypt"                 age -d -i "$work/age.key" -o /dev/null "$work/plain.age"
measure "AWS ESDK JS encrypt"         node "$here/esdk-js.js" encrypt "$work/key" "$work/plain" /dev/null
measure "AWS ESDK JS decrypt"         node "$here/esdk-js.js" decrypt "$work/key" "$work/plain.phi" /dev/null
measure "python AESGCM loop encrypt"  /usr/bin/python3 "$here/aesgcm-loop.py" encrypt "$work/key" "$work/plain" /dev/null
measure "python AESGCM loop decrypt"  /usr/bin/python3 "$here/aesgcm-loop.py" decrypt "$work/key" "$work/plain.py" /dev/null

start=$(( (RANDOM * 32768 + RANDOM) % (500000000 - 4096) ))
t0=$(date +%s%N)
"$phicrypt" decrypt "$work/plain.phi" -o - --key-file "$work/key" --range "$start-$((start + 4095))" > /dev/null
t1=$(date +%s%N)
printf '%-40s %9.2f ms (whole process: start, header, key unwrap, final frame, one frame)\n' "random 4 KiB read (--range)" "$(echo "($t1 - $t0) / 1000000" | bc -l)"

echo "openssl speed -evp aes-256-gcm -multi 2 (ceiling):"
openssl speed -evp aes-256-gcm -multi 2 -seconds 2 2>/dev/null | grep -E '^(type|evp|AES-256-GCM)'

#!/usr/bin/env bash
# Side-by-side on one 512 MiB file, this machine, now, to /dev/null:
#   phicrypt encrypt/decrypt (suite 0x0478, 64 KiB frames, parallel workers; also with --workers 1),
#   age 1.1 (X25519 recipient), alternated with phicrypt for ROUNDS rounds (default 3: the machine is shared,
#   so the best of each is reported, and every round's pair is printed); once each: the AWS Encryption SDK
#   for JavaScript (same message format) and a Python loop over cryptography's AESGCM (64 KiB chunks).
#   The cipher's own cost: `openssl speed -evp aes-256-gcm -bytes 65536` on one core gives the CPU seconds
#   AES-256-GCM needs for the same bytes ("implied"); phicrypt's user CPU is compared with it.
#   Also a random 4 KiB read from the message (phicrypt decrypt --range, whole process).
# Prints wall, MB/s (10^6 bytes/s), user and system CPU seconds and peak RSS (GNU time), then the goals.
# Needs: age, node + tests/interop-js (npm ci), /usr/bin/python3 with python3-cryptography, GNU time, openssl.
# Usage: [ROUNDS=n] [BASELINE=/other/phicrypt] bench/compare/compare.sh [PHICRYPT]
#   (default artifacts/bin/phicrypt, the NativeAOT build; BASELINE adds its rows, e.g. main's build)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
phicrypt=${1:-$root/artifacts/bin/phicrypt}
baseline=${BASELINE:-}
rounds=${ROUNDS:-3}
[ -x "$phicrypt" ] || { echo "phicrypt not found at $phicrypt (run ./build.sh --target Publish)"; exit 1; }
[ -z "$baseline" ] || [ -x "$baseline" ] || { echo "BASELINE phicrypt not found at $baseline"; exit 1; }
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
cat "$work/plain" "$work/plain.phi" "$work/plain.age" > /dev/null   # warm the page cache

# The cipher alone: one core, 64 KiB blocks. openssl prints thousands of bytes per second.
rate=$(openssl speed -evp aes-256-gcm -bytes 65536 -seconds 3 2>/dev/null | awk '/^AES-256-GCM/ { sub(/k$/, "", $2); printf "%.0f\n", $2 * 1000 }')
implied=$(echo "$size / $rate" | bc -l)

declare -A wall user sys rss
order=()
measure() {   # name command...: runs once; keeps the run with the least wall time per name
  local name=$1; shift
  /usr/bin/time -o "$work/time" -f '%e %U %S %M' "$@" >/dev/null 2>"$work/stderr" || { echo "$name failed: $(cat "$work/stderr")"; return; }
  local e u s m
  read -r e u s m < <(tail -1 "$work/time")
  last=$e
  if [ -z "${wall[$name]:-}" ]; then order+=("$name"); fi
  if [ -z "${wall[$name]:-}" ] || (( $(echo "$e < ${wall[$name]}" | bc) )); then wall[$name]=$e; user[$name]=$u; sys[$name]=$s; rss[$name]=$((m / 1024)); fi
}
p=$phicrypt; k=$work/key; w=$work
printf '%s, %s, %s\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc) CPUs" "load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "rounds (wall seconds): phicrypt enc / age enc / phicrypt dec / age dec"
for ((r = 1; r <= rounds; r++)); do
  measure "phicrypt encrypt"              "$p" encrypt "$w/plain" -o - --key-file "$k";                 pe=$last
  measure "age encrypt"                   age -r "$recipient" -o /dev/null "$w/plain";                   ae=$last
  measure "phicrypt decrypt"              "$p" decrypt "$w/plain.phi" -o - --key-file "$k";             pd=$last
  measure "age decrypt"                   age -d -i "$w/age.key" -o /dev/null "$w/plain.age";             ad=$last
  measure "phicrypt encrypt, 1 worker"    "$p" encrypt "$w/plain" -o - --key-file "$k" --workers 1
  measure "phicrypt decrypt, 1 worker"    "$p" decrypt "$w/plain.phi" -o - --key-file "$k" --workers 1
  if [ -n "$baseline" ]; then
    measure "baseline encrypt"            "$baseline" encrypt "$w/plain" -o - --key-file "$k"
    measure "baseline decrypt"            "$baseline" decrypt "$w/plain.phi" -o - --key-file "$k"
  fi
  printf '  round %d: %s / %s / %s / %s   (load %s)\n' "$r" "$pe" "$ae" "$pd" "$ad" "$(cut -d' ' -f1 /proc/loadavg)"
done
measure "AWS ESDK JS encrypt"             node "$here/esdk-js.js" encrypt "$k" "$w/plain" /dev/null
measure "AWS ESDK JS decrypt"             node "$here/esdk-js.js" decrypt "$k" "$w/plain.phi" /dev/null
measure "python AESGCM loop encrypt"      /usr/bin/python3 "$here/aesgcm-loop.py" encrypt "$k" "$w/plain" /dev/null
measure "python AESGCM loop decrypt"      /usr/bin/python3 "$here/aesgcm-loop.py" decrypt "$k" "$w/plain.py" /dev/null

printf '\n%-34s %7s %7s %7s %7s %9s\n' "run (512 MiB, best wall)" "wall s" "MB/s" "user s" "sys s" "peak RSS"
for name in "${order[@]}"; do
  printf '%-34s %7.2f %7.0f %7.2f %7.2f %6d MB\n' "$name" "${wall[$name]}" "$(echo "$size / ${wall[$name]} / 1000000" | bc -l)" \
    "${user[$name]}" "${sys[$name]}" "${rss[$name]}"
done
printf '%-34s %7s %7.0f %7.2f   (AES-256-GCM alone, one core, 64 KiB blocks)\n' "openssl speed (implied)" "" "$(echo "$rate / 1000000" | bc -l)" "$implied"

ratio() { echo "$1 / $2" | bc -l; }
goal() { printf '  %-58s %5.2f  (goal %s %s)\n' "$1" "$2" "$3" "$4"; }
echo "goals (from the best runs above):"
goal "encrypt throughput, phicrypt / age"            "$(ratio "${wall[age encrypt]}" "${wall[phicrypt encrypt]}")" ">=" 2.5
goal "decrypt throughput, phicrypt / age"            "$(ratio "${wall[age decrypt]}" "${wall[phicrypt decrypt]}")" ">=" 2.5
goal "encrypt user CPU / openssl-implied CPU"        "$(ratio "${user[phicrypt encrypt]}" "$implied")" "<=" 1.5
goal "decrypt user CPU / openssl-implied CPU"        "$(ratio "${user[phicrypt decrypt]}" "$implied")" "<=" 1.5
re=${rss[phicrypt encrypt]}; rd=${rss[phicrypt decrypt]}
printf '  %-58s %5d  (goal <= 64 MB)\n' "peak RSS of phicrypt, MB" "$(( re > rd ? re : rd ))"

start=$(( (RANDOM * 32768 + RANDOM) % (500000000 - 4096) ))
t0=$(date +%s%N)
"$phicrypt" decrypt "$work/plain.phi" -o - --key-file "$work/key" --range "$start-$((start + 4095))" > /dev/null
t1=$(date +%s%N)
printf '%-34s %7.2f ms (whole process: start, header, key unwrap, final frame, one frame)\n' "random 4 KiB read (--range)" "$(echo "($t1 - $t0) / 1000000" | bc -l)"

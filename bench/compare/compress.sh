#!/usr/bin/env bash
# Compressed messages side by side, one run each, this machine, now, on a compressible ~100 MB sample
# (synthetic clinical JSON lines: repeated keys, codes and identifiers, like an export of records):
#   phicrypt encrypt --compress zstd (ZstdSharp level 3, 1 MiB seekable frames, then the parallel pipeline)
#   zstd -3 -T0 alone (the reference codec, native, all cores) and zstd -3 -T0 | phicrypt encrypt
#   phicrypt encrypt without compression, and the decrypt side of each; a random 4 KiB --range read.
# Prints seconds, MB/s of uncompressed input (10^6 bytes/s), output size and ratio, peak RSS.
# Usage: bench/compare/compress.sh [PHICRYPT]   (default: artifacts/bin/phicrypt, the NativeAOT build)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
phicrypt=${1:-$root/artifacts/bin/phicrypt}
[ -x "$phicrypt" ] || { echo "phicrypt not found at $phicrypt (run ./build.sh --target Publish)"; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/phicrypt-compress.XXXXXX")
trap 'rm -rf "$work"' EXIT

/usr/bin/python3 - "$work/plain" <<'PY'
import random, sys
rng = random.Random(1)
codes = [f"{c}{n:02d}.{d}" for c in "EIJKM" for n in range(100) for d in range(10)]
with open(sys.argv[1], "w") as f:
    written = 0
    while written < 100_000_000:
        line = ('{"mrn":"%08d","encounter":"%s-%06d","dx":"%s","ts":"2026-%02d-%02dT%02d:%02d:00Z","note":"%s"}\n'
                % (rng.randrange(10**7), rng.choice("ABC"), rng.randrange(10**6), rng.choice(codes), rng.randrange(1, 13),
                   rng.randrange(1, 29), rng.randrange(24), rng.randrange(60),
                   rng.choice(["follow-up in 2 weeks", "no acute distress", "labs pending", "refill approved"])))
        written += f.write(line)
PY
size=$(stat -c %s "$work/plain")
head -c 32 /dev/urandom > "$work/key"
"$phicrypt" encrypt "$work/plain" -o "$work/c.phi" --key-file "$work/key" --compress zstd
zstd -q -3 -T0 -c "$work/plain" > "$work/plain.zst"
"$phicrypt" encrypt "$work/plain" -o "$work/p.phi" --key-file "$work/key"
cat "$work/plain" > /dev/null

printf '%s, %s, %s, sample %d bytes\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc) CPUs" "load $(cut -d' ' -f1-3 /proc/loadavg)" "$size"
printf '%-44s %8s %8s %12s %7s %9s\n' "run" "seconds" "MB/s" "output" "ratio" "peak RSS"
measure() {
  local name=$1 out=$2; shift 2
  /usr/bin/time -o "$work/time" -f '%e %M' sh -c "$*" >/dev/null 2>"$work/stderr" || { echo "$name failed: $(cat "$work/stderr")"; return; }
  local t secs kb bytes
  t=$(tail -1 "$work/time"); secs=${t% *}; kb=${t#* }
  bytes=$( [ -f "$out" ] && stat -c %s "$out" || echo 0)
  printf '%-44s %8s %8.0f %12d %7.2f %6d MB\n' "$name" "$secs" "$(echo "$size / $secs / 1000000" | bc -l)" "$bytes" \
    "$(echo "if ($bytes > 0) $size / $bytes else 0" | bc -l)" "$((kb / 1024))"
}
p=$phicrypt; k=$work/key; w=$work
measure "phicrypt encrypt --compress zstd"        "$w/o1" "'$p' encrypt '$w/plain' -o '$w/o1' --key-file '$k' --compress zstd"
measure "zstd -3 -T0 (no encryption)"             "$w/o2" "zstd -q -3 -T0 -c '$w/plain' > '$w/o2'"
measure "zstd -3 -T0 | phicrypt encrypt"          "$w/o3" "zstd -q -3 -T0 -c '$w/plain' | '$p' encrypt - -o '$w/o3' --key-file '$k'"
measure "phicrypt encrypt (no compression)"       "$w/o4" "'$p' encrypt '$w/plain' -o '$w/o4' --key-file '$k'"
measure "phicrypt decrypt (decompressing)"        ""      "'$p' decrypt '$w/c.phi' -o - --key-file '$k'"
measure "zstd -d (no encryption)"                 ""      "zstd -q -d -c '$w/plain.zst'"
measure "phicrypt decrypt (no compression)"       ""      "'$p' decrypt '$w/p.phi' -o - --key-file '$k'"
start=$(( (RANDOM * 32768 + RANDOM) % (size - 4096) ))
measure "random 4 KiB --range, compressed message" "" "'$p' decrypt '$w/c.phi' -o - --key-file '$k' --range $start-$((start + 4095))"

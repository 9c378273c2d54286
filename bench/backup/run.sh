#!/usr/bin/env bash
# Side by side, in one run, on a throwaway PostgreSQL 15 holding >= 1 GB in four tables:
#   1. pg_dump --format=custom --compress=0 > /dev/null, and > FILE   (what the backup runs)
#   2. pg_dump --format=directory --jobs=N --compress=0 -f DIR          (what backup --jobs N runs)
#   3. phicrypt backup -o FILE (zstd, in process), and --compress none  wall time vs 1. (> FILE)
#   4. phicrypt backup --jobs N -o DIR/ (zstd), and --compress none     wall time vs 2.
#   5. encryption stage alone: phicrypt backup --stdin --compress none < dump (in page cache) -> tmpfs
#   6. decryption stage alone: phicrypt verify of 5.'s output (decrypt + count, no zstd, no restore)
#   7. verify of 3.'s zstd backup and of 4.'s (decrypt + in-process zstd -d)
# Usage: bench/backup/run.sh [PHICRYPT] [GB] [N]   (default: the Release build, 1.25 GB of rows, N=2).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"; REPO="$(cd "$HERE/../.." && pwd)"
PHICRYPT="${1:-$REPO/src/PhiCrypto.Cli/bin/Release/net10.0/phicrypt}"
GB="${2:-1.25}"
JOBS="${3:-2}"
PGBIN=/usr/lib/postgresql/15/bin
WORK="$(mktemp -d /var/tmp/phicrypt-bench-XXXXXX)"; SHM="$(mktemp -d /dev/shm/phicrypt-bench-XXXXXX)"
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() { as_pg $PGBIN/pg_ctl -D "$WORK/pg" -m immediate -w stop >/dev/null 2>&1 || true; rm -rf "$WORK" "$SHM"; }
trap cleanup EXIT
[ "$(id -u)" = 0 ] && chown postgres "$WORK"
as_pg $PGBIN/initdb -D "$WORK/pg" -A trust -U postgres --no-sync >/dev/null
as_pg $PGBIN/pg_ctl -D "$WORK/pg" -l "$WORK/pg/log" -w -o "-p $PORT -k $WORK -c listen_addresses=127.0.0.1 -c fsync=off -c max_wal_size=4GB" start >/dev/null
PSQL="psql -X -q -At -h 127.0.0.1 -p $PORT -U postgres"
CONN="host=127.0.0.1 port=$PORT user=postgres dbname=clinic"
$PSQL -d postgres -c "CREATE DATABASE clinic"
ROWS=$(/usr/bin/python3 -c "print(int($GB * 1024**3 / 330 / 4))")
# Rows shaped like clinical records: ids, dates, short text, a JSON document, a binary digest; four tables
# of equal size (a directory dump is one file per table, so --jobs has four to share out).
for T in encounter_a encounter_b encounter_c encounter_d; do
$PSQL -d clinic -c "CREATE UNLOGGED TABLE $T (id bigint, patient int, at timestamptz, code text, note text, doc jsonb, digest bytea);
  INSERT INTO $T SELECT g, g % 5000000, now() - (g % 100000) * interval '1 minute', 'ICD-' || (g % 9973),
    md5(g::text || '$T') || ' ' || md5((g * 7)::text) || ' follow-up in ' || (g % 30) || ' days',
    jsonb_build_object('bp', 100 + g % 60, 'hr', 50 + g % 70, 'ref', md5((g * 3)::text)),
    sha256(g::text::bytea) FROM generate_series(1, $ROWS) g;" &
done
wait
SIZE=$($PSQL -d clinic -c "SELECT pg_database_size('clinic')")
KEY="$WORK/rec"; openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$KEY.pem" 2>/dev/null
openssl pkey -in "$KEY.pem" -pubout -out "$KEY.pub.pem"
# Backups are signed with a keyring's backup-signing key; verify checks against its exported public half.
export PHICRYPTO_KEYRING="$WORK/keyring.json" PHICRYPTO_MASTER_KEY=$(openssl rand -base64 32)
"$PHICRYPT" keys init --purpose backups --purpose backup-signing >/dev/null
"$PHICRYPT" keys signing-key -o "$WORK/verify.pub.pem" >/dev/null
DR="--recovery-key $KEY.pem --verify-key $WORK/verify.pub.pem"

t() { /usr/bin/time -f "%e %M %U %S" -o "$WORK/time" "$@"; read -r WALL RSS U S < "$WORK/time"; CPU=$(/usr/bin/python3 -c "print(f'{$U+$S:.1f}')"); }
gbs() { /usr/bin/python3 -c "print(f'{$1 / $2 / 1e9:.2f}')"; }

pg_dump --format=custom --compress=0 "--dbname=$CONN" > "$SHM/dump" # warm caches, and the stage input
DUMP=$(stat -c %s "$SHM/dump")
t sh -c "pg_dump --format=custom --compress=0 '--dbname=$CONN' > /dev/null"; PGD=$WALL; PGD_RSS=$RSS; PGD_CPU=$CPU
t sh -c "pg_dump --format=custom --compress=0 '--dbname=$CONN' > '$WORK/plain.dump'"; PGF=$WALL; PGF_RSS=$RSS; PGF_CPU=$CPU; rm -f "$WORK/plain.dump"
t pg_dump --format=directory --jobs=$JOBS --compress=0 -f "$WORK/plain.dir" "--dbname=$CONN"; PGJ=$WALL; PGJ_RSS=$RSS; PGJ_CPU=$CPU; rm -rf "$WORK/plain.dir"
t "$PHICRYPT" backup --pg "$CONN" -o "$WORK/b-zstd.phi" --recovery-key "$KEY.pub.pem"; BZ=$WALL; BZ_RSS=$RSS; BZ_CPU=$CPU
t "$PHICRYPT" backup --pg "$CONN" -o "$WORK/b-none.phi" --compress none --recovery-key "$KEY.pub.pem"; BN=$WALL; BN_RSS=$RSS; BN_CPU=$CPU
t "$PHICRYPT" backup --jobs $JOBS --temp-dir "$WORK" --pg "$CONN" -o "$WORK/j-zstd/" --recovery-key "$KEY.pub.pem"; JZ=$WALL; JZ_RSS=$RSS; JZ_CPU=$CPU
t "$PHICRYPT" backup --jobs $JOBS --temp-dir "$WORK" --pg "$CONN" -o "$WORK/j-none/" --compress none --recovery-key "$KEY.pub.pem"; JN=$WALL; JN_RSS=$RSS; JN_CPU=$CPU
t sh -c "'$PHICRYPT' backup --stdin --compress none -o '$SHM/enc.phi' --recovery-key '$KEY.pub.pem' < '$SHM/dump'"; ENC=$WALL; ENC_RSS=$RSS; ENC_CPU=$CPU
t "$PHICRYPT" verify "$SHM/enc.phi" $DR >/dev/null; DEC=$WALL; DEC_RSS=$RSS; DEC_CPU=$CPU
t "$PHICRYPT" verify "$WORK/b-zstd.phi" $DR >/dev/null; VZ=$WALL; VZ_RSS=$RSS; VZ_CPU=$CPU
t "$PHICRYPT" verify "$WORK/j-zstd/" --jobs $JOBS $DR >/dev/null; VJ=$WALL; VJ_RSS=$RSS; VJ_CPU=$CPU

echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  host: $(nproc) cores, $(uname -r)  load: $(cut -d' ' -f1-3 /proc/loadavg)  N=$JOBS"
echo "database: $SIZE bytes ($ROWS rows x 4 tables); custom dump (uncompressed): $DUMP bytes; zstd backup: $(stat -c %s "$WORK/b-zstd.phi") bytes; zstd --jobs backup: $(du -sb "$WORK/j-zstd" | cut -f1) bytes"
printf "%-56s %7s %9s %8s %10s %8s\n" step "wall s" "GB/s" "CPU s" "GB/CPU-s" "max RSS"
row() { printf "%-56s %7s %9s %8s %10s %7sM %s\n" "$1" "$2" "$(gbs $DUMP $2)" "$3" "$(gbs $DUMP $3)" $(($4/1024)) "${5:-}"; }
ratio() { /usr/bin/python3 -c "print(f'x{$1/$2:.2f} of $3')"; }
row "pg_dump -Fc -Z0 > /dev/null" $PGD $PGD_CPU $PGD_RSS
row "pg_dump -Fc -Z0 > FILE" $PGF $PGF_CPU $PGF_RSS
row "pg_dump -Fd -Z0 -j $JOBS -f DIR" $PGJ $PGJ_CPU $PGJ_RSS
row "phicrypt backup -o FILE (zstd, in process)" $BZ $BZ_CPU $BZ_RSS "$(ratio $BZ $PGF 'pg_dump > FILE')"
row "phicrypt backup -o FILE --compress none" $BN $BN_CPU $BN_RSS "$(ratio $BN $PGF 'pg_dump > FILE')"
row "phicrypt backup --jobs $JOBS -o DIR/ (zstd)" $JZ $JZ_CPU $JZ_RSS "$(ratio $JZ $PGJ 'pg_dump -Fd')"
row "phicrypt backup --jobs $JOBS -o DIR/ --compress none" $JN $JN_CPU $JN_RSS "$(ratio $JN $PGJ 'pg_dump -Fd')"
row "encryption stage alone (dump tmpfs -> tmpfs)" $ENC $ENC_CPU $ENC_RSS
row "decryption stage alone (verify, tmpfs, no zstd)" $DEC $DEC_CPU $DEC_RSS
row "verify of the zstd backup (decrypt + zstd -d)" $VZ $VZ_CPU $VZ_RSS
row "verify --jobs $JOBS of the zstd --jobs backup" $VJ $VJ_CPU $VJ_RSS
echo "GB/CPU-s: dump bytes per CPU-second (user+sys of all processes): what one idle core would do"

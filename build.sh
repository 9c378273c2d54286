#!/usr/bin/env bash
# Bootstrap: install the system packages the chosen target needs (when missing), the local dotnet
# tools, then hand over to Cake (build.cake). Usage: ./build.sh --target=Test|Demo|Build|Bench|Publish|Wheel|Fuzz
set -euo pipefail
cd "$(dirname "$0")"

target=Build
for arg in "$@"; do
  case "$arg" in --target=*) target="${arg#--target=}" ;; esac
done

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

# Debian packages per target. Python packages come from Debian (PyPI is not reachable here).
# libicu72: ICU for case-insensitive blind indexes in libphicrypto.so (docs/search.md); libpq5: the
# PostgreSQL key store talks to the server through libpq (fork-safe, docs/key-management.md)
base_pkgs=(ca-certificates git gcc libicu72 libpq5)
test_pkgs=(cmake valgrind python3-venv python3-cffi python3-pytest python3-pytest-django python3-psycopg2 python3-djangorestframework python3-gunicorn gunicorn
  python3-cryptography python3-boto3 python3-psutil python3-hypothesis python3-setuptools python3-wheel
  python3-build postgresql-15 softhsm2 opensc zstd
  swift swift-proxy swift-account swift-container swift-object python3-swift memcached
  clang-16 libfuzzer-16-dev)
fuzz_pkgs=(clang-16 libfuzzer-16-dev)
bench_pkgs=(age hyperfine openssl pv zstd bc time python3-cryptography python3-psutil postgresql-15)
backports_pkgs=(python3-django)

case "$target" in
  Test|Wheel|Publish|Bench) pkgs=("${base_pkgs[@]}" "${test_pkgs[@]}") ;;
  Fuzz) pkgs=("${base_pkgs[@]}" "${fuzz_pkgs[@]}") ;;
  *) pkgs=("${base_pkgs[@]}") ;;
esac
[ "$target" = Bench ] && pkgs+=("${bench_pkgs[@]}")

# Node.js: the machine's own (NodeSource, with npm inside) when present, else Debian's.
case "$target" in Test|Bench) command -v npm >/dev/null || pkgs+=(nodejs npm) ;; esac

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
need_backports=0
case "$target" in Test|Publish|Wheel|Bench)
  for p in "${backports_pkgs[@]}"; do
    v=$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || true)
    case "$v" in 4.*|5.*) ;; *) need_backports=1 ;; esac
  done ;;
esac

if [ ${#missing[@]} -gt 0 ] || [ $need_backports -eq 1 ]; then
  export DEBIAN_FRONTEND=noninteractive
  if [ $need_backports -eq 1 ] && ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo 'deb http://deb.debian.org/debian bookworm-backports main' | "${sudo_cmd[@]}" tee /etc/apt/sources.list.d/backports.list >/dev/null
  fi
  "${sudo_cmd[@]}" apt-get update -qq
  [ ${#missing[@]} -eq 0 ] || "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ $need_backports -eq 0 ] || "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends -t bookworm-backports "${backports_pkgs[@]}" >/dev/null
fi

command -v dotnet >/dev/null || { echo "build.sh: the .NET 10 SDK (dotnet) is needed and is not on PATH" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet tool restore >/dev/null
rm -f artifacts/test-results/summary.txt
rc=0
dotnet cake build.cake "$@" || rc=$?
# The closing line sums every suite that ran; Cake's own task report would otherwise follow it.
[ ! -f artifacts/test-results/summary.txt ] || tail -n 1 artifacts/test-results/summary.txt
exit $rc

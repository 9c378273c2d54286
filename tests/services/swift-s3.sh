#!/usr/bin/env bash
# A throwaway OpenStack Swift with the S3 API (s3api + tempauth) on 127.0.0.1, for tests.
#
#   swift-s3.sh start DIR   set up DIR, start account/container/object/proxy servers, wait until S3
#                           answers, then print shell exports (also written to DIR/env.sh, DIR/swift.json):
#                             S3_ENDPOINT_URL AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_DEFAULT_REGION
#   swift-s3.sh stop DIR    stop the servers started in DIR (DIR itself is left for the caller)
#
# Needs the Debian packages swift swift-proxy swift-account swift-container swift-object
# python3-swift python3-boto3 memcached; Debian's /usr/bin/python3 (not a pyenv one) runs the servers.
set -euo pipefail

PY=/usr/bin/python3
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
HELPER="$HERE/swift/swiftlocal.py"
SERVERS="account container object proxy"
PIDS="memcached $SERVERS"

die() { echo "swift-s3.sh: $*" >&2; exit 1; }

stop() {
    local dir="$1" name pid
    for name in $PIDS; do
        [ -f "$dir/run/$name.pid" ] || continue
        pid="$(cat "$dir/run/$name.pid")"
        kill "$pid" 2>/dev/null || true
    done
    for name in $PIDS; do
        [ -f "$dir/run/$name.pid" ] || continue
        pid="$(cat "$dir/run/$name.pid")"
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
        rm -f "$dir/run/$name.pid"
    done
}

start() {
    local dir name
    dir="$(mkdir -p "$1" && cd "$1" && pwd)"
    $PY -c 'import swift, boto3' 2>/dev/null \
        || die "needs python3-swift and python3-boto3 (apt-get install swift swift-proxy swift-account swift-container swift-object python3-swift python3-boto3)"
    $PY "$HELPER" setup "$dir"
    mkdir -p "$dir/run" "$dir/log"
    command -v memcached >/dev/null || die "needs memcached (apt-get install memcached): tempauth keeps tokens there"
    setsid memcached -l 127.0.0.1 -p "$($PY "$HELPER" memcache-port "$dir")" -U 0 -m 64 -u "$(id -un)" \
        >"$dir/log/memcached.log" 2>&1 < /dev/null &
    echo $! >"$dir/run/memcached.pid"
    for name in $SERVERS; do
        # setsid: the servers outlive this shell but stay killable by their own pid.
        setsid $PY "$HELPER" serve "$dir" "$name" >"$dir/log/$name.log" 2>&1 < /dev/null &
        echo $! >"$dir/run/$name.pid"
    done
    if ! $PY "$HERE/swift/wait_ready.py" "$dir/swift.json" 90; then
        for name in $SERVERS; do echo "--- $name.log" >&2; tail -20 "$dir/log/$name.log" >&2 || true; done
        stop "$dir"
        die "Swift did not become ready"
    fi
    $PY - "$dir/swift.json" >"$dir/env.sh" <<'EOF'
import json, sys
i = json.load(open(sys.argv[1]))
print(f"export S3_ENDPOINT_URL={i['endpoint_url']}")
print(f"export AWS_ACCESS_KEY_ID={i['aws_access_key_id']}")
print(f"export AWS_SECRET_ACCESS_KEY={i['aws_secret_access_key']}")
print(f"export AWS_DEFAULT_REGION={i['region']}")
EOF
    cat "$dir/env.sh"
}

case "${1:-}" in
    start) [ $# -eq 2 ] || die "usage: swift-s3.sh start DIR"; start "$2" ;;
    stop)  [ $# -eq 2 ] || die "usage: swift-s3.sh stop DIR"; stop "$2" ;;
    *) die "usage: swift-s3.sh start|stop DIR" ;;
esac

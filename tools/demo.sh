#!/bin/bash
# tools/demo.sh BUILD_DIR -- `make demo`: the quick start of README.md.
#
# Makes sure a Docker engine answers and the base images exist, builds the
# hello example with `fuse app_server`, runs the image, fetches its page over
# HTTP and prints it (HELLO WORLD!). Stops dockerd only if it started it.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
FUSE=$BUILD/fuse
TAG=myproject:appserver

cd "$ROOT" || exit 1
# shellcheck source=tests/integration/engine.sh
. tests/integration/engine.sh
engine_up || exit 1

cid=
finish() {
    [ -n "$cid" ] && docker rm -f "$cid" >/dev/null 2>&1
    engine_down
}
trap finish EXIT

# The page, fetched with bash's /dev/tcp so the demo needs no HTTP client.
http_get() {
    local body
    exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
    printf 'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
    body=$(sed '1,/^\r$/d' <&3)
    exec 3<&-
    printf '%s' "$body"
}

echo "demo: cd examples/hello && fuse app_server"
(cd examples/hello && "$FUSE" app_server) || { echo "demo: the build failed" >&2; exit 1; }

echo "demo: docker run -d -p 127.0.0.1::8000 $TAG"
cid=$(docker run -d -p 127.0.0.1::8000 "$TAG") || exit 1
port=$(docker port "$cid" 8000/tcp | head -1 | sed 's/.*://')
answer=
for _ in $(seq 1 60); do
    answer=$(http_get "$port" 2>/dev/null) && [ -n "$answer" ] && break
    sleep 0.5
done
if [ -z "$answer" ]; then
    echo "demo: no HTTP answer from the container on port $port" >&2
    docker logs "$cid" >&2
    exit 1
fi
echo "demo: GET http://127.0.0.1:$port/"
printf '%s\n' "$answer"

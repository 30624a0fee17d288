#!/bin/bash
# test_caches.sh -- a task's caches (fusefile(5) caches).
#
# On BuildKit: a Package step keeps apt's downloads in the cache, the cache
# survives to the next build (the .deb is not fetched again: the same file,
# the same mtime), it is in no layer of the image (docker save), and
# --prune-caches empties it. On the classic builder: one line, and the
# build goes on without caches. The cache is looked at through a probe
# build of our own mounting the same cache id.
. "$(dirname "$0")/lib.sh"

TAG=fuse-it/caches-$$
PROBE=fuse-it/caches-probe-$$
# The cache ids come from the project directory's name and the task's: a
# name of this run's own, so no other run shares (or empties) the caches.
PROJ=$WORK/caches-$$-$RANDOM
export TAG
mkdir -p "$PROJ" && cd "$PROJ" || exit 1
on_exit 'cd "$PROJ" && "$FUSE" -q --prune-caches pkgs >/dev/null 2>&1'
on_exit 'docker rmi -f "$TAG" "$PROBE" >/dev/null 2>&1'

cat >fusefile.lua <<'EOF'
pkgs = docker_container {
  from_image = "debian:bookworm",
  tag = os.getenv("TAG"),
  caches = { "/var/cache/apt", "/var/lib/apt/lists" },
  params = { mark = "one" },
} (function (bundle, args)
  yield(File { name = "/mark", contents = args.mark })
  yield(Package { name = "hello" })
end)
EOF

# probe ID CMD: runs CMD in a BuildKit build with the cache ID mounted at
# /c (POST /build?version=2 itself: Debian's docker CLI has no BuildKit
# without buildx); prints what CMD wrote. Not nocache=1 (BuildKit mounts
# fresh caches then): an ENV of its own makes the step run.
SOCK=${DOCKER_HOST:-unix:///var/run/docker.sock}
SOCK=${SOCK#unix://}
probe() {
    mkdir -p "$WORK/probe"
    printf 'FROM fuse-test/busybox\nENV N=%s\nRUN --mount=type=cache,target=/c,id=%s sh -c %s\n' \
        "$$.$RANDOM.$RANDOM" "$1" "'$2 >/out 2>&1 || true'" >"$WORK/probe/Dockerfile"
    tar -C "$WORK/probe" -cf "$WORK/probe.tar" Dockerfile
    curl -sf --unix-socket "$SOCK" -X POST -H 'Content-Type: application/x-tar' \
        --data-binary @"$WORK/probe.tar" "http://engine/build?version=2&t=$PROBE" \
        >/dev/null && docker run --rm "$PROBE" cat /out
}

if [ "${DOCKER_BUILDKIT:-1}" = 0 ]; then
    "$FUSE" pkgs >"$WORK/out" 2>&1
    expect_eq "classic: the build succeeds" 0 $?
    expect_eq "classic: one line says the caches are not mounted" 1 \
        "$(grep -cx 'fuse: the classic builder cannot mount caches: building without them' "$WORK/out")"
    expect_eq "classic: the package is installed" "Hello, world!" "$(docker run --rm "$TAG" hello)"
    "$FUSE" --prune-caches pkgs >"$WORK/prune" 2>&1
    expect_eq "classic: --prune-caches has nothing to do" \
        "fuse: the classic builder keeps no caches: nothing to prune" "$(cat "$WORK/prune")"
    exit 0
fi

"$FUSE" -v pkgs >"$WORK/v1" 2>&1
expect_eq "first build: exit status" 0 $?
expect_eq "first build: the package works" "Hello, world!" "$(docker run --rm "$TAG" hello)"
id=$(grep -o 'target=/var/cache/apt,id=fuse-cache-[0-9a-f]*' "$WORK/v1" | head -1 | sed 's/.*id=//')
check "the steps mount the apt cache" test -n "$id"
deb1=$(probe "$id" 'stat -c "%n %Z %i" /c/archives/hello_*.deb')
check "first build: the .deb is in the cache" grep -q '^/c/archives/hello_.*\.deb [0-9]* [0-9]*$' <<<"$deb1"

# The Package step runs again (the resource before it changed): apt finds
# the .deb in the cache and fetches nothing.
sleep 1
"$FUSE" -q pkgs:mark=two >/dev/null 2>&1
expect_eq "second build: exit status" 0 $?
expect_eq "second build: the step reran" "two" "$(docker run --rm "$TAG" cat /mark)"
expect_eq "second build: the .deb was not fetched again (the same file: inode and ctime)" "$deb1" \
    "$(probe "$id" 'stat -c "%n %Z %i" /c/archives/hello_*.deb')"

# No layer of the image holds the cache's contents.
docker save "$TAG" >"$WORK/image.tar"
expect_eq "docker save: exit status" 0 $?
mkdir -p "$WORK/image" && tar -xf "$WORK/image.tar" -C "$WORK/image"
check "docker save: the image has layers" test -n "$(ls "$WORK"/image/*/layer.tar 2>/dev/null)"
leaked=$(for l in "$WORK"/image/*/layer.tar; do tar -tf "$l"; done |
    grep -E '^var/cache/apt/archives/hello_|^var/lib/apt/lists/.*_Packages' | head -3)
expect_eq "no layer holds the downloaded .deb or the fetched lists" "" "$leaked"
# (Podman 4.3 leaves no directory where a cache was mounted: the base's
# lists go too. Docker keeps them.)
expect_eq "the image has no apt lists but the base's" "" \
    "$(comm -13 <(docker run --rm debian:bookworm ls /var/lib/apt/lists | sort) \
        <(docker run --rm "$TAG" sh -c 'ls /var/lib/apt/lists 2>/dev/null' | sort))"

"$FUSE" --prune-caches pkgs >"$WORK/prune" 2>&1
expect_eq "--prune-caches: exit status" 0 $?
expect_eq "--prune-caches: one line" "fuse: emptied the caches /var/cache/apt, /var/lib/apt/lists" \
    "$(cat "$WORK/prune")"
expect_eq "--prune-caches: the cache is empty" "" "$(probe "$id" 'ls -A /c')"

# Bad input: a cache that is no absolute directory.
mkdir -p "$WORK/bad" && cd "$WORK/bad" || exit 1
cat >fusefile.lua <<'EOF'
bad = docker_container { caches = { "var/cache" } } (function () end)
EOF
"$FUSE" -n bad >/dev/null 2>"$WORK/err"
expect_eq "caches: a relative path is a task-file error (exit 2)" 2 $?
expect_eq "caches: the first line names the file and the entry" \
    'fuse: fusefile.lua:1: docker_container: caches: "var/cache" must be an absolute directory other than / (no blanks, commas, quotes, = or backslashes)' \
    "$(head -1 "$WORK/err")"

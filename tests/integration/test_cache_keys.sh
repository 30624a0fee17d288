#!/bin/bash
# test_cache_keys.sh -- no build of one task invalidates another's cache.
# Every fuse image's first step copies fuse-apply; the classic builder
# reuses the newest matching child of an image, so if that step were the
# same for every task, a --no-cache build of one would give the next build
# of any other a new first layer, and all its steps would run again. Tasks
# a and b of one project, and a task a of another project: build each,
# build a with --no-cache, rebuild the others: no step runs, same image.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

TAG=fuse-it/build-cache-$$
on_exit 'docker rmi -f "$TAG-a" "$TAG-b" "$TAG-p2-a" "$TAG-p2-b" >/dev/null 2>&1'

project() {
    mkdir -p "$1" && cat >"$1/fusefile.lua" <<EOF2
a = docker_container { from_image = "fuse-test/busybox", tag = "$2-a" } (function ()
  yield(File { name = "/a", contents = "a" })
  yield(Execute { name = "mark", command = "touch /ran" })
end)
b = docker_container { from_image = "fuse-test/busybox", tag = "$2-b" } (function ()
  yield(File { name = "/b", contents = "b" })
  yield(Execute { name = "mark", command = "touch /ran" })
end)
EOF2
}
project "$WORK/p1" "$TAG"
project "$WORK/p2" "$TAG-p2"
image_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null; }

(cd "$WORK/p1" && "$FUSE" -q a && "$FUSE" -q b) >/dev/null 2>&1
(cd "$WORK/p2" && "$FUSE" -q a) >/dev/null 2>&1
b1=$(image_id "$TAG-b")
p2a1=$(image_id "$TAG-p2-a")
check "both projects built" test -n "$b1" -a -n "$p2a1"

(cd "$WORK/p1" && "$FUSE" -q --no-cache a) >/dev/null 2>&1
check "a --no-cache build of a" test -n "$(image_id "$TAG-a")"

(cd "$WORK/p1" && "$FUSE" -v b) >"$WORK/b.out" 2>&1
expect_eq "the same project's task b: no step runs" "" "$(steps_ran "$WORK/b.out")"
expect_eq "the same project's task b: the same image" "$b1" "$(image_id "$TAG-b")"
(cd "$WORK/p2" && "$FUSE" -v a) >"$WORK/p2a.out" 2>&1
expect_eq "another project's task of the same name: no step runs" "" "$(steps_ran "$WORK/p2a.out")"
expect_eq "another project's task of the same name: the same image" "$p2a1" "$(image_id "$TAG-p2-a")"

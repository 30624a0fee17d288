#!/bin/bash
# test_plan.sh -- fuse --plan names the first step that must run and why,
# the next build runs exactly from there, and an image whose recorded keys
# match is up to date without a build (fuse(1) --plan). For
# each kind of input: a resource's field, an option, a source's contents
# (same size and mtime), the base image retagged, fuse-apply (another
# payload), cache = false; an image
# built by something else; a corrupt label; another task's --no-cache.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

TAG=fuse-it/plan-$$
BASE=fuse-it/plan-base-$$:1
P="$WORK/planproj-plan-$$"
on_exit 'docker rmi -f "$TAG" "$TAG-other" "$BASE" >/dev/null 2>&1'
docker tag fuse-test/busybox "$BASE"
mkdir -p "$P"
printf 'hello\n' >"$P/b.txt"
touch -d '2020-01-01 00:00:00' "$P/b.txt"

# write ENV COMMAND CACHE: the task file, three resource steps.
write() {
    cat >"$P/fusefile.lua" <<EOF2
app = docker_container { from_image = "$BASE", tag = "$TAG", env = { A = "$1" } } (function ()
  yield(File { name = "/a", contents = "a" })
  yield(File { name = "/b", source = "b.txt" })
  yield(Execute { name = "mark", command = "$2"$3 })
end)
other = docker_container { from_image = "$BASE", tag = "$TAG-other" } (function ()
  yield(File { name = "/o", contents = "o" })
end)
EOF2
}
plan() { (cd "$P" && "$FUSE" --plan app) 2>&1; }
# The first step of the plan that is not cached: "N: REASON".
first() { plan | sed -n 's/^  \[\([0-9]*\)\/[0-9]*\] [^:]*: build: /\1: /p' | head -n 1; }
image_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null; }
# How many resource RUN steps ran (not cached) in a -v build's output,
# whichever builder wrote it (lib.sh's engine_steps).
ran() { engine_steps "$1" | awk '$2 == "ran" && /fuse-apply","--no-changes-ok/ { n++ } END { print n + 0 }'; }
build() { (cd "$P" && "$FUSE" -v app) >"$WORK/build.out" 2>&1; ran "$WORK/build.out"; }

write 1 "touch /ran" ""
expect_eq "never built: the first step says so" "1: never built" "$(first)"
check "the plan builds nothing" test -z "$(image_id "$TAG")"
expect_eq "the first build runs every step" 3 "$(build)"
label=$(docker image inspect -f '{{index .Config.Labels "fuse.plan"}}' "$TAG")
check "the image records its keys, hashes only" grep -Eq '^1 W=[0-9a-f]{64} B=[0-9a-f]{64} ' <<<"$label"
expect_eq "after the build, every step is cached" "" "$(first)"
check "the plan names the tags and the base image's ID" \
    grep -q "base: $BASE (sha256:$(image_id "$BASE" | cut -c8-))" <<<"$(plan)"
id=$(image_id "$TAG")
out=$( (cd "$P" && "$FUSE" app) 2>&1)
expect_eq "up to date: no build" "fuse: $TAG is up to date ($id)" "$out"

write 1 "touch /ran2" ""
expect_eq "a field: its step, named" "3: fields changed: command" "$(first)"
expect_eq "a field: the build runs that step alone" 1 "$(build)"

write 2 "touch /ran2" ""
expect_eq "an option: the first step" "1: options changed" "$(first)"
expect_eq "an option: every step runs" 3 "$(build)"

printf 'jello\n' >"$P/b.txt"
touch -d '2020-01-01 00:00:00' "$P/b.txt"
expect_eq "a source, same size and mtime: its step" "2: source changed: b.txt" "$(first)"
expect_eq "a source: the build runs from there" 2 "$(build)"
expect_eq "a source: then cached (the hash cache is right)" "" "$(first)"

docker tag debian:bookworm "$BASE"
expect_eq "the base retagged: the first step" "1: base image changed" "$(first)"
expect_eq "the base retagged: every step runs" 3 "$(build)"

# Another payload: a copy of fuse whose embedded fuse-apply differs by one
# letter of its usage text (the string is the payload's alone).
cp "$FUSE" "$WORK/fuse2"
perl -0777 -pi -e 's/usage: fuse-apply \[--simulate\]/usage: fuse-apply [--Simulate]/' "$WORK/fuse2"
check "the other payload: the copy differs" sh -c "! cmp -s '$FUSE' '$WORK/fuse2'"
expect_eq "another payload: the first step" "1: fuse-apply changed" \
    "$( (cd "$P" && "$WORK/fuse2" --plan app) 2>&1 | sed -n 's/^  \[\([0-9]*\)\/[0-9]*\] [^:]*: build: /\1: /p' | head -n 1)"
(cd "$P" && "$WORK/fuse2" -v app) >"$WORK/build.out" 2>&1
expect_eq "another payload: every step runs" 3 "$(ran "$WORK/build.out")"
expect_eq "back to this payload: the first step again" "1: fuse-apply changed" "$(first)"
build >/dev/null

write 2 "touch /ran2" ", cache = false"
expect_eq "cache = false: its step" "3: cache = false" "$(first)"
expect_eq "cache = false: that step runs" 1 "$(build)"
expect_eq "cache = false: and again on the next build" 1 "$(build)"
check "cache = false: never up to date" test -n "$(plan | grep 'cache = false')"
write 2 "touch /ran2" ""
build >/dev/null

(cd "$P" && "$FUSE" -q --no-cache other) >/dev/null 2>&1
expect_eq "another task's --no-cache build: still cached" "" "$(first)"
out=$( (cd "$P" && "$FUSE" app) 2>&1)
check "another task's --no-cache build: still up to date" grep -q "is up to date" <<<"$out"

printf 'FROM %s\nLABEL fuse.plan="1 W=%s B=junk"\n' "$TAG" "$(printf '0%.0s' {1..64})" |
    docker build -q -t "$TAG" - >/dev/null 2>&1
expect_eq "a corrupt label: never built" "1: never built" "$(first)"
out=$( (cd "$P" && "$FUSE" app) 2>&1)
check "a corrupt label: a build, not up to date" grep -q "^fuse: built" <<<"$out"

printf 'FROM %s\nLABEL x=1\n' "$BASE" | docker build -q -t "$TAG" - >/dev/null 2>&1
expect_eq "an image built by something else: never built" "1: never built" "$(first)"

# --- a layer group: one step for two resources ------------------------------------
G="$WORK/plangroup-plan-$$"
mkdir -p "$G"
on_exit 'docker rmi -f "$TAG-group" >/dev/null 2>&1'
group() {
    cat >"$G/fusefile.lua" <<EOF2
g = docker_container { from_image = "fuse-test/busybox", tag = "$TAG-group" } (function ()
  yield(File { name = "/a", contents = "a" })
  yield(File { name = "/g1", contents = "1", layer = "g" })
  yield(File { name = "/g2", contents = "$1", layer = "g" })
end)
EOF2
}
group 2
(cd "$G" && "$FUSE" -q g) >/dev/null 2>&1
group 3
gplan=$( (cd "$G" && "$FUSE" --plan g) 2>&1)
check "a group: the changed resource names its reason" \
    grep -qxF "  [3/3] File[/g2]: build: contents changed" <<<"$gplan"
check "a group: the one before it in its step runs with it" \
    grep -qxF "  [2/3] File[/g1]: build: in one step with File[/g2]" <<<"$gplan"
check "a group: the step before is cached" grep -qxF "  [1/3] File[/a]: cached" <<<"$gplan"

# --- a failed step can be entered ------------------------------------------------
F="$WORK/planfail-plan-$$"
mkdir -p "$F"
on_exit 'docker rmi -f fuse-failed/planfail:2 fuse-failed/planfail:3 "$TAG-fail" >/dev/null 2>&1'
# failing A B: the second and third steps' commands.
failing() {
    cat >"$F/fusefile.lua" <<EOF2
planfail = docker_container { from_image = "fuse-test/busybox", tag = "$TAG-fail" } (function ()
  yield(File { name = "/a", contents = "a" })
  yield(Execute { name = "two", command = "$1" })
  yield(Execute { name = "three", command = "$2" })
end)
EOF2
}
failing "echo partial > /two; false" "true"
# BuildKit leaves no intermediate image to keep (build.c): a failure there
# keeps nothing and names no command. The rest of this part is the
# classic builder's.
(cd "$F" && DOCKER_BUILDKIT=1 "$FUSE" -v planfail) >"$WORK/bkfail.out" 2>&1
bkst=$?
if grep -q '^fuse: builder: BuildKit' "$WORK/bkfail.out"; then
    expect_eq "BuildKit: a failed step: exit status 1" 1 "$bkst"
    check "BuildKit: a failed step: no command in the error" \
        sh -c "! grep -q 'fuse-failed' '$WORK/bkfail.out'"
    check "BuildKit: a failed step: nothing kept" test -z "$(image_id fuse-failed/planfail:2)"
fi
export DOCKER_BUILDKIT=0
(cd "$F" && "$FUSE" planfail) >"$WORK/fail.out" 2>&1
expect_eq "failed: exit status 1" 1 $?
expect_eq "failed: the error ends with the command that enters the state" \
    "the state before this step is kept: docker run --rm -it --entrypoint sh fuse-failed/planfail:2" \
    "$(tail -n 1 "$WORK/fail.out")"
expect_eq "failed: the state has the steps before" "a" \
    "$(docker run --rm --entrypoint sh fuse-failed/planfail:2 -c 'cat /a' 2>&1)"
check "failed: the task's tag is not moved" test -z "$(image_id "$TAG-fail")"
failing "true" "false"
(cd "$F" && "$FUSE" planfail) >/dev/null 2>&1
check "a later failure: its own step kept" test -n "$(image_id fuse-failed/planfail:3)"
check "a later failure: replaces the previous one" test -z "$(image_id fuse-failed/planfail:2)"
failing "true" "true"
expect_eq "a kept state is no cache: the plan" "3: never built" "$( (cd "$F" && "$FUSE" --plan planfail) |
    sed -n 's/^  \[\([0-9]*\)\/[0-9]*\] [^:]*: build: /\1: /p' | sed -n 3p)"
(cd "$F" && "$FUSE" -v planfail) >"$WORK/fixed.out" 2>&1
expect_eq "a kept state is no cache: the fixed step runs" 1 "$(ran "$WORK/fixed.out")"
docker rmi -f fuse-failed/planfail:3 >/dev/null 2>&1
failing "true" "exit 4"
(cd "$F" && "$FUSE" --no-keep-failed planfail) >"$WORK/nokeep.out" 2>&1
check "--no-keep-failed: nothing kept" test -z "$(image_id fuse-failed/planfail:3)"
check "--no-keep-failed: no command in the error" sh -c "! grep -q 'fuse-failed' '$WORK/nokeep.out'"

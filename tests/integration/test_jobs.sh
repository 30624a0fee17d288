#!/bin/bash
# test_jobs.sh -- fuse -j (fuse(1) PARALLEL BUILDS): independent tasks build
# at once, each after its dependencies; lines carry the task and are never
# cut; a failure stops new starts, lets running builds finish, leaves
# dependents unstarted; one summary line per task; exit 1 on a failure and
# 130 on SIGINT, no tag moved; patterns name groups; a plain task, a pattern
# matching nothing, -j 0 are usage errors. Two tasks of one tag never build
# at once, and two fuse processes building one tag leave it on one whole
# image. With a second engine (a private dockerd under /tmp/jobs-*):
# --engine spreads tasks over both, engine = "URL" places a task, an image
# a task needs from the other engine is moved there (same ID, no tag, only
# when missing), and an engine dying mid-run fails its tasks with a line
# naming it while the others finish; a transfer cut mid-stream (a fake
# source engine, fakesrc.py) loads and tags nothing.
# shellcheck disable=SC2016 # bash -c '...' expands its own arguments
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/dockerd2.sh
. "$(dirname "$0")/dockerd2.sh"
HERE=$(cd "$(dirname "$0")" && pwd)

T=fuse-it/jobs-$$
export T
on_exit 'docker images --format "{{.Repository}}:{{.Tag}}" | grep "^$T-" | xargs -r docker rmi -f >/dev/null 2>&1'

mkdir -p "$WORK/jobsproj-$$" && cd "$WORK/jobsproj-$$" || exit 1
cat >fusefile.lua <<'EOF'
local T = os.getenv("T")
base = docker_container { from_image = "fuse-test/busybox", tag = T .. "-base" } (function ()
  yield(File { name = "/base.txt", contents = "from base" })
end)
api = docker_container { from_image = base, tag = T .. "-api" } (function ()
  yield(File { name = "/api.txt", contents = "from api" })
  yield(File { name = "/api2.txt", contents = "two" })
end)
bad = docker_container { from_image = "fuse-test/busybox", tag = T .. "-bad" } (function ()
  yield(Execute { name = "boom", command = "echo going down && false" })
end)
after = docker_container { from_image = bad, tag = T .. "-after" } (function ()
  yield(File { name = "/after.txt", contents = "x" })
end)
same1 = docker_container { from_image = "fuse-test/busybox", tag = T .. "-same" } (function ()
  yield(Execute { name = "one", command = "sleep 3 && echo one > /who" })
end)
same2 = docker_container { from_image = "fuse-test/busybox", tag = T .. "-same" } (function ()
  yield(Execute { name = "two", command = "sleep 3 && echo two > /who" })
end)
d2only = docker_container { from_image = base, tag = T .. "-d2only", engine = os.getenv("D2_HOST") } (function ()
  yield(File { name = "/d2.txt", contents = "on d2" })
end)
plain = task {} (function () end)
EOF
mkdir -p tasks
cat >tasks/slow.lua <<'EOF'
local T = os.getenv("T")
local function nap(name)
  return docker_container { from_image = "fuse-test/busybox", tag = T .. "-" .. name } (function ()
    yield(Execute { name = name, command = "sleep 6 && echo " .. name .. " > /" .. name })
  end)
end
a = nap("a")
b = nap("b")
EOF

id_of() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null; }
# line_no PATTERN FILE: the number of the first line matching PATTERN (grep -E), or 9999.
line_no() { grep -nE -m1 "$1" "$2" | cut -d: -f1 | grep . || echo 9999; }

# ---- usage errors ------------------------------------------------------------------
"$FUSE" -j 0 base >/dev/null 2>"$WORK/err"
expect_eq "-j 0: exit 2" 2 $?
expect_eq "-j 0: message" 'fuse: option -j/--jobs: expected a number of jobs from 1 to 64, got "0"' "$(head -n1 "$WORK/err")"
"$FUSE" --jobs=two base >/dev/null 2>"$WORK/err"
expect_eq "-j two: exit 2" 2 $?
"$FUSE" -j 2 'nomatch.*' >/dev/null 2>"$WORK/err"
expect_eq "pattern matching nothing: exit 2" 2 $?
expect_eq "pattern matching nothing: message" 'fuse: no docker_container task matches "nomatch.*" (fuse -l lists them)' "$(head -n1 "$WORK/err")"
"$FUSE" -j 2 plain >/dev/null 2>"$WORK/err"
expect_eq "plain task under -j: exit 2" 2 $?
check "plain task under -j: says why" grep -q '^fuse: plain: a plain task cannot run under -j' "$WORK/err"
"$FUSE" -j 2 --engine ftp://x base >/dev/null 2>"$WORK/err"
expect_eq "bad --engine: exit 2" 2 $?
expect_eq "bad --engine: message" 'fuse: engine ftp://x: unsupported scheme (fuse speaks unix://, tcp:// and ssh://)' "$(head -n1 "$WORK/err")"

# ---- independent tasks at once, through a pipe --------------------------------------
"$FUSE" -j 2 'slow.*' >"$WORK/out" 2>"$WORK/err"
expect_eq "-j 2 slow.*: exit 0" 0 $?
first_built=$(line_no '^\[slow\.[ab]\] fuse: built' "$WORK/out")
check "-j 2: both steps began before either build ended" \
    test "$(line_no '^\[slow\.a 1/1\] Execute a' "$WORK/out")" -lt "$first_built" -a \
    "$(line_no '^\[slow\.b 1/1\] Execute b' "$WORK/out")" -lt "$first_built"
check "pipe: every line is whole and carries its task or is fuse's" \
    bash -c '! grep -vE "^(\[slow\.[ab][] ]|fuse: )" "$1"' _ "$WORK/out"
check "summary: slow.a built" grep -qE '^fuse: slow\.a: built sha256:[0-9a-f]{12} \([0-9.]+s\)$' "$WORK/out"
check "summary: slow.b built" grep -qE '^fuse: slow\.b: built sha256:[0-9a-f]{12} \([0-9.]+s\)$' "$WORK/out"
expect_eq "the image holds its step's work" a "$(docker run --rm "$T-a" cat /a)"

# -j 1: one after the other, in order
"$FUSE" -j 1 --no-cache slow.a slow.b >"$WORK/out" 2>"$WORK/err"
check "-j 1: the second starts after the first is built" \
    test "$(line_no '^\[slow\.a\] fuse: built' "$WORK/out")" -lt "$(line_no '^\[slow\.b 1/1\]' "$WORK/out")"

# ---- dependencies --------------------------------------------------------------------
"$FUSE" -j 4 api >"$WORK/out" 2>"$WORK/err"
expect_eq "api with its dependency: exit 0" 0 $?
check "base is built before api starts" \
    test "$(line_no '^\[base\] fuse: built' "$WORK/out")" -lt "$(line_no '^\[api 1/2\]' "$WORK/out")"
base_id=$(id_of "$T-base")
check "api builds on base's exact image" bash -c 'docker history -q --no-trunc "$1" | grep -qx "$2"' _ "$T-api" "$base_id"
expect_eq "summary order: dependencies first" "base api" \
    "$(sed -n 's/^fuse: \([a-z.]*\): .*/\1/p' "$WORK/out" | tr '\n' ' ' | sed 's/ $//')"

# ---- a failure ----------------------------------------------------------------------
docker rmi -f "$T-after" >/dev/null 2>&1
"$FUSE" -j 2 bad after base >"$WORK/out" 2>"$WORK/err"
expect_eq "failure: exit 1" 1 $?
check "failure: its error, with the task" grep -q '^\[bad\] fuse: build failed at \[1/1\] Execute\[boom\] (fusefile.lua:10): command exited with status 1' "$WORK/out"
check "failure: summary failed line" grep -q '^fuse: bad: failed: build failed at \[1/1\] Execute\[boom\]' "$WORK/out"
check "failure: dependent not started, naming the cause" grep -qx 'fuse: after: not started: its dependency bad failed' "$WORK/out"
check "failure: the running independent build finished" grep -qE '^fuse: base: (built|up to date) sha256:' "$WORK/out"
expect_eq "failure: the last line" "fuse: failed: bad; not started: after" "$(tail -n1 "$WORK/err")"
expect_eq "failure: the dependent's tag was not made" "" "$(id_of "$T-after")"
# -j 1: a failure stops new starts
"$FUSE" -j 1 bad slow.a >"$WORK/out" 2>"$WORK/err"
expect_eq "stop after a failure: exit 1" 1 $?
check "stop after a failure: the next is not started" grep -qx 'fuse: slow.a: not started: stopped after bad failed' "$WORK/out"

# ---- SIGINT ----------------------------------------------------------------------
a_before=$(id_of "$T-a")
"$FUSE" -j 2 --no-cache 'slow.*' >"$WORK/out" 2>"$WORK/err" &
fpid=$!
for _ in $(seq 1 300); do
    [ "$(grep -c '^\[slow\.[ab] 1/1\]' "$WORK/out")" = 2 ] && break
    sleep 0.1
done
kill -INT "$fpid"
wait "$fpid"
expect_eq "SIGINT: exit 130" 130 $?
check "SIGINT: every running build is cancelled" grep -qx 'fuse: slow.a: cancelled' "$WORK/out"
check "SIGINT: both" grep -qx 'fuse: slow.b: cancelled' "$WORK/out"
expect_eq "SIGINT: no tag moved" "$a_before" "$(id_of "$T-a")"
expect_eq "SIGINT: the last line" "fuse: interrupted; the builds were cancelled" "$(tail -n1 "$WORK/err")"

# ---- one tag, never two builds at once ---------------------------------------------------
"$FUSE" -j 2 --no-cache same1 same2 >"$WORK/out" 2>"$WORK/err"
expect_eq "same tag in one run: exit 0" 0 $?
check "same tag in one run: the second starts after the first ended" \
    test "$(line_no '^\[same1\] fuse: built' "$WORK/out")" -lt "$(line_no '^\[same2 1/1\]' "$WORK/out")"
# two processes at once
"$FUSE" -q --iidfile "$WORK/id1" --no-cache same1 >/dev/null 2>"$WORK/err1" &
p1=$!
"$FUSE" -q --iidfile "$WORK/id2" --no-cache same2 >/dev/null 2>"$WORK/err2" &
p2=$!
wait "$p1"
r1=$?
wait "$p2"
r2=$?
expect_eq "two processes, one tag: both succeed" "0 0" "$r1 $r2"
now=$(id_of "$T-same")
check "two processes, one tag: the tag is on one of the two images" \
    bash -c '[ "$1" = "$(cat "$2")" ] || [ "$1" = "$(cat "$3")" ]' _ "$now" "$WORK/id1" "$WORK/id2"
who=$(docker run --rm "$T-same" cat /who)
want=one
[ "$now" = "$(cat "$WORK/id2")" ] && want=two
expect_eq "two processes, one tag: that image is whole (its own step's file)" "$want" "$who"

# ---- two engines ----------------------------------------------------------------------
D2_BRIDGE=fusejobs$$
if ! d2_start "$(mktemp -d /tmp/jobs-d2.XXXXXX)" || ! d2_busybox; then
    not_ok "private dockerd starts"
    exit 1
fi
on_exit 'd2_stop'
export D2_HOST
export -f d2
D1=unix:///var/run/docker.sock
[ -n "${DOCKER_HOST:-}" ] && D1=$DOCKER_HOST

"$FUSE" -j 2 --engine "$D1" --engine "$D2_HOST" --no-cache 'slow.*' >"$WORK/out" 2>"$WORK/err"
expect_eq "two engines: exit 0" 0 $?
check "two engines: slow.a on the first" grep -qx "\[slow.a\] on $D1" "$WORK/out"
check "two engines: slow.b on the second (the least busy)" grep -qx "\[slow.b\] on $D2_HOST" "$WORK/out"
check "two engines: slow.b's image is on the second" bash -c 'd2 image inspect "$1-b" >/dev/null' _ "$T"
check "two engines: summary names the engine" grep -qE "^fuse: slow\.b: built sha256:[0-9a-f]{12} on $D2_HOST " "$WORK/out"

# a dependency moved: base on the first engine, d2only on the second
check "second engine lacks base" bash -c '! d2 image inspect "$1" >/dev/null 2>&1' _ "$base_id"
"$FUSE" -j 2 d2only >"$WORK/out" 2>"$WORK/err"
expect_eq "move: exit 0" 0 $?
# The ID this run reported, not the tag: another checkout's test_build.sh
# may remove every fuse-it/* tag at any time.
base_id=$(docker image inspect -f '{{.Id}}' \
    "$(sed -En 's/^fuse: base: (built|up to date) sha256:([0-9a-f]*) .*/\2/p' "$WORK/out")" 2>/dev/null)
check "move: said once" grep -qx "\[d2only\] moved ${base_id:0:19} (base) from the default engine" "$WORK/out"
expect_eq "move: same ID on the second engine" "$base_id" "$(d2 image inspect -f '{{.Id}}' "$base_id" 2>/dev/null)"
expect_eq "move: no tag came with it" "[]" "$(d2 image inspect -f '{{.RepoTags}}' "$base_id" 2>/dev/null)"
check "move: d2only built on it there" bash -c 'd2 history -q --no-trunc "$1-d2only" | grep -qx "$2"' _ "$T" "$base_id"
"$FUSE" -j 2 d2only >"$WORK/out" 2>"$WORK/err"
check "move: not again when the engine has it" bash -c '! grep -q moved "$1"' _ "$WORK/out"

# a transfer cut mid-stream: the dependency "built" on a fake engine whose
# export stops halfway; nothing of it is loaded, nothing tagged
d2 rmi -f "$T-d2only" "$base_id" >/dev/null 2>&1
docker save "$base_id" >"$WORK/cut.tar"
python3 "$HERE/fakesrc.py" "$WORK/fake.sock" "$base_id" "$WORK/cut.tar" \
    $(($(stat -c %s "$WORK/cut.tar") / 2)) 2>"$WORK/fake.log" &
fake=$!
on_exit "kill $fake 2>/dev/null"
for _ in $(seq 1 300); do [ -S "$WORK/fake.sock" ] && break; sleep 0.1; done
export FAKE_HOST=unix://$WORK/fake.sock
cat >tasks/cut.lua <<'EOF'
local T = os.getenv("T")
src = docker_container { from_image = "fuse-test/busybox", engine = os.getenv("FAKE_HOST") } (function ()
  yield(File { name = "/src.txt", contents = "src" })
end)
dst = docker_container { from_image = src, tag = T .. "-cut", engine = os.getenv("D2_HOST") } (function ()
  yield(File { name = "/dst.txt", contents = "dst" })
end)
EOF
images_before=$(d2 images -aq --no-trunc | sort)
"$FUSE" -j 2 cut.dst >"$WORK/out" 2>"$WORK/err"
expect_eq "cut transfer: exit 1" 1 $?
check "cut transfer: the failed line names the move and the source" \
    grep -qE "^fuse: cut\.dst: failed: cannot move $base_id from $FAKE_HOST to $D2_HOST: " "$WORK/out"
check "cut transfer: the image is not on the target" bash -c '! d2 image inspect "$1" >/dev/null 2>&1' _ "$base_id"
expect_eq "cut transfer: no image added to the target" "$images_before" "$(d2 images -aq --no-trunc | sort)"
expect_eq "cut transfer: no tag" "" "$(d2 images -q "$T-cut")"
kill "$fake" 2>/dev/null
rm tasks/cut.lua

# one engine dies mid-run: its task fails naming it, the other finishes
cat >tasks/die.lua <<'EOF'
local T = os.getenv("T")
far = docker_container { from_image = "fuse-test/busybox", tag = T .. "-far", engine = os.getenv("D2_HOST") } (function ()
  yield(Execute { name = "far", command = "sleep 20" })
end)
near = docker_container { from_image = "fuse-test/busybox", tag = T .. "-near" } (function ()
  yield(Execute { name = "near", command = "sleep 4 && echo near > /near" })
end)
EOF
"$FUSE" -j 2 --no-cache die.far die.near >"$WORK/out" 2>"$WORK/err" &
fpid=$!
for _ in $(seq 1 300); do grep -q '^\[die.far 1/1\]' "$WORK/out" && break; sleep 0.1; done
d2_halt KILL
wait "$fpid"
expect_eq "engine dies: exit 1" 1 $?
check "engine dies: its task fails naming it" grep -qE "^fuse: die\.far: failed: .*$D2_HOST" "$WORK/out"
check "engine dies: the other finishes" grep -qE '^fuse: die\.near: built sha256:' "$WORK/out"
expect_eq "engine dies: the other's image" near "$(docker run --rm "$T-near" cat /near)"

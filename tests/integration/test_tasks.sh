#!/bin/bash
# test_tasks.sh -- task names and keys checked before anything runs, one
# wording for an unknown task, and cancellation (--timeout) reported by its
# reason wherever it lands: a nested task's build, a sh() command and the
# processes that command started.
. "$(dirname "$0")/lib.sh"

mkdir -p "$WORK/proj"
cd "$WORK/proj" || exit 1
cat >fusefile.lua <<'LUA'
app_server = docker_container { tag = "fuse-it/tasks-app" } (function (bundle, args)
  yield(File { name = "/a", contents = "a" })
end)
other = docker_container { params = { version = "1" } } (function (bundle, args)
  yield(File { name = "/b", contents = args.version })
end)
outer = task {} (function (args)
  app_server:run()
end)
slow = task {} (function (args)
  sh("sleep 31337; true")
end)
gen = docker_container { tag = "fuse-it/tasks-gen" } (function (bundle, args)
  sh("echo made >made.txt")
  yield(File { name = "/made.txt", source = "made.txt" })
end)
LUA

# ---- unknown tasks: one wording, with a suggestion ---------------------------------------
"$FUSE" app_servr >out 2>err
expect_eq "fuse TASK: unknown task exits 2" 2 $?
expect_eq "fuse TASK: first line" 'fuse: unknown task "app_servr"' "$(head -1 err)"
expect_eq "fuse TASK: did you mean" 'did you mean "app_server"?' "$(sed -n 2p err)"
"$FUSE" -d app_servr >out 2>err
expect_eq "-d TASK: same first line" 'fuse: unknown task "app_servr"' "$(head -1 err)"
expect_eq "-d TASK: same suggestion" 'did you mean "app_server"?' "$(sed -n 2p err)"
"$FUSE" -n app_server zzzzzzzzzz >out 2>err
expect_eq "a later unknown task stops the run before the first" 2 $?
check "nothing of the first task was printed" test ! -s out

# ---- keys of every task checked first ------------------------------------------------------
"$FUSE" -n app_server other:verzion=1 >out 2>err
expect_eq "bad key of a later task exits 2" 2 $?
expect_eq "bad key of a later task: first line" \
    'fuse: other: the following parameters were not understood: verzion (accepted: caches, cmd, engine, entrypoint, env, from_image, healthcheck, labels, maintainer, no_cache, ports, pull, push, stopsignal, tag, user, version, volumes, workdir)' \
    "$(head -1 err)"
check "bad key of a later task: the first task did not run" test ! -s out

# ---- --timeout in a nested task's build ----------------------------------------------------
# An engine that never answers: perl (always on Debian) listens and never reads.
sock=$WORK/silent.sock
perl -MIO::Socket::UNIX -e '
    my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Local => $ARGV[0], Listen => 5) or die;
    my @c; while (my $c = $s->accept) { push @c, $c } ' "$sock" &
srv=$!
on_exit_kill() { kill "$srv" 2>/dev/null; }
for _ in $(seq 1 50); do [ -S "$sock" ] && break; sleep 0.1; done
DOCKER_HOST=unix://$sock timeout 30 "$FUSE" --timeout 1 outer >out 2>err
expect_eq "nested --timeout exits 1" 1 $?
expect_eq "nested --timeout: the timeout message" \
    "fuse: timed out after 1 s; the build was cancelled" "$(head -1 err)"
on_exit_kill

# ---- -n of a task whose File.source sh() makes -----------------------------------------------
"$FUSE" -n gen >out 2>err
expect_eq "-n with a source sh() would make exits 0" 0 $?
check "-n with a source sh() would make: sh printed, not run" \
    grep -qx 'sh: echo made >made.txt' out
check "-n with a source sh() would make: nothing made" test ! -e made.txt

# ---- --timeout ends sh()'s whole process group ---------------------------------------------
timeout 30 "$FUSE" --timeout 1 slow >out 2>err
expect_eq "sh under --timeout exits 1" 1 $?
expect_eq "sh under --timeout: message at the task's line" \
    "fuse: fusefile.lua:11: task timed out after 1 s" "$(head -1 err)"
sleep 0.2
check "no process of the command is left" test -z "$(pgrep -f 'sleep 31337')"
pkill -f 'sleep 31337' 2>/dev/null
# ---- DockerBuilder:build() streams ---------------------------------------------------------
# The first message must arrive while the build still runs: when it does, the
# tag the build ends with does not exist yet (ordering, not a time limit). A
# failing build still gives its messages, then raises.
mkdir -p "$WORK/stream"
cd "$WORK/stream" || exit 1
docker rmi fuse-it/lua-stream >/dev/null 2>&1
cat >fusefile.lua <<'LUA'
local ResourceBundle = require("fuse.bundle").ResourceBundle
local DockerBuilder = require("fuse.docker").DockerBuilder
local function tagged()
  return os.execute("docker image inspect fuse-it/lua-stream >/dev/null 2>&1") == true
end
stream = task(function ()
  local b = ResourceBundle()
  b:add(Execute { name = "two", command = "echo first-line; sleep 2; echo second-line" })
  local first, n = nil, 0
  for m in DockerBuilder(b, { from_image = "fuse-test/busybox", tag = "fuse-it/lua-stream",
                              no_cache = true }):build() do
    n = n + 1
    if first == nil and (m.stream or ""):find("first%-line") then first = tagged() end
  end
  print("messages " .. n .. ", tagged at the first line: " .. tostring(first) ..
        ", tagged at the end: " .. tostring(tagged()))
end)
fail = task(function ()
  local b = ResourceBundle()
  b:add(Execute { name = "fails", command = "echo before-the-failure; exit 3" })
  local seen = {}
  local ok, err = pcall(function ()
    for m in DockerBuilder(b, { from_image = "fuse-test/busybox", no_cache = true }):build() do
      seen[#seen + 1] = m.stream or ""
    end
  end)
  print("raised: " .. tostring(not ok) .. ", saw the line: " ..
        tostring(table.concat(seen):find("before%-the%-failure") ~= nil))
  print("error: " .. tostring(err))
end)
LUA
"$FUSE" stream >out 2>err
expect_eq "DockerBuilder:build(): a streaming build exits 0" 0 $?
expect_eq "DockerBuilder:build(): the first message arrives before the build ends" \
    "tagged at the first line: false, tagged at the end: true" "$(sed -n 's/^messages [0-9]*, //p' out)"
"$FUSE" fail >out 2>err
expect_eq "DockerBuilder:build(): a failing build exits 0 (caught)" 0 $?
expect_eq "DockerBuilder:build(): a failing build gives its messages, then raises" \
    "raised: true, saw the line: true" "$(head -1 out)"
check "DockerBuilder:build(): the error names the loop's line" grep -q '^error: fusefile.lua:23: build failed at ' out
docker rmi fuse-it/lua-stream >/dev/null 2>&1
exit 0

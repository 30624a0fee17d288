#!/bin/bash
# test_steps.sh -- a task with more resources than Docker has layers for
# (overlay2 stacks at most 128) builds: the early resources are applied in
# batches from context files, the last ones a step each (dockerfile.c).
. "$(dirname "$0")/lib.sh"

TAG=fuse-it/steps-$$
on_exit 'docker rmi -f "$TAG" >/dev/null 2>&1'

# 300 Files, one with binary contents (a blob inside a batch), one from a
# source file, and an Execute that watches a batched File.
mkdir -p "$WORK/p"
printf 'from disk\n' >"$WORK/p/src.txt"
cat >"$WORK/p/fusefile.lua" <<'EOF'
many = docker_container { from_image = "fuse-test/busybox" } (function ()
  yield(Directory { name = "/m" })
  yield(File { name = "/m/bin", contents = "\255\254\0bin" })
  yield(File { name = "/m/src", source = "src.txt" })
  for i = 1, 296 do
    yield(File { name = "/m/f" .. i, contents = "file " .. i .. "\n" })
  end
  yield(Execute { name = "count", command = "n=$(ls /m | wc -l); echo $n > /m/count", watches = { "/m/f7" } })
end)
EOF
cd "$WORK/p" || exit 1
"$FUSE" -n many >"$WORK/dry" 2>&1
layers=$(grep -c -E '^(RUN|COPY) ' "$WORK/dry")
check "300 resources: at most 62 RUN/COPY instructions (got $layers)" [ "$layers" -le 62 ]
check "300 resources: early resources go in batch files" grep -q '^COPY .fuse/steps/1 /.fuse/steps/1$' "$WORK/dry"

if "$FUSE" -q "many:tag=$TAG" >"$WORK/out" 2>&1; then
    ok "300 resources: the task builds"
else
    not_ok "300 resources: the task builds"
    sed 's/^/    /' "$WORK/out" | tail -n 20
fi
run_in() { docker run --rm "$TAG" sh -c "$1" 2>&1; }
expect_eq "300 resources: first and last batched Files" "file 1|file 256" \
    "$(run_in 'cat /m/f1; echo "|"; cat /m/f256' | tr -d '\n')"
expect_eq "300 resources: last File (a step of its own)" "file 296" "$(run_in 'cat /m/f296')"
expect_eq "300 resources: binary blob inside a batch" "fffe0062696e" \
    "$(run_in 'od -An -tx1 /m/bin' | tr -d ' \n')"
expect_eq "300 resources: source file inside a batch" "from disk" "$(run_in 'cat /m/src')"
expect_eq "300 resources: the watcher of a batched File ran (counted 298 files)" "298" "$(run_in 'cat /m/count' | tr -d ' ')"
expect_eq "300 resources: /.fuse is gone" "no" "$(run_in 'test -e /.fuse && echo yes || echo no')"

#!/bin/bash
# test_build.sh -- fuse builds real images on a real engine (fuse(1), fusefile(5)).
#
# The hello example serves HELLO WORLD!; tags, every docker_container option,
# a failing resource, the layer cache and SIGINT, all checked from outside
# with docker run / docker image inspect.
. "$(dirname "$0")/lib.sh"

# The hello example's own tag is shared with `make demo` (and other test
# runs), and an image it names may be up to date (no build, no progress):
# the build here gets a tag of this run's own.
HELLO_TAG=fuse-it/hello-$$

# Only this script's tags: other scripts (another checkout's too) may be
# building their fuse-it/* images at the same time.
cleanup() {
    docker images --format '{{.Repository}}:{{.Tag}}' |
        grep -E '^fuse-it/(cache|fail|hello-[0-9]+|mytag|opts|over)(:|$)' |
        xargs -r docker rmi -f >/dev/null 2>&1
}
on_exit cleanup

# own_layers IMAGE...: the IDs of each IMAGE and of its parents down to its
# task's first step (COPY ... /.fuse/, which names the task: no other task's
# build shares it); only this test's builds make containers of these.
own_layers() {
    local id
    for id in "$@"; do
        id=$(docker image inspect -f '{{.Id}}' "$id" 2>/dev/null)
        while [ -n "$id" ]; do
            echo "$id"
            docker image inspect -f '{{join .ContainerConfig.Cmd " "}}' "$id" 2>/dev/null |
                grep -q ' in /.fuse/ *$' && break
            id=$(docker image inspect -f '{{.Parent}}' "$id" 2>/dev/null)
        done
    done
}
# left_over IMAGE...: the containers not there at the start that were made
# from these images' own layers: others' containers on the shared engine do
# not count.
left_over() {
    local own c
    own=$(own_layers "$@")
    comm -13 "$WORK/containers.before" <(docker ps -aq --no-trunc | sort) | while read -r c; do
        grep -qxF "$(docker inspect -f '{{.Image}}' "$c" 2>/dev/null)" <<<"$own" && echo "$c"
    done | wc -l
}
image_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null; }
inspect() { docker image inspect -f "$2" "$1" 2>/dev/null; }

# http_get PORT PATH: the body of an HTTP/1.0 GET (bash /dev/tcp; no curl needed).
http_get() {
    local body
    exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
    printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$2" >&3
    body=$(sed '1,/^\r$/d' <&3)
    exec 3<&-
    printf '%s' "$body"
}

docker ps -aq --no-trunc | sort >"$WORK/containers.before"

# --- the seed's app_server, run and asked over HTTP --------------------------
cd "$ROOT/examples/hello" || exit 1
if "$FUSE" "app_server:tag=$HELLO_TAG" >"$WORK/hello.out" 2>&1; then
    ok "hello: fuse app_server builds"
else
    not_ok "hello: fuse app_server builds"
    sed 's/^/    /' "$WORK/hello.out"
fi
expect_eq "hello: progress names the resources" \
    "[1/2] Package python3|[2/2] File /index.html" \
    "$(grep '^\[' "$WORK/hello.out" | paste -sd'|')"
check "hello: final line names the image and tag" \
    grep -q "^fuse: built sha256:[0-9a-f]\{12\} as $HELLO_TAG\$" "$WORK/hello.out"

hello_id=$(sed -n 's/^fuse: built sha256:\([0-9a-f]*\) .*/\1/p' "$WORK/hello.out")
answer=
cid=$(docker run -d -p 127.0.0.1::8000 "${hello_id:-$HELLO_TAG}" 2>/dev/null)
if [ -n "$cid" ]; then
    port=$(docker port "$cid" 8000/tcp | head -1 | sed 's/.*://')
    for _ in $(seq 1 60); do
        answer=$(http_get "$port" /index.html 2>/dev/null) && [ -n "$answer" ] && break
        sleep 0.5
    done
    docker rm -f "$cid" >/dev/null
fi
expect_eq "hello: HTTP GET answers from the container" "HELLO WORLD!" "$answer"
expect_eq "hello: payload removed from the image" "gone" \
    "$(docker run --rm --entrypoint /bin/sh "${hello_id:-$HELLO_TAG}" -c 'test -e /.fuse || echo gone')"

echo stale >"$WORK/iid"
"$FUSE" -q --iidfile "$WORK/iid" app_server:tag=fuse-it/mytag >"$WORK/tag.out" 2>&1
expect_eq "hello: app_server:tag=... creates that tag (the same image, from the cache)" \
    "$hello_id" "$(image_id fuse-it/mytag | cut -c8-19)"
expect_eq "hello: -q prints nothing on success" "" "$(cat "$WORK/tag.out")"
expect_eq "hello: --iidfile holds the image's full ID, no newline" "$(image_id fuse-it/mytag)" \
    "$(cat "$WORK/iid")"
check "hello: --iidfile leaves no temporary file" test -z "$(ls "$WORK" | grep '^iid\.')"

# --- every option reaches the image ------------------------------------------
mkdir -p "$WORK/opts" && cd "$WORK/opts" || exit 1
printf 'from disk\n' >data.txt
cat >fusefile.lua <<'EOF'
opts = docker_container {
  from_image = "fuse-test/busybox",
  tag = "fuse-it/opts",
  env = { GREETING = "hello $world \"q\"", A = "1" },
  volumes = { "/data", "/var/my vol" },
  ports = { 8000, "53/udp" },
  cmd = { "cat", "/etc/motd" },
  maintainer = "Fuse Tester <t@example.com>",
  user = "1000:1000",
  workdir = "/srv",
  labels = { ["com.example.a"] = "1", b = "two words" },
} (function (bundle, args)
  yield(File { name = "/etc/motd", contents = "hi from fuse" })
  yield(File { name = "/secret", contents = "s3cr3t-value", sensitive = true, mode = "0644" })
  yield(File { name = "/bin.dat", contents = "\0\1\2\255", mode = "0644" })
  yield(File { name = "/copied.txt", source = "data.txt", mode = "0644" })
end)
EOF
if "$FUSE" opts >"$WORK/opts.out" 2>&1; then ok "options: build"; else
    not_ok "options: build"
    sed 's/^/    /' "$WORK/opts.out"
fi
img=fuse-it/opts
# shellcheck disable=SC2016 # a literal $world
expect_eq "options: env" '["PATH=/bin","A=1","GREETING=hello $world \"q\""]' \
    "$(inspect $img '{{json .Config.Env}}')"
expect_eq "options: volumes" '{"/data":{},"/var/my vol":{}}' "$(inspect $img '{{json .Config.Volumes}}')"
expect_eq "options: ports" '{"53/udp":{},"8000/tcp":{}}' "$(inspect $img '{{json .Config.ExposedPorts}}')"
expect_eq "options: cmd" '["cat","/etc/motd"]' "$(inspect $img '{{json .Config.Cmd}}')"
expect_eq "options: user" "1000:1000" "$(inspect $img '{{.Config.User}}')"
expect_eq "options: workdir" "/srv" "$(inspect $img '{{.Config.WorkingDir}}')"
expect_eq "options: labels and maintainer" \
    '{"b":"two words","com.example.a":"1","maintainer":"Fuse Tester <t@example.com>"}' \
    "$(image_labels $img)"
expect_eq "options: the container runs its cmd as the user" "hi from fuse" \
    "$(docker run --rm $img 2>&1)"
expect_eq "files: sensitive contents arrive" "s3cr3t-value" \
    "$(docker run --rm $img cat /secret 2>&1)"
expect_eq "files: binary contents arrive byte for byte" "000102ff" \
    "$(docker run --rm $img od -An -tx1 /bin.dat | tr -d ' \n')"
expect_eq "files: source is copied from disk" "from disk" \
    "$(docker run --rm $img cat /copied.txt 2>&1)"
if docker history --no-trunc $img | grep -q s3cr3t; then
    not_ok "files: sensitive contents are not in docker history"
else ok "files: sensitive contents are not in docker history"; fi
if "$FUSE" -n opts 2>&1 | grep -q s3cr3t; then
    not_ok "files: sensitive contents are not in -n output"
else ok "files: sensitive contents are not in -n output"; fi

"$FUSE" -q "opts:tag=fuse-it/over,env=X=1;Y=two words,ports=9000,cmd=echo a b,entrypoint=/bin/env,user=daemon,workdir=/w,labels=k=v,maintainer=someone,volumes=/v" \
    >"$WORK/over.out" 2>&1
img=fuse-it/over
expect_eq "overrides: env" '["PATH=/bin","X=1","Y=two words"]' "$(inspect $img '{{json .Config.Env}}')"
expect_eq "overrides: ports" '{"9000/tcp":{}}' "$(inspect $img '{{json .Config.ExposedPorts}}')"
expect_eq "overrides: cmd" '["echo","a","b"]' "$(inspect $img '{{json .Config.Cmd}}')"
expect_eq "overrides: entrypoint" '["/bin/env"]' "$(inspect $img '{{json .Config.Entrypoint}}')"
expect_eq "overrides: user, workdir" "daemon /w" "$(inspect $img '{{.Config.User}} {{.Config.WorkingDir}}')"
expect_eq "overrides: labels, maintainer" '{"k":"v","maintainer":"someone"}' \
    "$(image_labels $img)"
expect_eq "overrides: volumes" '{"/v":{}}' "$(inspect $img '{{json .Config.Volumes}}')"

# --- the layer cache ---------------------------------------------------------
mkdir -p "$WORK/cache" && cd "$WORK/cache" || exit 1
cat >fusefile.lua <<'EOF'
steps = docker_container {
  from_image = "fuse-test/busybox",
  tag = "fuse-it/cache",
  params = { last = "one" },
} (function (bundle, args)
  yield(File { name = "/a", contents = "a" })
  yield(Directory { name = "/b" })
  yield(File { name = "/c", contents = args.last })
end)
EOF
"$FUSE" -q steps >/dev/null 2>&1
id1=$(image_id fuse-it/cache)
"$FUSE" -v steps >"$WORK/cache1.out" 2>&1
expect_eq "cache: an identical build reruns no step" "" "$(steps_ran "$WORK/cache1.out")"
expect_eq "cache: an identical build gives the same image" "$id1" "$(image_id fuse-it/cache)"
# A value no earlier run built: BuildKit's cache outlives the images.
last=two.$$.$RANDOM
"$FUSE" -v "steps:last=$last" >"$WORK/cache2.out" 2>&1
# FROM, COPY fuse, /a, /b, /c, cleanup, the label of the keys: only /c (5),
# cleanup (6) and the label (7) run; a LABEL is no step of BuildKit's.
want="5 6 7"
grep -q '^fuse: builder: BuildKit' "$WORK/cache2.out" && want="5 6"
expect_eq "cache: changing the last resource reruns only its step" "$want" "$(steps_ran "$WORK/cache2.out")"
expect_eq "cache: the changed resource arrived" "$last" "$(docker run --rm fuse-it/cache cat /c)"

# --- a failing resource --------------------------------------------------------
mkdir -p "$WORK/fail" && cd "$WORK/fail" || exit 1
cat >fusefile.lua <<'EOF'
failing = docker_container {
  from_image = "fuse-test/busybox",
  tag = "fuse-it/fail",
  params = { ok = "yes" },
} (function (bundle, args)
  yield(File { name = "/x", contents = "x" })
  yield(Execute { name = "check ok", command = "echo checking; test " .. args.ok .. " = yes" })
end)
EOF
"$FUSE" -q failing >/dev/null 2>&1
good=$(image_id fuse-it/fail)
"$FUSE" failing:ok=no >"$WORK/fail.out" 2>"$WORK/fail.err"
expect_eq "failure: exit status 1" 1 $?
expect_eq "failure: first line names the resource, its yield and the payload's reason" \
    "fuse: build failed at [2/2] Execute[check ok] (fusefile.lua:7): command exited with status 1" \
    "$(head -1 "$WORK/fail.err")"
check "failure: the payload's output is shown" grep -q '^ *checking$' "$WORK/fail.err"
expect_eq "failure: the previous image keeps the tag" "$good" "$(image_id fuse-it/fail)"

# --- SIGINT --------------------------------------------------------------------
mkdir -p "$WORK/int" && cd "$WORK/int" || exit 1
cat >fusefile.lua <<'EOF'
slow = docker_container { from_image = "fuse-test/busybox", tag = "fuse-it/fail" } (function ()
  yield(Execute { name = "slow", command = "sleep 60" })
end)
EOF
# -v: Docker's stream names the cancelled step's container.
"$FUSE" -v slow >"$WORK/int.out" 2>&1 &
pid=$!
# Podman's (buildah's) step containers are not the engine's: it names none,
# and that check is dockerd's. BuildKit's stream: "#5 [2/2] RUN ..." as the
# step starts.
bk_run='^#[0-9]+ \[ *[0-9]+/[0-9]+\] RUN '
for _ in $(seq 1 100); do
    grep -Eq "^ ---> Running in |^STEP 2/[0-9]+: RUN|$bk_run" "$WORK/int.out" && break
    sleep 0.1
done
step_cid=$(sed -n 's/^ ---> Running in \([0-9a-f]*\).*/\1/p' "$WORK/int.out" | tail -1)
sleep 1
kill -INT $pid
wait $pid
expect_eq "interrupt: exit status 130" 130 $?
expect_eq "interrupt: the previous image keeps the tag" "$good" "$(image_id fuse-it/fail)"
if grep -q '^fuse: builder: BuildKit' "$WORK/int.out"; then
    # BuildKit runs a step in a container of its own, none of the engine's
    # (the left-over check below still holds).
    check "interrupt: BuildKit's stream showed the step running" grep -qE "$bk_run" "$WORK/int.out"
elif [ "${FUSE_TEST_ENGINE:-docker}" != podman ]; then
    check "interrupt: Docker's stream named the step's container" test -n "$step_cid"
    # Docker kills and removes the cancelled step's container asynchronously.
    for _ in $(seq 1 60); do docker inspect "$step_cid" >/dev/null 2>&1 || break; sleep 0.5; done
    expect_eq "interrupt: the cancelled step's container is gone" "gone" \
        "$(docker inspect "$step_cid" >/dev/null 2>&1 && echo present || echo gone)"
fi

expect_eq "no containers of this test's images are left behind" 0 \
    "$(left_over "${hello_id:-$HELLO_TAG}" fuse-it/mytag fuse-it/opts fuse-it/over fuse-it/cache fuse-it/fail)"

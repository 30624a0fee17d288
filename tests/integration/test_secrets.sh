#!/bin/bash
# test_secrets.sh -- build secrets (issue 17, fusefile(5), the secrets option): a step
# that lists a secret finds it at /run/secrets/NAME (its hash written into
# the image proves it), owned by root or by the Execute's user; the value is
# then in no layer (docker save, every layer tar), no config, history or
# label, not under the engine's data root (the image's layers, image and
# container metadata, build cache), not in fuse's -v or -n output, and in
# no file fuse wrote. A changed value reuses the step; no_cache reruns it.
# Missing, empty or unreadable sources and undeclared names are task-file
# errors (exit 2) before anything is built.
. "$(dirname "$0")/lib.sh"

TAG=fuse-it/secret-$$
on_exit 'docker rmi -f "$TAG" "$TAG-err" >/dev/null 2>&1'

not() { ! "$@"; }
rnd() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }
ENV_SECRET=fuse-env-secret-$(rnd)
FILE_SECRET=fuse-file-secret-$(rnd)
CMD_SECRET=fuse-cmd-secret-$(rnd)
sha() { printf %s "$1" | sha256sum | cut -d' ' -f1; }

# Everything fuse may write goes under $WORK, to be searched afterwards.
P=$WORK/proj-secret-$$
mkdir -p "$P/keys" "$WORK/tmp" "$WORK/xdg"
export TMPDIR=$WORK/tmp XDG_CACHE_HOME=$WORK/xdg
printf %s "$FILE_SECRET" >"$P/keys/file.key"
chmod 600 "$P/keys/file.key"
printf '%s\n' "$CMD_SECRET" >"$WORK/cmd.key"
cat >"$P/fusefile.lua" <<EOF
app = docker_container {
  from_image = "fuse-test/busybox",
  secrets = {
    tok = { env = "FUSE_IT_TOKEN" },
    key = { file = "keys/file.key" },
    cmd = { command = "touch $WORK/cmd-ran; cat $WORK/cmd.key" },
  },
} (function ()
  yield(User { name = "app", uid = 1234 })
  yield(Directory { name = "/out", owner = "app" })
  yield(File { name = "/before", contents = "b" })
  yield(Execute { name = "hash", command = "sh -c 'for s in tok key cmd; do sha256sum /run/secrets/\$s; done > /hashes; ls -ln /run/secrets > /root-ls'", secrets = { "tok", "key", "cmd" } })
  yield(Execute { name = "as app", command = "sh -c 'stat -c %u:%a /run/secrets/tok > /out/owner'", user = "app", secrets = { "tok" } })
  yield(File { name = "/after", contents = "a" })
end)
EOF
cd "$P" || exit 1

# ---- -n reads no source and shows no value -----------------------------------
FUSE_IT_TOKEN=$ENV_SECRET "$FUSE" -n app >"$WORK/dry" 2>&1
check "-n: exits 0" [ $? -eq 0 ]
check "-n: does not run a secret's command" [ ! -e "$WORK/cmd-ran" ]
check "-n: marks the steps with secrets" grep -q '^# fuse: the next step runs in a container' "$WORK/dry"

# ---- the build -----------------------------------------------------------------
if FUSE_IT_TOKEN=$ENV_SECRET "$FUSE" -v "app:tag=$TAG" >"$WORK/out1" 2>&1; then
    ok "a task with env, file and command secrets builds"
else
    not_ok "a task with env, file and command secrets builds"
    sed 's/^/    /' "$WORK/out1" | tail -n 20
fi
run_in() { docker run --rm --entrypoint sh "$TAG" -c "$1" 2>&1; }
want="$(sha "$ENV_SECRET")  /run/secrets/tok
$(sha "$FILE_SECRET")  /run/secrets/key
$(sha "$CMD_SECRET")  /run/secrets/cmd"
expect_eq "the step saw each secret (env, file, command less its newline)" "$want" \
    "$(run_in 'cat /hashes')"
check "root's secrets are 0400 root:root" grep -q '^-r-------- *1 0 *0 .* tok$' \
    <<<"$(run_in 'cat /root-ls')"
expect_eq "an Execute with user gets them owned by that user, 0400" "1234:400" \
    "$(docker run --rm --entrypoint cat "$TAG" /out/owner 2>&1)"
expect_eq "nothing is left in /run/secrets" "" "$(run_in 'ls -A /run/secrets 2>/dev/null')"
expect_eq "the steps around them ran" "ba" "$(run_in 'cat /before /after')"
# Docker says null for the empty ENTRYPOINT, Podman [].
check "the image has no command or entrypoint, as its base" grep -qxE '\[\] (null|\[\])' \
    <<<"$(docker image inspect --format '{{json .Config.Cmd}} {{json .Config.Entrypoint}}' "$TAG")"

# ---- the values are nowhere ----------------------------------------------------
# found DIR...: the files under DIR holding any of the values.
found() {
    grep -rlaF -e "$ENV_SECRET" -e "$FILE_SECRET" -e "$CMD_SECRET" "$@" 2>/dev/null
}
mkdir -p "$WORK/save"
docker save -o "$WORK/save.tar" "$TAG" && tar -C "$WORK/save" -xf "$WORK/save.tar"
n=0
for l in "$WORK"/save/*/layer.tar; do
    mkdir -p "$l.d" && tar -C "$l.d" -xf "$l" 2>/dev/null
    n=$((n + 1))
done
check "docker save holds layers ($n)" [ "$n" -gt 3 ]
expect_eq "no value in docker save (layers, config, manifest)" "" "$(found "$WORK/save")"
expect_eq "no value in docker history --no-trunc" "" \
    "$(docker history --no-trunc "$TAG" | grep -F -e "$ENV_SECRET" -e "$FILE_SECRET" -e "$CMD_SECRET")"
expect_eq "no value in docker image inspect" "" \
    "$(docker image inspect "$TAG" | grep -F -e "$ENV_SECRET" -e "$FILE_SECRET" -e "$CMD_SECRET")"
# The engine's data root: this image's layer directories, every image's and
# container's metadata, the build cache. (All of it would be every other
# user's images too.)
if [ -r /var/lib/docker/image ]; then
    dirs=$(docker image inspect --format '{{.GraphDriver.Data.LowerDir}}:{{.GraphDriver.Data.UpperDir}}' "$TAG" |
        tr ':' '\n' | grep -v '^$' | sed 's,/diff$,,')
    # shellcheck disable=SC2086 # one directory per word
    expect_eq "no value under the engine's data root" "" \
        "$(found /var/lib/docker/image /var/lib/docker/containers /var/lib/docker/buildkit $dirs)"
else
    ok "# skip: the engine's data root is not readable here"
fi
expect_eq "no value in fuse's -v output" "" "$(found "$WORK/out1" "$WORK/dry")"
expect_eq "no value in any file fuse wrote (TMPDIR, XDG cache, project)" "" \
    "$(found "$WORK/tmp" "$WORK/xdg" "$P" | grep -v "^$P/keys/file.key$")"
# containers_with TEXT: how many containers' commands hold TEXT.
containers_with() { docker ps -a --no-trunc --format '{{.Command}}' | grep -cF -- "$1"; }
expect_eq "the secret steps' containers are gone" 0 "$(containers_with 'ls -ln /run/secrets > /root-ls')"

# ---- the cache: a value's change reuses the step, no_cache reruns it --------------
FUSE_IT_TOKEN=changed-$(rnd) "$FUSE" -v "app:tag=$TAG" >"$WORK/out2" 2>&1
check "a changed value: the build succeeds" [ $? -eq 0 ]
# The plan's keys hold no value either: the image is up to date, or, when
# something else changed, the step comes from fuse's label cache.
if grep -q -e 'hash: a container with its secrets (cached)' -e "^fuse: $TAG is up to date" "$WORK/out2"; then
    ok "a changed value: the step with secrets is taken from the cache"
else
    not_ok "a changed value: the step with secrets is taken from the cache"
    grep -v '^ --->' "$WORK/out2" | sed 's/^/    /' | head -n 20
fi
check "a changed value: nothing after it reruns" not grep -q 'Running in' "$WORK/out2"
expect_eq "a changed value: the image is the same" "$want" "$(run_in 'cat /hashes')"
sed -i 's|contents = "a" })|contents = "A" })|' "$P/fusefile.lua"
FUSE_IT_TOKEN=changed-$(rnd) "$FUSE" -v "app:tag=$TAG" >"$WORK/out2b" 2>&1
check "a later resource changed: the steps with secrets come from the label cache" \
    grep -q 'hash: a container with its secrets (cached)' "$WORK/out2b"
expect_eq "a later resource changed: the secret steps did not rerun" "$want" "$(run_in 'cat /hashes')"
expect_eq "a later resource changed: it did" "bA" "$(run_in 'cat /before /after')"
NEW=changed-$(rnd)
FUSE_IT_TOKEN=$NEW "$FUSE" -q "app:tag=$TAG,no_cache=true" >"$WORK/out3" 2>&1
check "no_cache: the build succeeds" [ $? -eq 0 ]
expect_eq "no_cache: the step ran with the new value" "$(sha "$NEW")  /run/secrets/tok" \
    "$(run_in 'head -n 1 /hashes')"

# ---- errors: exit 2, the declaration's line and the secret, never a value --------
no_value() { ! grep -qF -e "$ENV_SECRET" -e "$FILE_SECRET" -e "$CMD_SECRET" <<<"$1"; }
not_built() { ! docker image inspect "$TAG-err" >/dev/null 2>&1; }
# bad NAME WANT ENVVALUE: the first line of fuse's error, exit 2, nothing built.
bad() {
    local out rc
    out=$(FUSE_IT_TOKEN=$3 "$FUSE" "app:tag=$TAG-err" 2>&1)
    rc=$?
    expect_eq "$1: exit 2" 2 "$rc"
    expect_eq "$1: the message" "$2" "$(grep -m1 "^fuse:" <<<"$out")"
    check "$1: no value in the message" no_value "$out"
    check "$1: nothing built" not_built
}
(unset FUSE_IT_TOKEN; "$FUSE" "app:tag=$TAG-err" >"$WORK/unset" 2>&1)
expect_eq "unset variable: the message" \
    "fuse: fusefile.lua:1: docker_container: secrets.tok: environment variable FUSE_IT_TOKEN is not set" \
    "$(head -n 1 "$WORK/unset")"
bad "empty variable" \
    "fuse: fusefile.lua:1: docker_container: secrets.tok: environment variable FUSE_IT_TOKEN is empty" ""
mv "$P/keys/file.key" "$P/keys/gone"
bad "missing file" \
    "fuse: fusefile.lua:1: docker_container: secrets.key: cannot read $P/keys/file.key: No such file or directory" \
    "$ENV_SECRET"
: >"$P/keys/file.key"
bad "empty file" "fuse: fusefile.lua:1: docker_container: secrets.key: $P/keys/file.key is empty" \
    "$ENV_SECRET"
mv "$P/keys/gone" "$P/keys/file.key"
mv "$WORK/cmd.key" "$WORK/cmd.gone"
bad "failing command" \
    "fuse: fusefile.lua:1: docker_container: secrets.cmd: its command failed (exit status 1)" \
    "$ENV_SECRET"
: >"$WORK/cmd.key"
bad "command printing nothing" \
    "fuse: fusefile.lua:1: docker_container: secrets.cmd: its command printed nothing" "$ENV_SECRET"
mv "$WORK/cmd.gone" "$WORK/cmd.key"
sed -i 's/secrets = { "tok" }/secrets = { "tok", "nope" }/' "$P/fusefile.lua"
bad "an undeclared name" \
    "fuse: fusefile.lua:13: Execute[as app]: secret \"nope\" is not declared in the task's secrets" \
    "$ENV_SECRET"
sed -i 's/secrets = { "tok", "nope" }/secrets = { "tok" }/' "$P/fusefile.lua"

# ---- a failing step with secrets: exit 1, named as any step ----------------------
cat >"$P/fusefile.lua" <<'EOF'
failing = docker_container {
  from_image = "fuse-test/busybox", secrets = { tok = { env = "FUSE_IT_TOKEN" } },
} (function ()
  yield(Execute { name = "fails", command = "sh -c 'test -s /run/secrets/tok && exit 3'", secrets = { "tok" } })
end)
EOF
out=$(FUSE_IT_TOKEN=$ENV_SECRET "$FUSE" "failing:tag=$TAG-err" 2>&1)
expect_eq "a failing step with secrets: exit 1" 1 "$?"
check "a failing step with secrets: named like any step" \
    grep -q '^fuse: build failed at \[1/1\] Execute\[fails\] (fusefile.lua:4): ' <<<"$out"
expect_eq "a failing step with secrets: its container is removed" 0 \
    "$(containers_with 'test -s /run/secrets/tok && exit 3')"

# ---- ^C during a step with secrets: exit 130, its container removed -------------
mkdir -p "$WORK/int-secret-$$"
cat >"$WORK/int-secret-$$/fusefile.lua" <<'EOF'
slow = docker_container {
  from_image = "fuse-test/busybox", secrets = { tok = { env = "FUSE_IT_TOKEN" } },
} (function ()
  yield(Execute { name = "slow", command = "sh -c 'test -s /run/secrets/tok && sleep 41 MARK'", secrets = { "tok" } })
end)
EOF
# The step's command is this run's own: another checkout running this test
# on the same engine has a container with the same step of its own.
mark="int-$$-$RANDOM"
sed -i "s/sleep 41 MARK/sleep 41 || : $mark/" "$WORK/int-secret-$$/fusefile.lua"
(cd "$WORK/int-secret-$$" && FUSE_IT_TOKEN=$ENV_SECRET exec "$FUSE" "slow:tag=$TAG-err" >"$WORK/int.out" 2>&1) &
pid=$!
for _ in $(seq 1 100); do [ "$(containers_with "$mark")" -gt 0 ] && break; sleep 0.2; done
sleep 1
kill -INT "$pid"
wait "$pid"
expect_eq "^C during a step with secrets: exit 130" 130 "$?"
for _ in $(seq 1 40); do [ "$(containers_with "$mark")" = 0 ] && break; sleep 0.25; done
expect_eq "^C during a step with secrets: its container is removed" 0 "$(containers_with "$mark")"
check "^C during a step with secrets: nothing tagged" not_built

# ---- examples/secrets: a download from a private server with the token ----------
# A busybox httpd with basic authentication on the engine's bridge address,
# where a build step's container reaches the host.
GW=$(docker network inspect bridge --format '{{(index .IPAM.Config 0).Gateway}}' 2>/dev/null)
HPORT=$((30000 + $$ % 10000))
while (exec 3<>"/dev/tcp/${GW:-127.0.0.1}/$HPORT") 2>/dev/null; do HPORT=$((HPORT + 1)); done
TOKEN=fuse-token-$(rnd)
mkdir -p "$WORK/www"
echo "release 1.0" >"$WORK/www/release.txt"
printf '/:fuse:%s\n' "$TOKEN" >"$WORK/httpd.conf"
if [ -n "$GW" ] && command -v busybox >/dev/null; then
    busybox httpd -f -p "$GW:$HPORT" -h "$WORK/www" -c "$WORK/httpd.conf" &
    HTTPD=$!
    on_exit 'kill "$HTTPD" 2>/dev/null'
    cp -r "$ROOT/examples/secrets" "$WORK/example-secrets-$$"
    cd "$WORK/example-secrets-$$" || exit 1
    RELEASE_TOKEN=wrong-token "$FUSE" -q "release:tag=$TAG-err,server=$GW:$HPORT" >"$WORK/ex0" 2>&1
    expect_eq "example: a wrong token fails the build (the server checks it)" 1 "$?"
    check "example: a wrong token fails the fetch" \
        grep -q '^fuse: build failed at \[2/2\] Execute\[fetch the release\]' "$WORK/ex0"
    if RELEASE_TOKEN=$TOKEN "$FUSE" -v "release:tag=$TAG,server=$GW:$HPORT" >"$WORK/ex1" 2>&1; then
        ok "example: builds with the token"
    else
        not_ok "example: builds with the token"
        sed 's/^/    /' "$WORK/ex1" | tail -n 20
    fi
    expect_eq "example: the release is in the image" "release 1.0" \
        "$(docker run --rm --entrypoint cat "$TAG" /srv/app/release.txt 2>&1)"
    docker save "$TAG" | tar -C "$WORK" -xf - --one-top-level=ex-save 2>/dev/null
    for l in "$WORK"/ex-save/*/layer.tar; do tar -xOf "$l"; done >"$WORK/ex-layers" 2>/dev/null
    expect_eq "example: the token is in no layer, config, history or output" "" \
        "$(grep -rlaF "$TOKEN" "$WORK/ex-save" "$WORK/ex-layers" "$WORK/ex1"
        docker history --no-trunc "$TAG" | grep -F "$TOKEN")"
else
    ok "# skip: no bridge address or no busybox for the example's server"
fi

#!/bin/bash
# test_push.sh -- --push, push = true and registry credentials (issue 14)
# against real registries: Debian's docker-registry (distribution 2.8).
#
# - A plain registry on 127.0.0.1:PORT.
# - A registry killed in the middle of a push (a 256 MiB layer on its way).
# - A registry with TLS (a CA made here with openssl) and htpasswd (bcrypt).
#   dockerd treats every 127.0.0.0/8 registry as insecure: it would skip
#   verifying the certificate there, so a CA could never be unknown. This
#   one listens on an address from TEST-NET-2 that the test adds to the
#   loopback interface (removed on exit): traffic never leaves lo, and
#   dockerd verifies there; it trusts the CA through
#   /etc/docker/certs.d/HOST:PORT/ca.crt, removed on exit.
#
# After a push the image is removed locally, pulled back with docker pull
# and run. A private from_image builds with credentials from config.json's
# auths and from a credsStore helper script on PATH. The faults each check:
# the first line, exit 1, the tag keeps its image, and no credential in any
# output (the passwords are grepped for in everything fuse printed).
. "$(dirname "$0")/lib.sh"

PW=s3cret-fuse-it-pw
BADPW=wr0ng-fuse-it-pw
FAULTS=0

for tool in docker-registry htpasswd openssl; do
    if ! command -v "$tool" >/dev/null; then
        not_ok "$tool is installed (make deps)"
        exit 1
    fi
done

wait_http() {
    for _ in $(seq 1 100); do
        curl -s -o /dev/null --cacert "$WORK/pki/ca.crt" "$1" && return 0
        sleep 0.1
    done
    return 1
}

# registry NAME ADDR [EXTRA_YAML]: starts docker-registry on ADDR; its pid
# is REG_PID_NAME, stopped on exit.
registry() {
    local name=$1 addr=$2 extra=${3:-}
    mkdir -p "$WORK/reg-$name/data"
    cat >"$WORK/reg-$name/config.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $WORK/reg-$name/data
http:
  addr: $addr
$extra
EOF
    docker-registry serve "$WORK/reg-$name/config.yml" >"$WORK/reg-$name/log" 2>&1 &
    eval "REG_PID_$name=$!"
    on_exit "kill $! 2>/dev/null; wait $! 2>/dev/null"
}

# ---- the CA, the certificate, the password file --------------------------------
BRIDGE=198.51.100.$((10 + $$ % 200))
if ! ip addr show dev lo | grep -q " $BRIDGE/32"; then
    ip addr add "$BRIDGE/32" dev lo && on_exit "ip addr del '$BRIDGE/32' dev lo 2>/dev/null"
fi
P_PLAIN=$(free_port)
P_TLS=$(free_port)
P_DEAD=$(free_port)
P_CUT=$(free_port)
PLAIN=127.0.0.1:$P_PLAIN
TLS=$BRIDGE:$P_TLS
mkdir -p "$WORK/pki"
(
    cd "$WORK/pki" || exit 1
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
        -subj /CN=fuse-it-ca -keyout ca.key -out ca.crt
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -subj "/CN=$BRIDGE" -keyout reg.key -out reg.csr
    printf 'subjectAltName=IP:%s,IP:127.0.0.1\n' "$BRIDGE" >ext.cnf
    openssl x509 -req -in reg.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 \
        -extfile ext.cnf -out reg.crt
) >/dev/null 2>&1
htpasswd -Bbn fuseit "$PW" >"$WORK/pki/htpasswd" 2>/dev/null
check "a CA, a registry certificate and a bcrypt password file" \
    test -s "$WORK/pki/reg.crt" -a -s "$WORK/pki/htpasswd"

CERTS_D=/etc/docker/certs.d/$TLS
mkdir -p "$CERTS_D" && cp "$WORK/pki/ca.crt" "$CERTS_D/ca.crt"
on_exit "rm -rf '$CERTS_D'"

registry plain "$PLAIN"
registry tls "$TLS" "  tls:
    certificate: $WORK/pki/reg.crt
    key: $WORK/pki/reg.key
auth:
  htpasswd:
    realm: fuse-it
    path: $WORK/pki/htpasswd"
check "the plain registry answers" wait_http "http://$PLAIN/v2/"
check "the TLS registry answers" wait_http "https://$TLS/v2/"

# Every image this script tagged, local names and registry names alike.
cleanup_images() {
    docker images --format '{{.Repository}}:{{.Tag}}' | grep -E '(^|/)fuse-it/push-' |
        xargs -r docker rmi -f >/dev/null 2>&1
}
on_exit cleanup_images

# ---- the project ------------------------------------------------------------------
mkdir -p "$WORK/proj" "$WORK/bin" "$WORK/cfg-none"
cd "$WORK/proj" || exit 1
cat >fusefile.lua <<EOF
plain = docker_container { from_image = "fuse-test/busybox", tag = "$PLAIN/fuse-it/push-plain:v1" } (function ()
  yield(File { name = "/hello", contents = "hello from the registry" })
end)
option = docker_container { from_image = "fuse-test/busybox", tag = { "$PLAIN/fuse-it/push-option:v2", "$PLAIN/fuse-it/push-option:latest" }, push = true } (function ()
  yield(File { name = "/hello", contents = "pushed by the option" })
end)
noreg = docker_container { from_image = "fuse-test/busybox", tag = "fuse-it/push-noreg:v1" } (function ()
  yield(File { name = "/hello", contents = "nowhere" })
end)
failing = docker_container { from_image = "fuse-test/busybox", tag = "$PLAIN/fuse-it/push-failing:v1" } (function ()
  yield(Execute { name = "fail", command = "exit 3" })
end)
big = docker_container { from_image = "fuse-test/busybox", tag = "127.0.0.1:$P_CUT/fuse-it/push-big:v1" } (function ()
  yield(File { name = "/big", source = "big.bin" })
end)
dead = docker_container { from_image = "fuse-test/busybox", tag = "127.0.0.1:$P_DEAD/fuse-it/push-dead:v1" } (function ()
  yield(File { name = "/hello", contents = "dead" })
end)
base = docker_container { from_image = "fuse-test/busybox", tag = "$TLS/fuse-it/push-base:v1" } (function ()
  yield(File { name = "/base", contents = "private base" })
end)
child = docker_container { from_image = "$TLS/fuse-it/push-base:v1", tag = "fuse-it/push-child:v1" } (function ()
  yield(File { name = "/child", contents = "child" })
end)
EOF

tag_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null; }
# in_registry HOST REPO TAG: the registry has the manifest; prints its digest.
manifest_digest() {
    curl -s -I --cacert "$WORK/pki/ca.crt" ${4:+-u "$4"} \
        -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
        "$1/v2/$2/manifests/$3" | tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'
}
# pulled_back REF WANT: removes REF locally, pulls it, runs it.
pulled_back() {
    docker rmi -f "$1" >/dev/null 2>&1
    docker pull -q "$1" >/dev/null 2>&1 && [ "$(docker run --pull=never --rm "$1" cat "$2")" = "$3" ]
}

# ---- plain: push, digest, pull back ------------------------------------------------------
export DOCKER_CONFIG=$WORK/cfg-none
run plain --push plain
expect_eq "plain: exit status" 0 "$st"
line=$(grep '^fuse: pushed ' "$WORK/plain.out")
digest=$(manifest_digest "http://$PLAIN" fuse-it/push-plain v1)
expect_eq "plain: the pushed line names the registry's digest" \
    "fuse: pushed $PLAIN/fuse-it/push-plain:v1@$digest" "$line"
check "plain: the digest is a sha256" grep -qE '@sha256:[0-9a-f]{64}$' <<<"$line"
# In a pipe, one line per layer when it is done, each layer once.
layers=$(grep -cE '^  [0-9a-f]{12}  (Pushed|Layer already exists|Mounted from)' "$WORK/plain.out")
uniq_layers=$(grep -oE '^  [0-9a-f]{12}' "$WORK/plain.out" | sort -u | wc -l)
check "plain: one line per layer in a pipe ($layers)" test "$layers" -ge 1 -a "$layers" = "$uniq_layers"
check "plain: no progress bytes in a pipe" bash -c "! grep -q ' / ' '$WORK/plain.out'"
check "plain: removed, pulled back and run" \
    pulled_back "$PLAIN/fuse-it/push-plain:v1" /hello "hello from the registry"

# On a terminal the layer lines are redrawn in place.
docker rmi -f "$PLAIN/fuse-it/push-plain:v1" >/dev/null 2>&1
script -qec "'$FUSE' --no-cache --push plain" /dev/null >"$WORK/tty.out" 2>&1
check "terminal: the layers' lines are rewritten in place" grep -q $'\033\\[[0-9]*A' "$WORK/tty.out"
check "terminal: the pushed line" grep -q "fuse: pushed $PLAIN/fuse-it/push-plain:v1@sha256:" "$WORK/tty.out"

# push = true, and TASK:push=true.
run option option
expect_eq "push = true: exit status" 0 "$st"
check "push = true: the first tag pushed" grep -q "^fuse: pushed $PLAIN/fuse-it/push-option:v2@sha256:" "$WORK/option.out"
check "push = true: the second tag pushed" grep -q "^fuse: pushed $PLAIN/fuse-it/push-option:latest@sha256:" "$WORK/option.out"
run cliopt -q plain:push=true
check "plain:push=true pushes, -q keeps only the pushed line" \
    test "$st" = 0 -a "$(grep -c . "$WORK/cliopt.out")" = 1 -a \
    "$(grep -c '^fuse: pushed ' "$WORK/cliopt.out")" = 1

# A tag without a registry is refused before any build.
run noreg --push noreg
expect_eq "no registry: exit status" 1 "$st"
expect_eq "no registry: first line" \
    "fuse: cannot push fuse-it/push-noreg:v1: the tag names no registry" "$(first noreg)"
check "no registry: a hint follows" grep -q '^hint: ' "$WORK/noreg.err"
expect_eq "no registry: nothing was built" "" "$(tag_id fuse-it/push-noreg:v1)"

# A failed build pushes nothing.
run failing --push failing
expect_eq "failed build: exit status" 1 "$st"
check "failed build: the build's error" grep -q '^fuse: build failed at \[1/1\]' "$WORK/failing.err"
expect_eq "failed build: nothing in the registry" "" \
    "$(manifest_digest "http://$PLAIN" fuse-it/push-failing v1)"

# ---- TLS + htpasswd with config.json's auths -------------------------------------------------
mkdir -p "$WORK/cfg-auths" "$WORK/cfg-bad" "$WORK/cfg-store" "$WORK/cfg-missing" "$WORK/cfg-fail"
b64() { printf '%s' "$1" | base64 -w0; }
printf '{"auths": {"https://%s": {"auth": "%s"}}}\n' "$TLS" "$(b64 "fuseit:$PW")" \
    >"$WORK/cfg-auths/config.json"
printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$TLS" "$(b64 "fuseit:$BADPW")" \
    >"$WORK/cfg-bad/config.json"
export DOCKER_CONFIG=$WORK/cfg-auths
run tls --push base
expect_eq "TLS+auth (auths): exit status" 0 "$st"
check "TLS+auth (auths): pushed" grep -q "^fuse: pushed $TLS/fuse-it/push-base:v1@sha256:" "$WORK/tls.out"
DOCKER_CONFIG=$WORK/cfg-login docker login -u fuseit --password-stdin "$TLS" <<<"$PW" >/dev/null 2>&1
DOCKER_CONFIG=$WORK/cfg-login check "TLS+auth: removed, pulled back and run" pulled_back "$TLS/fuse-it/push-base:v1" /base "private base"
DOCKER_CONFIG=$WORK/cfg-login docker logout "$TLS" >/dev/null 2>&1

# A private from_image: without credentials the engine cannot pull it.
docker rmi -f "$TLS/fuse-it/push-base:v1" >/dev/null 2>&1
DOCKER_CONFIG=$WORK/cfg-none run nocred child
check "private from_image without credentials fails" test "$st" = 1
docker rmi -f "$TLS/fuse-it/push-base:v1" >/dev/null 2>&1
run child-auths child
expect_eq "private from_image with auths: exit status" 0 "$st"
check "private from_image with auths: built on it" \
    test "$(docker run --pull=never --rm fuse-it/push-child:v1 cat /base)" = "private base"

# ---- a credsStore helper on PATH -----------------------------------------------------------
cat >"$WORK/bin/docker-credential-fuseit" <<EOF
#!/bin/sh
case "\$1" in
get)
    read -r host
    if [ "\$host" = "$TLS" ]; then
        printf '{"ServerURL":"%s","Username":"fuseit","Secret":"%s"}\n' "\$host" "$PW"
    else
        echo "credentials not found in native keychain"
        exit 1
    fi ;;
list) printf '{"https://%s":"fuseit"}\n' "$TLS" ;;
*) echo "unsupported: \$1"; exit 1 ;;
esac
EOF
printf '#!/bin/sh\necho "the keychain is locked"\nexit 1\n' >"$WORK/bin/docker-credential-fuseit-fail"
chmod +x "$WORK/bin/"*
export PATH=$WORK/bin:$PATH
echo '{"auths": {}, "credsStore": "fuseit"}' >"$WORK/cfg-store/config.json"
echo '{"credsStore": "fuseit-missing"}' >"$WORK/cfg-missing/config.json"
echo '{"credHelpers": {"'"$TLS"'": "fuseit-fail"}}' >"$WORK/cfg-fail/config.json"
export DOCKER_CONFIG=$WORK/cfg-store
docker rmi -f "$TLS/fuse-it/push-base:v1" fuse-it/push-child:v1 >/dev/null 2>&1
run child-store child
expect_eq "private from_image with a credsStore helper: exit status" 0 "$st"
run tls-store -v --push base
expect_eq "push with a credsStore helper (-v): exit status" 0 "$st"
check "push with a credsStore helper: pushed" grep -q "^fuse: pushed $TLS/fuse-it/push-base:v1@" "$WORK/tls-store.out"

# ---- the fault matrix ----------------------------------------------------------------------
# fault NAME CONFIG_DIR TASK WANT_FIRST_LINE: the task's tag must keep its image.
fault() {
    local name=$1 cfg=$2 task=$3 want=$4 ref
    ref=$(sed -n "s/^$task = docker_container {.* tag = \"\([^\"]*\)\".*/\1/p" fusefile.lua)
    local before
    before=$(tag_id "$ref")
    DOCKER_CONFIG=$cfg run "fault-$name" --push "$task"
    FAULTS=$((FAULTS + 1))
    expect_eq "fault $name: exit status" 1 "$st"
    expect_eq "fault $name: first line" "$want" "$(first "fault-$name")"
    expect_eq "fault $name: the local tag keeps its image" "$before" "$(tag_id "$ref")"
}
DOCKER_CONFIG=$WORK/cfg-auths "$FUSE" -q base >/dev/null 2>&1
fault "wrong password" "$WORK/cfg-bad" base \
    "fuse: cannot push $TLS/fuse-it/push-base:v1 to $TLS: authentication refused"
mv "$CERTS_D/ca.crt" "$WORK/ca.away"
fault "unknown CA" "$WORK/cfg-auths" base \
    "fuse: cannot push $TLS/fuse-it/push-base:v1 to $TLS: the registry's certificate is signed by an unknown CA"
mv "$WORK/ca.away" "$CERTS_D/ca.crt"
DOCKER_CONFIG=$WORK/cfg-none "$FUSE" -q dead >/dev/null 2>&1
fault "registry down" "$WORK/cfg-none" dead \
    "fuse: cannot push 127.0.0.1:$P_DEAD/fuse-it/push-dead:v1 to 127.0.0.1:$P_DEAD: the registry is unreachable"
# Cut mid-stream: the registry is killed once the first layer is in
# (fuse prints one line per finished layer in a pipe); the 256 MiB layer
# is still on its way then. dockerd retries the upload a few times first.
head -c $((256 << 20)) /dev/urandom >big.bin
DOCKER_CONFIG=$WORK/cfg-none "$FUSE" -q big >/dev/null 2>&1
registry cut "127.0.0.1:$P_CUT"
wait_http "http://127.0.0.1:$P_CUT/v2/"
before=$(tag_id "127.0.0.1:$P_CUT/fuse-it/push-big:v1")
DOCKER_CONFIG=$WORK/cfg-none "$FUSE" --push big >"$WORK/fault-cut.out" 2>"$WORK/fault-cut.err" &
fuse_pid=$!
while kill -0 "$fuse_pid" 2>/dev/null && ! grep -qE '^  [0-9a-f]{12}  Pushed' "$WORK/fault-cut.out"; do
    sleep 0.05
done
kill "$REG_PID_cut"
wait "$fuse_pid"
st=$?
FAULTS=$((FAULTS + 1))
expect_eq "fault registry cut mid-push: exit status" 1 "$st"
expect_eq "fault registry cut mid-push: first line" \
    "fuse: cannot push 127.0.0.1:$P_CUT/fuse-it/push-big:v1 to 127.0.0.1:$P_CUT: the registry is unreachable" \
    "$(first fault-cut)"
expect_eq "fault registry cut mid-push: the local tag keeps its image" "$before" \
    "$(tag_id "127.0.0.1:$P_CUT/fuse-it/push-big:v1")"
check "fault registry cut mid-push: a layer was in before the cut" \
    grep -qE '^  [0-9a-f]{12}  Pushed' "$WORK/fault-cut.out"
check "fault registry cut mid-push: no pushed line" bash -c "! grep -q '^fuse: pushed' '$WORK/fault-cut.out'"
rm -f big.bin
fault "helper missing" "$WORK/cfg-missing" base \
    "fuse: credential helper docker-credential-fuseit-missing: not found on PATH"
fault "helper failing" "$WORK/cfg-fail" base \
    "fuse: credential helper docker-credential-fuseit-fail get failed (exit 1): the keychain is locked"
printf '{"auths": {"%s": {"auth": "%s"' "$TLS" "$(b64 "fuseit:$PW")" >"$WORK/cfg-bad/config.json"
fault "malformed config.json" "$WORK/cfg-bad" base "fuse: $WORK/cfg-bad/config.json: not valid JSON"
echo '{"auths": {"x": {"auth": "!!"}}}' >"$WORK/cfg-bad/config.json"
fault "auth not base64" "$WORK/cfg-bad" base \
    "fuse: $WORK/cfg-bad/config.json: auths entry \"x\": auth is not base64 of user:password"
echo "# fault matrix: $FAULTS cases"

# ---- no credential anywhere --------------------------------------------------------------
leaks=$(grep -lE "$PW|$BADPW|$(b64 "fuseit:$PW")" "$WORK"/*.out "$WORK"/*.err 2>/dev/null)
expect_eq "no password or auth in any output of fuse" "" "$leaks"
expect_eq "no password in the project (files fuse writes)" "" "$(grep -rlE "$PW|$BADPW" "$WORK/proj")"

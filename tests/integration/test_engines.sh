#!/bin/bash
# test_engines.sh -- every way of naming the engine the docker CLI knows
# (issue 14): -H, DOCKER_HOST, --context, DOCKER_CONTEXT, config.json's
# currentContext with the CLI's own context store (made by `docker context
# create` under a DOCKER_CONFIG of this test), and ssh:// through a real
# sshd started here on its own port.
#
# The sshd: a host key, a client key and authorized_keys made here, a
# second port whose sessions have no docker on PATH (Match LocalPort). The
# client side is the user's own OpenSSH configuration: an `ssh` first on
# PATH runs the system ssh with -F and a config file of this test (known
# hosts, identity, BatchMode), as a user's ~/.ssh/config would; fuse adds
# nothing to it. A context that names a socket nobody listens on proves
# which engine a build went to; the sshd's log proves one ssh session
# served a whole build.
. "$(dirname "$0")/lib.sh"

FAULTS=0
for tool in /usr/sbin/sshd ssh ssh-keygen; do
    if ! command -v "$tool" >/dev/null; then
        not_ok "$tool is installed (make deps)"
        exit 1
    fi
done

TAG=fuse-it/ctx-engines:v1
TAG2=fuse-it/ctx-engines:two
on_exit "docker -H unix:///var/run/docker.sock rmi -f '$TAG' '$TAG2' >/dev/null 2>&1"
PROJ=$WORK/proj-ctx-engines
mkdir -p "$PROJ" "$WORK/cfg" "$WORK/bin" "$WORK/ssh"
cat >"$PROJ/fusefile.lua" <<EOF
app = docker_container { from_image = "fuse-test/busybox", tag = "$TAG" } (function ()
  yield(File { name = "/engine", contents = os.getenv("FUSE_IT_MARK") or "none" })
end)
two = docker_container { from_image = "fuse-test/busybox", tag = "$TAG2" } (function ()
  yield(File { name = "/two", contents = os.getenv("FUSE_IT_MARK") or "none" })
end)
EOF
cd "$PROJ" || exit 1
export DOCKER_CONFIG=$WORK/cfg
unset DOCKER_HOST DOCKER_CONTEXT
SOCK=/var/run/docker.sock
DEAD=unix://$WORK/nobody.sock

# built MARK: the image was built with FUSE_IT_MARK=MARK (the last run's).
# The docker CLI itself is told the engine: the test's contexts are its too.
built() { [ "$(docker -H "unix://$SOCK" run --rm "$TAG" cat /engine 2>/dev/null)" = "$1" ]; }
# fault NAME STATUS WANT ARGS...: one clear first line and the status.
fault() {
    local name=$1 status=$2 want=$3
    shift 3
    run "fault-$name" "$@"
    FAULTS=$((FAULTS + 1))
    expect_eq "fault $name: exit status" "$status" "$st"
    expect_eq "fault $name: first line" "$want" "$(first "fault-$name")"
}

# ---- contexts made by the docker CLI itself -------------------------------------
docker context create fuse-it-ctx --docker "host=unix://$SOCK" >/dev/null 2>&1
docker context create fuse-it-dead --docker "host=$DEAD" >/dev/null 2>&1
check "docker context create wrote the store" test -d "$WORK/cfg/contexts/meta"

FUSE_IT_MARK=context run ctx --context fuse-it-ctx app
expect_eq "--context: exit status" 0 "$st"
check "--context: built on the context's engine" built context
run ctx-dead --context fuse-it-dead app
expect_eq "--context to a dead socket: exit status" 1 "$st"
expect_eq "--context to a dead socket: the context's socket is named" \
    "fuse: cannot connect to the Docker daemon at $DEAD: is the docker daemon running?" \
    "$(first ctx-dead)"

DOCKER_CONTEXT=fuse-it-dead run env-dead app
expect_eq "DOCKER_CONTEXT: its engine is used" \
    "fuse: cannot connect to the Docker daemon at $DEAD: is the docker daemon running?" \
    "$(first env-dead)"
FUSE_IT_MARK=envctx DOCKER_CONTEXT=fuse-it-ctx run env-ctx app
check "DOCKER_CONTEXT: built" test "$st" = 0
check "DOCKER_CONTEXT: built on its engine" built envctx

docker context use fuse-it-dead >/dev/null 2>&1
check "docker context use wrote currentContext" grep -q fuse-it-dead "$WORK/cfg/config.json"
run cur-dead app
expect_eq "currentContext: its engine is used" \
    "fuse: cannot connect to the Docker daemon at $DEAD: is the docker daemon running?" \
    "$(first cur-dead)"
# The docker CLI's order: DOCKER_CONTEXT, -H, DOCKER_HOST, --context before it.
FUSE_IT_MARK=order1 DOCKER_CONTEXT=fuse-it-ctx run order1 app
check "DOCKER_CONTEXT comes before currentContext" built order1
FUSE_IT_MARK=order2 DOCKER_HOST=unix://$SOCK run order2 app
check "DOCKER_HOST comes before currentContext" built order2
FUSE_IT_MARK=order3 DOCKER_HOST=$DEAD run order3 -H "unix://$SOCK" app
check "-H comes before DOCKER_HOST" built order3
FUSE_IT_MARK=order4 DOCKER_HOST=$DEAD DOCKER_CONTEXT=fuse-it-dead run order4 --context fuse-it-ctx app
check "--context comes before DOCKER_HOST and DOCKER_CONTEXT" built order4
run order5 --context default -v app
check "--context default: the default socket" \
    grep -qx "fuse: engine unix://$SOCK (context default)" "$WORK/order5.out"

# -v and --version -v name the engine.
run ver --version -v
check "--version -v names the engine (currentContext)" \
    grep -qx "engine: $DEAD (context fuse-it-dead)" "$WORK/ver.out"
run ver2 --version
check "--version alone names none" bash -c "! grep -q '^engine' '$WORK/ver2.out'"
run verbose -v --context fuse-it-ctx app
check "-v names the engine first" \
    grep -qx "fuse: engine unix://$SOCK (context fuse-it-ctx)" "$WORK/verbose.out"
docker context use default >/dev/null 2>&1

# ---- ssh:// through a real sshd ---------------------------------------------------
# /run/sshd is sshd's privilege separation directory; the package's service
# makes it at boot, and it is left for any other sshd.
mkdir -p /run/sshd
S=$WORK/ssh
P=$(free_port)
P_NODOCKER=$(free_port)
P_DEAD=$(free_port)
ssh-keygen -q -t ed25519 -N '' -C fuse-it-host -f "$S/host_key"
ssh-keygen -q -t ed25519 -N '' -C fuse-it-client -f "$S/id"
ssh-keygen -q -t ed25519 -N '' -C fuse-it-stranger -f "$S/stranger"
cp "$S/id.pub" "$S/authorized_keys"
cat >"$S/sshd_config" <<EOF
Port $P
Port $P_NODOCKER
ListenAddress 127.0.0.1
HostKey $S/host_key
AuthorizedKeysFile $S/authorized_keys
PidFile $S/sshd.pid
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
LogLevel INFO
Match LocalPort $P_NODOCKER
    ForceCommand env PATH=/nonexistent /bin/sh -c "\$SSH_ORIGINAL_COMMAND"
EOF
/usr/sbin/sshd -f "$S/sshd_config" -E "$S/sshd.log"
for _ in $(seq 1 100); do [ -s "$S/sshd.pid" ] && break; sleep 0.1; done
on_exit "kill \$(cat '$S/sshd.pid' 2>/dev/null) 2>/dev/null"
check "sshd runs on 127.0.0.1:$P" test -s "$S/sshd.pid"

printf '[127.0.0.1]:%s %s\n[127.0.0.1]:%s %s\n' "$P" "$(cut -d' ' -f1-2 "$S/host_key.pub")" \
    "$P_NODOCKER" "$(cut -d' ' -f1-2 "$S/host_key.pub")" >"$S/known_hosts"
: >"$S/empty_known_hosts"
cat >"$S/config" <<EOF
Host stranger
    HostName 127.0.0.1
    IdentityFile $S/stranger
Host newhost
    HostName 127.0.0.1
    UserKnownHostsFile $S/empty_known_hosts
Host * !stranger
    IdentityFile $S/id
Host *
    IdentitiesOnly yes
    UserKnownHostsFile $S/known_hosts
    StrictHostKeyChecking yes
    BatchMode yes
EOF
printf '#!/bin/sh\nexec /usr/bin/ssh -F %s "$@"\n' "$S/config" >"$WORK/bin/ssh"
chmod +x "$WORK/bin/ssh"
export PATH=$WORK/bin:$PATH
SSH_URL=ssh://root@127.0.0.1:$P
check "the ssh client reaches the engine by itself" \
    ssh -p "$P" root@127.0.0.1 docker version --format "{{.Server.Version}}" \
    >/dev/null
accepted() { grep -c 'Accepted publickey' "$S/sshd.log"; }

before=$(accepted)
FUSE_IT_MARK=ssh run ssh -H "$SSH_URL" app
expect_eq "-H ssh://: exit status" 0 "$st"
check "-H ssh://: built on the remote engine" built ssh
expect_eq "-H ssh://: one ssh session served the whole build" 1 $(($(accepted) - before))
check "-H ssh://: ssh's stderr is not shown on success" test ! -s "$WORK/ssh.err"
before=$(accepted)
FUSE_IT_MARK=sshtwo run sshtwo -H "$SSH_URL" app two
expect_eq "two tasks over ssh://: exit status" 0 "$st"
check "two tasks over ssh://: the second built too" \
    test "$(docker -H "unix://$SOCK" run --rm "$TAG2" cat /two 2>/dev/null)" = sshtwo
expect_eq "two tasks over ssh://: one ssh session for the whole run" 1 $(($(accepted) - before))
FUSE_IT_MARK=sshenv DOCKER_HOST=$SSH_URL run sshenv -v app
check "DOCKER_HOST=ssh://: built" built sshenv
check "DOCKER_HOST=ssh://: -v names it" \
    grep -qx "fuse: engine $SSH_URL (context default)" "$WORK/sshenv.out"
docker context create fuse-it-ssh --docker "host=$SSH_URL" >/dev/null 2>&1
FUSE_IT_MARK=sshctx run sshctx --context fuse-it-ssh app
expect_eq "a context naming ssh://: exit status" 0 "$st"
check "a context naming ssh://: built" built sshctx
FUSE_IT_MARK=sshsock run sshsock -H "$SSH_URL$SOCK" app
expect_eq "ssh://host/SOCKET: exit status" 0 "$st"
check "ssh://host/SOCKET: built through the named remote socket" built sshsock
run sshq -q -H "$SSH_URL" app
check "-q over ssh: nothing printed" test "$st" = 0 -a ! -s "$WORK/sshq.out" -a ! -s "$WORK/sshq.err"

# ---- the faults ---------------------------------------------------------------------
fault "unknown context (--context)" 2 \
    "fuse: --context nosuch: no such docker context (\`docker context ls\` lists them)" \
    --context nosuch app
DOCKER_CONTEXT=nosuch fault "unknown context (DOCKER_CONTEXT)" 1 \
    "fuse: DOCKER_CONTEXT=nosuch: no such docker context (\`docker context ls\` lists them)" \
    app
fault "-H and --context" 2 "fuse: conflicting options: cannot specify both --host and --context" \
    -H "unix://$SOCK" --context fuse-it-ctx app
fault "ssh host unreachable" 1 \
    "fuse: cannot reach ssh://root@127.0.0.1:$P_DEAD: ssh: connect to host 127.0.0.1 port $P_DEAD: Connection refused" \
    -H "ssh://root@127.0.0.1:$P_DEAD" app
fault "ssh auth refused" 1 \
    "fuse: ssh://root@stranger:$P: the ssh login was refused: root@127.0.0.1: Permission denied (publickey)." \
    -H "ssh://root@stranger:$P" app
check "fault ssh auth refused: ssh's own words follow" \
    grep -q '^root@127.0.0.1: Permission denied' "$WORK/fault-ssh auth refused.err"
fault "unknown host key" 1 \
    "fuse: ssh://root@newhost:$P: the host key is not known (add it to known_hosts): Host key verification failed." \
    -H "ssh://root@newhost:$P" app
fault "remote without docker" 1 \
    "fuse: ssh://root@127.0.0.1:$P_NODOCKER: no docker command on the remote host: /bin/sh: 1: docker: not found" \
    -H "ssh://root@127.0.0.1:$P_NODOCKER" app
fault "ssh URL with a password" 2 \
    "fuse: -H ssh://root:pw@127.0.0.1: a password in the URL is not supported" \
    -H "ssh://root:pw@127.0.0.1" app
echo "# fault matrix: $FAULTS cases"
check "no ssh is left running" bash -c "! pgrep -f -- '-F $S/confi[g]' >/dev/null"
expect_eq "no temp file of fuse left" "" "$(find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'fuse-ssh.*' 2>/dev/null)"

# shellcheck shell=bash
# tests/integration/dockerd2.sh -- sourced: a private second Docker engine.
#
# Fault and TLS tests stop, crash, starve or reconfigure an engine; they must
# never do that to the shared one at /var/run/docker.sock. d2_start starts
# Debian's dockerd on its own socket, data-root, exec-root and pidfile under
# D2_DIR (its own bridge, no iptables: nothing touches the host's network), with
# any extra dockerd arguments given; d2_stop stops it and removes D2_DIR.
# It gets a bridge of its own: dockerd --bridge=none deletes the host's
# docker0 at start (moby's removeDefaultBridgeInterface), which would cut
# the shared engine's containers off the network. The bridge's address is
# from TEST-NET-1 (192.0.2.0/24): no traffic leaves it (no iptables).
# D2_HOST is the DOCKER_HOST of the private engine. d2_busybox copies the
# shared engine's fuse-test/busybox into it (docker save | docker load).

D2_DIR=${D2_DIR:-}
D2_PID=
D2_BRIDGE=fused2-$$

d2() { docker -H "$D2_HOST" "$@"; }

# d2_start DIR [DOCKERD_ARGS...]: DIR/data may already be a mount point.
d2_start() {
    D2_DIR=$1
    shift
    mkdir -p "$D2_DIR/data" "$D2_DIR/exec"
    D2_HOST=unix://$D2_DIR/docker.sock
    if ! ip link show "$D2_BRIDGE" >/dev/null 2>&1; then
        ip link add "$D2_BRIDGE" type bridge &&
            ip addr add 192.0.2.1/24 dev "$D2_BRIDGE" &&
            ip link set "$D2_BRIDGE" up || return 1
    fi
    # Its own TMPDIR: a dockerd whose containerd is slow to stop dumps
    # containerd's stacks into TMPDIR, which the fault tests check is empty
    # of anything fuse left.
    mkdir -p "$D2_DIR/tmp"
    TMPDIR="$D2_DIR/tmp" dockerd -H "unix://$D2_DIR/docker.sock" --data-root "$D2_DIR/data" \
        --exec-root "$D2_DIR/exec" --pidfile "$D2_DIR/docker.pid" \
        --bridge="$D2_BRIDGE" --iptables=false --ip-masq=false "$@" >>"$D2_DIR/dockerd.log" 2>&1 &
    D2_PID=$!
    local _
    for _ in $(seq 1 150); do
        DOCKER_HOST="unix://$D2_DIR/docker.sock" docker version >/dev/null 2>&1 && return 0
        kill -0 "$D2_PID" 2>/dev/null || break
        sleep 0.2
    done
    echo "dockerd2: did not answer; see $D2_DIR/dockerd.log" >&2
    tail -5 "$D2_DIR/dockerd.log" >&2
    return 1
}

# d2_halt [SIGNAL]: stops the private engine (TERM by default) and waits for it.
d2_halt() {
    [ -n "$D2_PID" ] || return 0
    kill "-${1:-TERM}" "$D2_PID" 2>/dev/null
    wait "$D2_PID" 2>/dev/null
    D2_PID=
    # A killed dockerd leaves its containerd behind; it exits once its
    # socket's owner is gone, so wait for the pid file it keeps.
    local pid
    pid=$(cat "$D2_DIR/exec/containerd/containerd.pid" 2>/dev/null)
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
}

# d2_stop: halts it, unmounts what the engine or the test mounted below
# D2_DIR and removes D2_DIR.
d2_stop() {
    [ -n "$D2_DIR" ] || return 0
    d2_halt TERM
    awk -v d="$D2_DIR" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r |
        while read -r m; do umount -l "$m" 2>/dev/null; done
    rm -rf "$D2_DIR"
    D2_DIR=
    ip link del "$D2_BRIDGE" 2>/dev/null
}

d2_busybox() {
    docker save fuse-test/busybox | d2 load >/dev/null
}

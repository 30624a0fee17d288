# bench/cases_ship.sh -- sourced by bench/run.sh: pushing the seed image to
# a registry, and a warm build over ssh:// (issue 14's targets).
#
# Both use the seed's app_server image that case 2 built ($P-hello-fuse,
# examples/hello), so they run after it. Knobs: BENCH_SHIP_REPS (3) runs of
# each side. Case 10 needs Debian's docker-registry; case 11 root and
# openssh-server (its own sshd on a free port, a key made here, the
# client's configuration given with -F through an `ssh` first on PATH).
# Each case that lacks what it needs is reported as skipped.
# shellcheck shell=bash

SHIP_REPS=${BENCH_SHIP_REPS:-3}

# shellcheck source=tests/integration/ports.sh
. "$ROOT/tests/integration/ports.sh"

# ship_registry DIR: a fresh docker-registry on 127.0.0.1 (dockerd speaks
# plain HTTP to loopback registries); sets REG (host:port) and REG_PID.
ship_registry() {
    local dir=$1 port
    port=$(free_port)
    rm -rf "$dir" && mkdir -p "$dir/data"
    printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
        "$dir/data" "$port" >"$dir/config.yml"
    docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
    REG_PID=$!
    REG=127.0.0.1:$port
    for _ in $(seq 1 100); do
        curl -s -o /dev/null "http://$REG/v2/" && return 0
        sleep 0.1
    done
    say "docker-registry did not answer on $REG"
    exit 1
}
ship_registry_stop() {
    kill "$REG_PID" 2>/dev/null || true
    wait "$REG_PID" 2>/dev/null || true
}

# Case 10: fuse --push of the seed image (already built and tagged for the
# registry, so fuse finds it up to date and only pushes) vs docker push of
# the same image; a fresh registry for every push, the two alternating.
case_push() {
    if ! command -v docker-registry >/dev/null; then
        row "10 push seed image (app_server)" "skipped" "-" "-" "<= 1.10" "no docker-registry"
        return 0
    fi
    say "case 10: push of app_server to a fresh local registry, $SHIP_REPS runs each"
    local i f=() b=() ref id
    id=$("$DOCKER" image inspect -f '{{.Id}}' "$P-hello-fuse")
    for ((i = 1; i <= SHIP_REPS; i++)); do
        ship_registry "$WORK/reg"
        ref=$REG/fuse-bench/$$-hello:v1
        run sh -c "cd '$WORK/hello' && '$FUSE' -q app_server:tag=$ref"
        f+=("$(cd "$WORK/hello" && secs "$FUSE" -q --push "app_server:tag=$ref")")
        ship_registry_stop
        "$DOCKER" rmi "$ref" >/dev/null 2>&1 || true
        ship_registry "$WORK/reg"
        ref=$REG/fuse-bench/$$-hello:v1
        run "$DOCKER" tag "$id" "$ref"
        b+=("$(secs "$DOCKER" push -q "$ref")")
        ship_registry_stop
        "$DOCKER" rmi "$ref" >/dev/null 2>&1 || true
        say "push run $i: fuse ${f[-1]} s, docker push ${b[-1]} s"
    done
    local fm bm r
    fm=$(median "${f[@]}")
    bm=$(median "${b[@]}")
    r=$(ratio "$fm" "$bm")
    row "10 push seed image (app_server)" "$(fmt_s "$fm")" "$(fmt_s "$bm")" "$r" "<= 1.10" \
        "$(verdict "$r" 1.10)"
    rm -rf "$WORK/reg"
}

# ship_sshd: an sshd on 127.0.0.1:SSH_PORT that lets this user in with a
# key made here, and an `ssh` on PATH that uses a client config of ours.
ship_sshd() {
    local s=$WORK/sshd
    mkdir -p "$s/bin" /run/sshd
    SSH_PORT=$(free_port)
    ssh-keygen -q -t ed25519 -N '' -f "$s/host_key"
    ssh-keygen -q -t ed25519 -N '' -f "$s/id"
    cp "$s/id.pub" "$s/authorized_keys"
    printf 'Port %s\nListenAddress 127.0.0.1\nHostKey %s/host_key\nAuthorizedKeysFile %s/authorized_keys\nPidFile %s/pid\nPermitRootLogin prohibit-password\nPasswordAuthentication no\nUsePAM no\nStrictModes no\n' \
        "$SSH_PORT" "$s" "$s" "$s" >"$s/sshd_config"
    printf '[127.0.0.1]:%s %s\n' "$SSH_PORT" "$(cut -d' ' -f1-2 "$s/host_key.pub")" >"$s/known_hosts"
    printf 'Host *\n    IdentityFile %s/id\n    IdentitiesOnly yes\n    UserKnownHostsFile %s/known_hosts\n    BatchMode yes\n' \
        "$s" "$s" >"$s/config"
    printf '#!/bin/sh\nexec /usr/bin/ssh -F %s/config "$@"\n' "$s" >"$s/bin/ssh"
    chmod +x "$s/bin/ssh"
    /usr/sbin/sshd -f "$s/sshd_config" -E "$s/log"
    for _ in $(seq 1 100); do [ -s "$s/pid" ] && return 0; sleep 0.1; done
    say "sshd did not start"
    exit 1
}

# Case 11: fuse's warm rebuild of app_server (nothing changed: up to date,
# no build sent) over ssh:// vs over the engine's unix socket, alternating;
# 11b the docker CLI's warm build of the hand-written Dockerfile the same
# two ways: what ssh itself costs (its handshake) whoever drives it.
case_ssh() {
    if [ "$(id -u)" != 0 ] || [ ! -x /usr/sbin/sshd ]; then
        row "11 warm rebuild over ssh://" "skipped" "-" "-" "<= 1.20" "needs root and sshd"
        return 0
    fi
    say "case 11: warm rebuild of app_server over ssh:// vs unix://, $SHIP_REPS runs each"
    ship_sshd
    local url=ssh://$(id -un)@127.0.0.1:$SSH_PORT i f=() b=() path=$WORK/sshd/bin:$PATH
    run sh -c "cd '$WORK/hello' && PATH='$path' '$FUSE' -q -H '$url' app_server:tag=$P-hello-fuse"
    run "$DOCKER" build -q -t "$P-hello-df" "$WORK/hello-df"
    local ds=() du=()
    for ((i = 1; i <= SHIP_REPS; i++)); do
        f+=("$(cd "$WORK/hello" && PATH=$path secs "$FUSE" -q -H "$url" "app_server:tag=$P-hello-fuse")")
        b+=("$(cd "$WORK/hello" && secs "$FUSE" -q -H unix:///var/run/docker.sock "app_server:tag=$P-hello-fuse")")
        ds+=("$(PATH=$path secs "$DOCKER" -H "$url" build -q -t "$P-hello-df" "$WORK/hello-df")")
        du+=("$(secs "$DOCKER" -H unix:///var/run/docker.sock build -q -t "$P-hello-df" "$WORK/hello-df")")
        say "ssh run $i: fuse over ssh ${f[-1]} s, over unix ${b[-1]} s; docker build ${ds[-1]} s, ${du[-1]} s"
    done
    kill "$(cat "$WORK/sshd/pid")" 2>/dev/null || true
    local fm bm r
    fm=$(median "${f[@]}")
    bm=$(median "${b[@]}")
    r=$(ratio "$fm" "$bm")
    row "11 warm rebuild over ssh://" "$(fmt_ms "$fm")" "$(fmt_ms "$bm") (unix://)" "$r" "<= 1.20" \
        "$(verdict "$r" 1.20)"
    fm=$(median "${ds[@]}")
    bm=$(median "${du[@]}")
    row "11b   docker build over ssh://" "$(fmt_ms "$fm")" "$(fmt_ms "$bm") (unix://)" \
        "$(ratio "$fm" "$bm")" "-" "-"
}

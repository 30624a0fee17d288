# shellcheck shell=bash
# tests/integration/podman.sh -- sourced: Podman's Docker-compatible service.
#
# pm_start starts `podman system service` on its own socket under PM_DIR
# (/tmp/podman-*), with its own containers.conf, storage.conf and
# registries.conf there: the host's Podman configuration, storage and
# /run/libpod are neither read nor touched, and the service's temporary
# files (build contexts) go below PM_DIR too, not in /tmp. It exports
# DOCKER_HOST for the service, so fuse and the docker CLI both talk to it.
# pm_stop stops it, unmounts what it left mounted and removes PM_DIR.
#
# The base images are engine.sh's (made on the default Docker engine by
# base_images), copied over with docker save | docker load; Podman's
# compat API then knows them as docker.io/library/debian:bookworm and
# docker.io/fuse-test/busybox, so FROM debian:bookworm resolves as on Docker.

PM_DIR=${PM_DIR:-}
PM_PID=

pm() { docker -H "unix://$PM_DIR/podman.sock" "$@"; }

# pm_conf: the service's configuration files, in PM_DIR.
# runc cannot raise RLIMIT_NOFILE/NPROC past the hard limits, and Podman
# sets no lower ones for a build unless containers.conf says so; Podman also
# caps its own process limit at 32768 when it starts, so nproc stays below
# that whatever this shell allows.
pm_conf() {
    local nofile nproc
    nofile=$(ulimit -Hn)
    nproc=$(ulimit -Hu)
    [ "$nofile" = unlimited ] && nofile=1048576
    [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ] && nproc=32768
    cat >"$PM_DIR/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
tmp_dir = "$PM_DIR/libpod"
events_logger = "file"
events_logfile_path = "$PM_DIR/events.log"
EOF
    cat >"$PM_DIR/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$PM_DIR/storage"
runroot = "$PM_DIR/run"
EOF
    # No registry is reachable: short names mean docker.io, as on Docker,
    # and are never looked up anywhere else.
    cat >"$PM_DIR/registries.conf" <<EOF
unqualified-search-registries = ["docker.io"]
short-name-mode = "permissive"
EOF
}

pm_answers() {
    curl -sf --unix-socket "$PM_DIR/podman.sock" http://podman/_ping >/dev/null 2>&1
}

# pm_start [DIR]: DIR defaults to a new /tmp/podman-XXXXXX.
pm_start() {
    PM_DIR=${1:-$(mktemp -d /tmp/podman-XXXXXX)}
    mkdir -p "$PM_DIR/tmp" "$PM_DIR/libpod" || return 1
    pm_conf
    CONTAINERS_CONF=$PM_DIR/containers.conf CONTAINERS_STORAGE_CONF=$PM_DIR/storage.conf \
        CONTAINERS_REGISTRIES_CONF=$PM_DIR/registries.conf TMPDIR=$PM_DIR/tmp \
        podman system service --time=0 "unix://$PM_DIR/podman.sock" >"$PM_DIR/service.log" 2>&1 &
    PM_PID=$!
    local _
    for _ in $(seq 1 100); do
        pm_answers && break
        kill -0 "$PM_PID" 2>/dev/null || break
        sleep 0.1
    done
    if ! pm_answers; then
        echo "podman: the service did not answer; see $PM_DIR/service.log" >&2
        tail -5 "$PM_DIR/service.log" >&2
        return 1
    fi
    export DOCKER_HOST=unix://$PM_DIR/podman.sock
    pm_base_images
}

# pm_base_images: engine.sh's images, made on the default engine, loaded here.
pm_base_images() {
    (unset DOCKER_HOST && base_images) || return 1
    local img
    for img in debian:bookworm fuse-test/busybox; do
        pm image inspect "$img" >/dev/null 2>&1 && continue
        # docker load through the compat API names them localhost/...; the
        # docker.io/ names are those FROM's short names resolve to.
        if ! DOCKER_HOST='' docker save "$img" | pm load >/dev/null ||
            ! pm tag "localhost/$img" "$img"; then
            echo "podman: cannot load $img" >&2
            return 1
        fi
    done
}

pm_stop() {
    [ -n "$PM_DIR" ] || return 0
    if [ -n "$PM_PID" ]; then
        kill "$PM_PID" 2>/dev/null
        wait "$PM_PID" 2>/dev/null
        PM_PID=
    fi
    awk -v d="$PM_DIR" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r |
        while read -r m; do umount -l "$m" 2>/dev/null; done
    rm -rf "$PM_DIR"
    PM_DIR=
}

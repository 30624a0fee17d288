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
# Its images and layer cache live in PM_STORE when set (engine.sh sets
# /tmp/podman-store, kept between runs as dockerd keeps its own: base images
# are loaded once and the examples' builds are warm), else in PM_DIR.
#
# The base images are engine.sh's (made on the default Docker engine by
# base_images), copied over with docker save | docker load; Podman's
# compat API then knows them as docker.io/library/debian:bookworm and
# docker.io/fuse-test/busybox, so FROM debian:bookworm resolves as on Docker.

# shellcheck source=tests/integration/engine.sh
declare -F base_images >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/engine.sh"

PM_DIR=${PM_DIR:-}
PM_PID=
PM_STORE=${PM_STORE:-}

pm() { docker -H "unix://$PM_DIR/podman.sock" "$@"; }
# PM_ENV: the environment of the service's configuration and storage, for
# env(1); pm_podman ARGS... runs the podman CLI itself with it.
PM_ENV=()
pm_podman() { env "${PM_ENV[@]}" podman "$@"; }

# pm_conf: the service's configuration files, in PM_DIR. tmp_dir goes with
# the storage: Podman records it in the store's database at the first start
# and uses that one ever after.
# runc cannot raise RLIMIT_NOFILE/NPROC past the hard limits, and Podman
# sets no lower ones for a build unless containers.conf says so; Podman also
# caps its own process limit at 32768 when it starts, so nproc stays below
# that whatever this shell allows.
pm_conf() {
    local nofile nproc store=${PM_STORE:-$PM_DIR}
    nofile=$(ulimit -Hn)
    nproc=$(ulimit -Hu)
    [ "$nofile" = unlimited ] && nofile=1048576
    [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ] && nproc=32768
    cat >"$PM_DIR/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
tmp_dir = "$store/libpod"
events_logger = "file"
events_logfile_path = "$PM_DIR/events.log"
EOF
    cat >"$PM_DIR/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$store/storage"
runroot = "$store/run"
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
    mkdir -p "$PM_DIR/tmp" || return 1
    pm_conf
    PM_ENV=("CONTAINERS_CONF=$PM_DIR/containers.conf" "CONTAINERS_STORAGE_CONF=$PM_DIR/storage.conf"
        "CONTAINERS_REGISTRIES_CONF=$PM_DIR/registries.conf" "TMPDIR=$PM_DIR/tmp")
    # Not through pm_podman: $! must be podman's own pid (env execs it), not
    # a subshell's that a signal would leave it running behind.
    env "${PM_ENV[@]}" podman system service --time=0 "unix://$PM_DIR/podman.sock" \
        >"$PM_DIR/service.log" 2>&1 &
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
    # Scripts run from tests/run.sh see PM_DIR and use this service (lib.sh).
    export DOCKER_HOST=unix://$PM_DIR/podman.sock PM_DIR
    pm_base_images
}

# pm_base_images: engine.sh's images, made on the default engine, loaded
# here: PM_IMAGES, or both.
pm_base_images() {
    (unset DOCKER_HOST && base_images) || return 1
    local img
    for img in ${PM_IMAGES:-debian:bookworm fuse-test/busybox}; do
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

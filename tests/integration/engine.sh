# tests/integration/engine.sh -- sourced: a real Docker engine and base images.
#
# engine_up: uses the engine that answers on DOCKER_HOST (or the default
# socket); when none does, starts Debian's dockerd in the background, waits
# for its socket and remembers that we started it. engine_down stops only
# what engine_up started. Base images are made locally (no registry here)
# and reused across runs:
#   debian:bookworm      debootstrap --variant=minbase bookworm + docker import
#   fuse-test/busybox    busybox-static with its applet links
# FUSE_TEST_ENGINE=podman: engine_up then also starts Podman's service
# (podman.sh) with those images and points DOCKER_HOST at it, so the tests
# run on Podman; engine_down stops it.

FUSE_ENGINE_STARTED=${FUSE_ENGINE_STARTED:-}

engine_answers() {
    docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

engine_up() {
    if ! engine_answers; then
        if [ -n "${DOCKER_HOST:-}" ] && [ "${DOCKER_HOST#unix://}" = "$DOCKER_HOST" ]; then
            echo "engine: DOCKER_HOST=$DOCKER_HOST does not answer" >&2
            return 1
        fi
        echo "engine: starting dockerd" >&2
        dockerd >/tmp/fuse-dockerd.log 2>&1 &
        FUSE_ENGINE_STARTED=$!
        export FUSE_ENGINE_STARTED
        local i
        for i in $(seq 1 120); do
            engine_answers && break
            sleep 0.5
        done
        engine_answers || { echo "engine: dockerd did not answer; see /tmp/fuse-dockerd.log" >&2; return 1; }
    fi
    base_images || return 1
    if [ "${FUSE_TEST_ENGINE:-docker}" = podman ]; then
        # shellcheck source=tests/integration/podman.sh
        . "$(dirname "${BASH_SOURCE[0]}")/podman.sh"
        pm_start ""
    fi
}

engine_down() {
    if [ -n "${PM_DIR:-}" ]; then
        pm_stop
        unset DOCKER_HOST
    fi
    if [ -n "$FUSE_ENGINE_STARTED" ]; then
        kill "$FUSE_ENGINE_STARTED" 2>/dev/null
        wait "$FUSE_ENGINE_STARTED" 2>/dev/null
        FUSE_ENGINE_STARTED=
    fi
}

base_images() {
    if ! docker image inspect debian:bookworm >/dev/null 2>&1; then
        echo "engine: making debian:bookworm with debootstrap (about 30 s)" >&2
        local root
        root=$(mktemp -d /tmp/fuse-bookworm.XXXXXX)
        if ! debootstrap --variant=minbase bookworm "$root" \
            >/tmp/fuse-debootstrap.log 2>&1; then
            echo "engine: debootstrap failed; see /tmp/fuse-debootstrap.log" >&2
            rm -rf "$root"
            return 1
        fi
        tar -C "$root" -c . | docker import - debian:bookworm >/dev/null || { rm -rf "$root"; return 1; }
        rm -rf "$root"
    fi
    if ! docker image inspect fuse-test/busybox >/dev/null 2>&1; then
        local root
        root=$(mktemp -d /tmp/fuse-busybox.XXXXXX)
        mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root"
        cp /bin/busybox "$root/bin/busybox"
        local a
        for a in $("$root/bin/busybox" --list); do
            [ "$a" = busybox ] || ln -s busybox "$root/bin/$a"
        done
        printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
        printf 'root:x:0:\n' >"$root/etc/group"
        tar -C "$root" -c . | docker import -c 'ENV PATH=/bin' - fuse-test/busybox >/dev/null ||
            { rm -rf "$root"; return 1; }
        rm -rf "$root"
    fi
}

#!/bin/sh
# Installs the Debian packages fuse needs to build and test, when missing.
# A fresh Debian machine has none of them; an equipped one pays one dpkg-query.
# podman: its service is the second engine of the integration tests
# (tests/integration/podman.sh); run as root with the kernel's overlay, it
# needs only what it depends on (conmon, runc, a network stack), not the
# rootless helpers it recommends (uidmap, slirp4netns, fuse-overlayfs).
# "tools/deps.sh bench" (make bench) adds the bench's baselines: Ansible.
set -e
PKGS="build-essential pkg-config liblua5.4-dev lua5.4 libcurl4-openssl-dev libyajl-dev
libarchive-dev check docker.io debootstrap busybox-static musl-tools lua-check curl
valgrind cppcheck clang-format file clang libclang-rt-14-dev man-db groff-base bsdutils openssl
docker-registry apache2-utils time podman openssh-client openssh-server procps python3"
[ "${1:-}" = bench ] && PKGS="$PKGS ansible"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "fuse: installing missing packages:$missing" >&2
if [ "$(id -u)" != 0 ]; then
    echo "fuse: run as root (or install them by hand):$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null

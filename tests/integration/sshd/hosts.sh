# shellcheck shell=bash
# tests/integration/sshd/hosts.sh -- sshd hosts in containers, for
# test_blueprint.sh and bench/cases_blueprint.sh (sourced; needs FUSE).
#
#   sshd_setup DIR            key, known_hosts and ssh_config in DIR; exports
#                             FUSE_SSH="ssh -F DIR/ssh_config" (login deploy)
#   sshd_image DIR TAG [K=V]  builds the image of sshd/fusefile.lua as TAG
#                             (K=V: more task arguments, python=yes)
#   sshd_host NAME TAG [OPTS] runs a host (docker run OPTS), waits for its
#                             sshd, adds its keys to known_hosts; sets IP
# Each host's keys are also kept in DIR/keys.IP.
SSHD_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

sshd_setup() {
    SSHD_WORK=$1
    mkdir -p "$SSHD_WORK"
    ssh-keygen -q -t ed25519 -N '' -C fuse-test -f "$SSHD_WORK/id" || return 1
    : >"$SSHD_WORK/known_hosts"
    printf '%s\n' "Host *" "  IdentityFile $SSHD_WORK/id" "  IdentitiesOnly yes" \
        "  UserKnownHostsFile $SSHD_WORK/known_hosts" "  GlobalKnownHostsFile /dev/null" \
        "  User deploy" >"$SSHD_WORK/ssh_config"
    export FUSE_SSH="ssh -F $SSHD_WORK/ssh_config"
}

sshd_image() {
    local dir=$1/sshd-img word=sshd:tag=$2${3:+,$3}
    mkdir -p "$dir"
    cp "$SSHD_WORK/id.pub" "$SSHD_DIR/fusefile.lua" "$dir/" || return 1
    (cd "$dir" && "$FUSE" -q "$word")
}

sshd_host() {
    local name=$1 tag=$2
    shift 2
    docker run -d --name "$name" "$@" "$tag" >/dev/null || return 1
    IP=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$name")
    for _ in $(seq 1 50); do
        ssh-keyscan -T 2 "$IP" 2>/dev/null | grep -v '^#' >"$SSHD_WORK/keys.$IP"
        [ -s "$SSHD_WORK/keys.$IP" ] && break
        sleep 0.2
    done
    [ -s "$SSHD_WORK/keys.$IP" ] || return 1
    cat "$SSHD_WORK/keys.$IP" >>"$SSHD_WORK/known_hosts"
}

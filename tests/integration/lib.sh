# tests/integration/lib.sh -- sourced by every integration test.
#
# ok/not_ok print the lines tests/run.sh counts. check NAME CMD... runs CMD
# and reports. Each test script works in its own temp dir, removed on exit,
# and removes the images it tagged (fuse-it/*) with on_exit.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FUSE=${FUSE_BUILD:-$ROOT/build}/fuse
FUSE_APPLY=${FUSE_BUILD:-$ROOT/build}/fuse-apply
WORK=$(mktemp -d /tmp/fuse-it.XXXXXX)
# fuse's source-hash cache (fuse(1), FILES) is the test's own, gone with it:
# no test leaves a file in the home directory or reads another's.
export XDG_CACHE_HOME=$WORK/.cache

# on_exit CMD: runs CMD (eval'ed, so it sees the variables as they are then)
# when the script exits, the last registered first, before $WORK goes. The
# one EXIT trap is lib.sh's: a script that set its own would lose $WORK's
# removal and every other hook.
LIB_ON_EXIT=()
on_exit() { LIB_ON_EXIT+=("$1"); }
lib_exit() {
    local i
    for ((i = ${#LIB_ON_EXIT[@]} - 1; i >= 0; i--)); do
        eval "${LIB_ON_EXIT[i]}"
    done
    rm -rf "$WORK"
}
trap lib_exit EXIT

# FUSE_WRAPPER="valgrind -q ..." (make valgrind) runs every fuse invocation
# under that command: $FUSE becomes a script, so "$FUSE", timeout "$FUSE" and
# script -c "'$FUSE' ..." all go through it. FUSE_BIN is the binary itself.
FUSE_BIN=$FUSE
if [ -n "${FUSE_WRAPPER:-}" ]; then
    FUSE=$WORK/wrap/fuse
    mkdir -p "$WORK/wrap"
    printf '#!/bin/sh\nexec %s %s "$@"\n' "$FUSE_WRAPPER" "'$FUSE_BIN'" >"$FUSE"
    chmod +x "$FUSE"
fi

# FUSE_TEST_BUILDKIT=0|1 picks the builder (DOCKER_BUILDKIT); unset, fuse's
# default (BuildKit where the engine has it). tests/run.sh runs the scripts
# that follow a build's steps once more with the classic builder.
if [ -n "${FUSE_TEST_BUILDKIT:-}" ]; then
    export DOCKER_BUILDKIT=$FUSE_TEST_BUILDKIT
fi

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; }

# check NAME CMD...: passes when CMD exits 0.
check() {
    local name=$1
    shift
    if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# expect_eq NAME EXPECTED ACTUAL
expect_eq() {
    if [ "$2" = "$3" ]; then ok "$1"; else
        not_ok "$1"
        printf '    expected: %s\n    actual:   %s\n' "$2" "$3"
    fi
}

# image_labels IMAGE: its labels as JSON, less the one Podman adds to every
# image it builds (io.buildah.version): the same answer on both engines;
# and less fuse.plan, the keys of the build (test_plan.sh reads them).
image_labels() {
    docker image inspect -f '{{json .Config.Labels}}' "$1" 2>/dev/null |
        sed -e 's/"io\.buildah\.version":"[^"]*",//' -e 's/,\?"io\.buildah\.version":"[^"]*"//' \
            -e 's/"fuse\.plan":"[^"]*",//' -e 's/,\?"fuse\.plan":"[^"]*"//'
}

# shellcheck source=tests/integration/ports.sh
. "$ROOT/tests/integration/ports.sh"

# run NAME ARGS...: fuse with ARGS, its output in $WORK/NAME.out and .err,
# its status in $st. first NAME: the first line it wrote on stderr.
run() {
    local name=$1
    shift
    "$FUSE" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
    st=$?
}
first() { head -n 1 "$WORK/$1.err"; }

# repo_tags IMAGE: its tags, sorted, on one line, as Docker names them:
# Podman's compat API keeps the docker.io/ (and docker.io/library/) prefix.
repo_tags() {
    docker image inspect -f '{{range .RepoTags}}{{.}} {{end}}' "$1" 2>&1 | xargs -n1 |
        sed 's#^docker\.io/\(library/\)\{0,1\}##' | sort | paste -sd' '
}

# FUSE_TEST_ENGINE=podman: the tests run on Podman's service (podman.sh).
# tests/run.sh starts one for all scripts (PM_DIR set); a script run alone
# starts its own and stops it on exit.
if [ "${FUSE_TEST_ENGINE:-docker}" = podman ] && [ -z "${PM_DIR:-}" ]; then
    # shellcheck source=tests/integration/engine.sh
    . "$ROOT/tests/integration/engine.sh"
    engine_up || exit 1
    on_exit engine_down
fi
# The engine's -v output, whichever builder wrote it (classic "Step N/M :
# TEXT" then " ---> Using cache", Podman "STEP N/M: TEXT" and "--> Using
# cache", BuildKit "#V [N/M] TEXT" then "#V CACHED" or "#V DONE"), as lines
# "N ran|cached TEXT". Numbers are the builder's: all count FROM, COPY and
# RUN alike.
engine_steps() {
    awk '/^(Step|STEP) [0-9]+\//{ if (n) print n, st, t; split($2, a, "/"); n = a[1]; st = "ran"
                            t = $0; sub(/^(Step|STEP) [^:]*: */, "", t); next }
         /^ ?-+> Using cache/{ st = "cached" }
         /^#[0-9]+ \[ *[0-9]+\/[0-9]+\] /{ t = $0; sub(/^#[0-9]+ \[ */, "", t); k = t
                            sub(/\/.*/, "", k); sub(/^[^]]*\] /, "", t); num[$1] = k; txt[$1] = t }
         /^#[0-9]+ (DONE|CACHED)$/{ if ($1 in num) print num[$1], ($2 == "DONE" ? "ran" : "cached"), txt[$1] }
         END { if (n) print n, st, t }' "$1"
}
# steps_ran FILE: the steps that ran (not from the cache) after FROM, "5 6".
steps_ran() { engine_steps "$1" | awk '$2 == "ran" && $1 != 1 { print $1 }' | paste -sd' '; }
# steps_cached FILE: the steps taken from the cache after FROM.
steps_cached() { engine_steps "$1" | awk '$2 == "cached" && $1 != 1 { print $1 }' | paste -sd' '; }
# step_text FILE N: the instruction of step N as the engine printed it
# (one line per build the output holds).
step_text() { engine_steps "$1" | awk -v n="$2" '$1 == n { $1 = ""; $2 = ""; sub(/^  /, ""); print }'; }

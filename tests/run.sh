#!/bin/bash
# tests/run.sh [--unit|--integration] [--valgrind] BUILD_DIR
#
# Runs the Check unit tests (build/tests/test_*) and the integration tests
# (tests/integration/test_*.sh, against a real Docker engine; a subset again
# against Podman, see PODMAN_TESTS below) and closes with
# one line "N passed, N failed". Exit status 0 only when nothing failed.
set -u
cd "$(dirname "$0")/.."
mode=all valgrind=0
while [ $# -gt 1 ]; do
    case "$1" in
    --unit) mode=unit ;;
    --integration) mode=integration ;;
    --valgrind) valgrind=1 ;;
    esac
    shift
done
BUILD=${1:-build}
case $BUILD in /*) export FUSE_BUILD=$BUILD ;; *) export FUSE_BUILD=$PWD/$BUILD ;; esac
passed=0 failed=0
failures=()
# Locks live outside /tmp, whose contents the fault tests compare before and
# after (a lock another checkout creates meanwhile is no leftover of fuse).
LOCKS=/run/lock
[ -d "$LOCKS" ] && [ -w "$LOCKS" ] || LOCKS=${TMPDIR:-/tmp}

run_unit() {
    local t out n f e
    for t in "$BUILD"/tests/test_*; do
        [ -x "$t" ] || continue
        # test_docker builds fixed tags on the real engine: one run at a time.
        if [ "$valgrind" = 1 ]; then
            out=$(CK_FORK=no flock "$LOCKS/fuse-it.${t##*/}.lock" valgrind -q --error-exitcode=99 --leak-check=full \
                --errors-for-leak-kinds=definite,indirect "$t" 2>&1)
        else
            out=$(flock "$LOCKS/fuse-it.${t##*/}.lock" "$t" 2>&1)
        fi
        local rc=$?
        # Check prints: "100%: Checks: 12, Failures: 0, Errors: 0"
        n=$(sed -n 's/.*Checks: \([0-9]*\).*/\1/p' <<<"$out" | tail -1)
        f=$(sed -n 's/.*Failures: \([0-9]*\).*/\1/p' <<<"$out" | tail -1)
        e=$(sed -n 's/.*Errors: \([0-9]*\).*/\1/p' <<<"$out" | tail -1)
        n=${n:-0} f=${f:-0} e=${e:-0}
        if [ "$rc" != 0 ] && [ $((f + e)) = 0 ]; then
            e=1 # crashed, or valgrind found errors
        fi
        passed=$((passed + n - f - e))
        failed=$((failed + f + e))
        if [ $((f + e)) != 0 ]; then
            failures+=("${t##*/}")
            printf '%s\n' "$out" | grep -v '^Running suite' >&2
        fi
        printf '%-28s %s\n' "${t##*/}" "$(tail -1 <<<"$out" | grep -o '[0-9]*%.*' || echo "exit $rc")"
    done
}

# run_scripts LABEL SCRIPT...: runs each integration script, counting its
# ok/not ok lines; LABEL ("podman: ", "classic: ") prefixes its name in the
# summary.
run_scripts() {
    local label=$1 t log
    shift
    for t in "$@"; do
        [ -f "$t" ] || continue
        log=$(mktemp)
        # Scripts tag fixed names (fuse-it/*) on the shared engine: two
        # checkouts testing at once take turns per script instead of
        # moving each other's tags. The lock is the engine's: a second
        # builder's pass on Docker tags the same names as the first.
        flock "$LOCKS/fuse-it.${FUSE_TEST_ENGINE:+$FUSE_TEST_ENGINE.}${t##*/}.lock" \
            bash "$t" >"$log" 2>&1
        local rc=$?
        local p f
        p=$(grep -c '^ok ' "$log")
        f=$(grep -c '^not ok ' "$log")
        if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
        passed=$((passed + p))
        failed=$((failed + f))
        printf '%-28s %d passed, %d failed\n' "$label${t##*/}" "$p" "$f"
        if [ "$f" != 0 ]; then
            failures+=("$label${t##*/}")
            sed 's/^/    /' "$log" >&2
        fi
        rm -f "$log"
    done
}

# The scripts run on Podman as well (PODMAN_TESTS; "" for none): the build,
# its failures and faults -- what differs by engine (the build's stream, its
# errors, tags, cancellation). The others exercise fuse's own parts
# (options, resources, the payload) the same on any engine. test_examples
# and test_secrets pass on Podman too (PODMAN_TESTS="test_examples.sh ...")
# but cost minutes on a fresh Podman store: make check stays under its
# budget without them.
# INTEGRATION_TESTS alone (make valgrind) runs none on Podman.
PODMAN_DEFAULT="test_build.sh test_faults.sh"
[ -n "${INTEGRATION_TESTS:-}" ] && PODMAN_DEFAULT=

# The scripts that follow a build's progress and steps run again on Docker
# with the classic builder (FUSE_TEST_BUILDKIT=0, lib.sh; BUILDER_TESTS, ""
# for none): both builders must give the same lines. With INTEGRATION_TESTS,
# those of its scripts that are in the list.
BUILDER_DEFAULT="test_build.sh test_steps.sh"

# run_builders SCRIPT...: the classic builder's pass over those of SCRIPT
# in BUILDER_TESTS, on the engine already up.
run_builders() {
    local twice=" ${BUILDER_TESTS-$BUILDER_DEFAULT} " sel=() t
    for t in "$@"; do
        case $twice in *" ${t##*/} "*) sel+=("$t") ;; esac
    done
    [ ${#sel[@]} -gt 0 ] || return 0
    FUSE_TEST_BUILDKIT=0 run_scripts "classic: " "${sel[@]}"
}

run_integration() {
    # shellcheck source=tests/integration/engine.sh
    . tests/integration/engine.sh
    if ! engine_up; then
        echo "integration: no Docker engine could be started" >&2
        failed=$((failed + 1))
        failures+=("docker engine")
        return
    fi
    # INTEGRATION_TESTS="test_a.sh test_b.sh" runs only those (make valgrind in CI).
    local sel=() n
    for n in ${INTEGRATION_TESTS:-}; do sel+=("tests/integration/$n"); done
    [ ${#sel[@]} -gt 0 ] || sel=(tests/integration/test_*.sh)
    run_scripts "" "${sel[@]}"
    [ "${FUSE_TEST_ENGINE:-docker}" = podman ] || run_builders "${sel[@]}"
    engine_down
    [ "${FUSE_TEST_ENGINE:-docker}" = podman ] && return
    sel=()
    for n in ${PODMAN_TESTS-$PODMAN_DEFAULT}; do sel+=("tests/integration/$n"); done
    [ ${#sel[@]} -gt 0 ] || return
    export FUSE_TEST_ENGINE=podman
    if ! engine_up; then
        echo "integration: Podman's service could not be started" >&2
        failed=$((failed + 1))
        failures+=("podman service")
        return
    fi
    run_scripts "podman: " "${sel[@]}"
    engine_down
    unset FUSE_TEST_ENGINE
}

case $mode in
unit) run_unit ;;
integration) run_integration ;;
all) run_unit; run_integration ;;
esac

[ ${#failures[@]} = 0 ] || echo "failing: ${failures[*]}" >&2
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

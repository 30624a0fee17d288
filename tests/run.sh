#!/bin/bash
# tests/run.sh [--unit|--integration] [--valgrind] BUILD_DIR
#
# Runs the Check unit tests (build/tests/test_*) and the integration tests
# (tests/integration/test_*.sh, against a real Docker engine) and closes with
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

run_integration() {
    # shellcheck source=tests/integration/engine.sh
    . tests/integration/engine.sh
    if ! engine_up; then
        echo "integration: no Docker engine could be started" >&2
        failed=$((failed + 1))
        failures+=("docker engine")
        return
    fi
    local t log
    # INTEGRATION_TESTS="test_a.sh test_b.sh" runs only those (make valgrind in CI).
    local sel=() n
    for n in ${INTEGRATION_TESTS:-}; do sel+=("tests/integration/$n"); done
    [ ${#sel[@]} -gt 0 ] || sel=(tests/integration/test_*.sh)
    # The scripts that follow a build's progress, failures and steps run
    # again with the classic builder (FUSE_TEST_BUILDKIT=0, lib.sh): both
    # builders must give the same lines.
    local twice=" ${BUILDER_TESTS:-test_build.sh test_faults.sh test_steps.sh} " runs=() s
    for t in "${sel[@]}"; do
        runs+=("$t")
        case $twice in *" ${t##*/} "*) runs+=("$t:classic") ;; esac
    done
    for s in "${runs[@]}"; do
        t=${s%:classic}
        [ -f "$t" ] || continue
        local builder=
        [ "$s" = "$t" ] || builder=0
        log=$(mktemp)
        # Scripts tag fixed names (fuse-it/*) on the shared engine: two
        # checkouts testing at once take turns per script instead of
        # moving each other's tags.
        FUSE_TEST_BUILDKIT=${builder:-${FUSE_TEST_BUILDKIT:-}} \
            flock "$LOCKS/fuse-it.${t##*/}.lock" bash "$t" >"$log" 2>&1
        local rc=$?
        local p f
        p=$(grep -c '^ok ' "$log")
        f=$(grep -c '^not ok ' "$log")
        if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
        passed=$((passed + p))
        failed=$((failed + f))
        printf '%-28s %d passed, %d failed\n' "${s##*/}" "$p" "$f"
        if [ "$f" != 0 ]; then
            failures+=("${s##*/}")
            sed 's/^/    /' "$log" >&2
        fi
        rm -f "$log"
    done
    engine_down
}

case $mode in
unit) run_unit ;;
integration) run_integration ;;
all) run_unit; run_integration ;;
esac

[ ${#failures[@]} = 0 ] || echo "failing: ${failures[*]}" >&2
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

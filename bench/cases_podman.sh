# shellcheck shell=bash
# bench/cases_podman.sh -- sourced by bench/run.sh: fuse on Podman.
#
# case_podman starts a Podman service of its own (tests/integration/podman.sh,
# its own socket, configuration and storage under /tmp/podman-*, with the
# base images the tests make), and times the seed's app_server there, fuse
# against `podman build --format docker` of case 1's hand-written
# Dockerfile (the podman CLI on the same storage, which shares the layer
# cache only in Docker's format): the warm rebuild (BENCH_REPS_WARM runs)
# and, without BENCH_QUICK, the cold build (BENCH_REPS_COLD runs). The
# service and everything it stored go at the end.

# shellcheck source=tests/integration/engine.sh
. "$ROOT/tests/integration/engine.sh"
# shellcheck source=tests/integration/podman.sh
. "$ROOT/tests/integration/podman.sh"

# ppair NAME REPS TIMER FUSEARGS PODMANARGS: alternating runs of fuse (in
# $WORK/hello, on the service) and podman build (of $WORK/hello-df); sets
# F_MED and B_MED.
ppair() {
    local name=$1 reps=$2 timer=$3 fargs=$4 pargs=$5 i f=() b=()
    for ((i = 1; i <= reps; i++)); do
        # shellcheck disable=SC2086 # the argument strings are word lists
        f+=("$(cd "$WORK/hello" && $timer "$FUSE" -q $fargs)")
        # shellcheck disable=SC2086
        b+=("$($timer env "${PM_ENV[@]}" podman build --format docker -q $pargs "$WORK/hello-df")")
        say "$name run $i: fuse ${f[-1]} s, podman build ${b[-1]} s"
    done
    F_MED=$(median "${f[@]}")
    B_MED=$(median "${b[@]}")
}

case_podman() {
    command -v podman >/dev/null || { say "case 15: podman is not installed, skipped"; return; }
    say "case 15: app_server on Podman's service"
    local host=${DOCKER_HOST:-}
    # The bench's own service: its storage goes with it.
    if ! PM_STORE='' PM_IMAGES=debian:bookworm pm_start ""; then
        say "case 15: Podman's service did not start, skipped"
        return
    fi
    local r
    if [ "$QUICK" != 1 ]; then
        ppair podman-cold "$REPS_COLD" secs_cold "--no-cache app_server:tag=$P-pm-fuse" \
            "--no-cache -t $P-pm-df"
        r=$(ratio "$F_MED" "$B_MED")
        row "15a Podman cold build (app_server)" "$(fmt_s "$F_MED")" "$(fmt_s "$B_MED")" "$r" \
            "<= 1.05" "$(verdict "$r" 1.05)"
    fi
    run sh -c "cd '$WORK/hello' && '$FUSE' -q app_server:tag=$P-pm-fuse"
    run pm_podman build --format docker -q -t "$P-pm-df" "$WORK/hello-df"
    ppair podman-warm "$REPS_WARM" secs "app_server:tag=$P-pm-fuse" "-t $P-pm-df"
    r=$(ratio "$F_MED" "$B_MED")
    row "15b Podman warm rebuild (app_server)" "$(fmt_ms "$F_MED")" "$(fmt_ms "$B_MED")" "$r" \
        "<= 1.00" "$(verdict "$r" 1.00)"
    pm_stop
    if [ -n "$host" ]; then export DOCKER_HOST=$host; else unset DOCKER_HOST; fi
}

#!/bin/bash
# tests/fuzz/run.sh FUZZ_BUILD SECONDS [TARGET...]
#
# Runs each libFuzzer target for SECONDS, starting from its committed seeds
# (tests/fuzz/corpus/TARGET, only read) and a scratch corpus in FUZZ_BUILD,
# where crashing inputs are saved too. Prints one line per target with the
# executions libFuzzer reports; exit status 1 when any target failed.
set -u
cd "$(dirname "$0")/../.." || exit 2
BUILD=$1 SECONDS_EACH=$2
shift 2
targets=("$@")
# Without names: every target of tests/fuzz (make fuzz passes FUZZ_TARGETS).
if [ ${#targets[@]} = 0 ]; then
    for f in tests/fuzz/fuzz_*.c; do
        t=${f##*/fuzz_}
        targets+=("${t%.c}")
    done
fi
failed=0
for t in "${targets[@]}"; do
    work=$BUILD/work/$t
    mkdir -p "$work/corpus" "$work/artifacts"
    log=$work/log
    # -rss_limit_mb: fuse must parse hostile input in bounded memory.
    "$BUILD/fuzz_$t" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=1024 \
        -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
        "$work/corpus" "tests/fuzz/corpus/$t" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    if [ "$rc" = 0 ]; then
        printf 'fuzz_%-12s ok, %s executions in %ss\n' "$t" "${execs:-?}" "$SECONDS_EACH"
    else
        failed=1
        printf 'fuzz_%-12s FAILED (exit %s), input saved in %s\n' "$t" "$rc" "$work/artifacts/" >&2
        grep -v '^#\|^INFO' "$log" | head -40 >&2
    fi
done
exit $failed

#!/bin/bash
# bench/run.sh BUILD -- fuse's benchmark suite (make bench; see bench/README.md).
#
# Every case measures fuse and, where there is one, its baseline in the same
# run, alternating (fuse, baseline, fuse, baseline...), so a machine that
# drifts slows both sides alike. Baselines are the hand-written Dockerfile
# and context a skilled person would write, built with the docker CLI and
# the classic builder, as fuse uses it. Images are tagged fuse-bench/<pid>-*
# and removed at the end.
#
# Environment: BENCH_QUICK=1 skips the slow cases (1 cold, 3 incremental,
# 5 big context, 8 tree, 9 multi-stage, 10 blueprint, 11a Podman cold,
# 16 parallel builds);
# BENCH_DOCKER the docker CLI (default /usr/bin/docker, the Debian client
# that matches the engine); BENCH_REPS_COLD, BENCH_REPS_WARM.
set -eu -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
FUSE=$BUILD/fuse
FUSE_APPLY=$BUILD/fuse-apply
DOCKER=${BENCH_DOCKER:-/usr/bin/docker}
[ -x "$DOCKER" ] || DOCKER=$(command -v docker)
export DOCKER_BUILDKIT=0
QUICK=${BENCH_QUICK:-0}
REPS_COLD=${BENCH_REPS_COLD:-3}
REPS_WARM=${BENCH_REPS_WARM:-11}
COLD_TIMEOUT=${BENCH_COLD_TIMEOUT:-600}
TIME=/usr/bin/time
MUSLCC=$(command -v musl-gcc || true)
P=fuse-bench/$$
WORK=$(mktemp -d /tmp/fuse-bench.XXXXXX)
LOG=$WORK/log
ROWS=()

cleanup() {
    "$DOCKER" images --format '{{.Repository}}:{{.Tag}}' | grep "^$P-" |
        xargs -r "$DOCKER" rmi -f >/dev/null 2>&1 || true
    jobs_cleanup
    rm -rf "$WORK"
}
trap cleanup EXIT

say() { printf 'bench: %s\n' "$*" >&2; }

# run CMD...: runs CMD with its output in the log; a failure ends the bench.
run() {
    if ! "$@" >>"$LOG" 2>&1; then
        say "failed: $*"
        tail -n 20 "$LOG" >&2
        exit 1
    fi
}

# secs CMD...: runs CMD (as run) and prints its wall time in seconds.
secs() {
    local s=$EPOCHREALTIME e
    run "$@"
    e=$EPOCHREALTIME
    awk -v s="$s" -v e="$e" 'BEGIN { printf "%.4f\n", e - s }'
}

# secs_cold CMD...: as secs, for the cold builds, which fetch packages from
# Debian's mirror: a mirror that stalls must not hang the bench, so each try
# is bounded (BENCH_COLD_TIMEOUT, 600 s; SIGINT, which both fuse and the
# docker CLI turn into a cancelled build) and a try that ran out of time is
# made once more. The time printed is the successful try's.
secs_cold() {
    local try s e
    for try in 1 2; do
        s=$EPOCHREALTIME
        local rc=0
        timeout -s INT -k 30 "$COLD_TIMEOUT" "$@" >>"$LOG" 2>&1 || rc=$?
        if [ "$rc" = 0 ]; then
            e=$EPOCHREALTIME
            awk -v s="$s" -v e="$e" 'BEGIN { printf "%.4f\n", e - s }'
            return 0
        fi
        tail -n 5 "$LOG" >&2
        # 124: timed out; 137: killed 30 s after that. Anything else is a
        # real failure, which a second try would only repeat.
        if [ "$rc" != 124 ] && [ "$rc" != 137 ]; then
            say "failed (status $rc): $*"
            exit 1
        fi
        say "try $try passed ${COLD_TIMEOUT} s: $*"
    done
    say "giving up after two tries: $*"
    exit 1
}

median() {
    printf '%s\n' "$@" | sort -g |
        awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# row CASE FUSE BASELINE RATIO TARGET VERDICT
row() { ROWS+=("$(printf '%s\t%s\t%s\t%s\t%s\t%s' "$@")"); }

# verdict VALUE LIMIT: "ok" when VALUE <= LIMIT.
verdict() { awk -v v="$1" -v l="$2" 'BEGIN { print (v <= l) ? "ok" : "MISSED" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", a / b }'; }
fmt_s() { awk -v v="$1" 'BEGIN { printf "%.3f s\n", v }'; }
fmt_ms() { awk -v v="$1" 'BEGIN { printf "%.2f ms\n", v * 1000 }'; }

# bpair NAME REPS FUSEDIR FUSEARGS BASEDIR BASEARGS [TIMER]: alternating timed
# runs of fuse (in FUSEDIR) and docker build (of BASEDIR), each timed by TIMER
# (secs, or secs_cold); sets F_MED and B_MED.
bpair() {
    local name=$1 reps=$2 fdir=$3 fargs=$4 bdir=$5 bargs=$6 timer=${7:-secs} i f=() b=()
    for ((i = 1; i <= reps; i++)); do
        # shellcheck disable=SC2086 # the argument strings are word lists
        f+=("$(cd "$fdir" && $timer "$FUSE" -q $fargs)")
        # shellcheck disable=SC2086
        b+=("$($timer "$DOCKER" build -q $bargs "$bdir")")
        say "$name run $i: fuse ${f[-1]} s, docker build ${b[-1]} s"
    done
    F_MED=$(median "${f[@]}")
    B_MED=$(median "${b[@]}")
}

img_size() { "$DOCKER" image inspect -f '{{.Size}}' "$1"; }

# The seed's app_server and the Dockerfile a skilled person writes for it.
setup_hello() {
    mkdir -p "$WORK/hello" "$WORK/hello-df"
    cp "$ROOT/examples/hello/fusefile.lua" "$WORK/hello/"
    printf 'HELLO WORLD!' >"$WORK/hello-df/index.html"
    chmod 0644 "$WORK/hello-df/index.html"
    cat >"$WORK/hello-df/Dockerfile" <<'EOF'
FROM debian:bookworm
RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3 && apt-get clean && rm -rf /var/lib/apt/lists/*
COPY index.html /index.html
EXPOSE 8000
CMD ["python3", "-m", "http.server", "8000"]
EOF
}

case_cold() {
    say "case 1: cold build of app_server, $REPS_COLD runs each"
    bpair cold "$REPS_COLD" "$WORK/hello" "--no-cache app_server:tag=$P-hello-fuse" \
        "$WORK/hello-df" "--no-cache -t $P-hello-df" secs_cold
    local r
    r=$(ratio "$F_MED" "$B_MED")
    row "1 cold build (app_server)" "$(fmt_s "$F_MED")" "$(fmt_s "$B_MED")" "$r" "<= 1.10" \
        "$(verdict "$r" 1.10)"
}

case_warm() {
    say "case 2: warm rebuild of app_server, $REPS_WARM runs each"
    # The cache must hold both images (cold is skipped with BENCH_QUICK).
    run sh -c "cd '$WORK/hello' && '$FUSE' -q app_server:tag=$P-hello-fuse"
    run "$DOCKER" build -q -t "$P-hello-df" "$WORK/hello-df"
    bpair warm "$REPS_WARM" "$WORK/hello" "app_server:tag=$P-hello-fuse" \
        "$WORK/hello-df" "-t $P-hello-df"
    local r
    r=$(ratio "$F_MED" "$B_MED")
    row "2 warm rebuild (app_server)" "$(fmt_ms "$F_MED")" "$(fmt_ms "$B_MED")" "$r" "<= 1.20" \
        "$(verdict "$r" 1.20)"
}

# A realistic 20-resource task; the last File's contents come from a param.
setup_inc() {
    mkdir -p "$WORK/inc"
    cat >"$WORK/inc/fusefile.lua" <<'EOF'
inc = docker_container { params = { last = "0" } } (function (bundle, args)
  yield(Package { name = "python3" })
  yield(Group { name = "app" })
  yield(User { name = "app", group = "app", home = "/srv/app" })
  yield(Directory { name = "/srv/app/www", owner = "app", group = "app" })
  for i = 1, 12 do
    yield(File { name = "/srv/app/www/page" .. i .. ".html", contents = "page " .. i .. "\n",
                 owner = "app", group = "app" })
  end
  yield(Link { name = "/srv/app/www/index.html", to = "page1.html" })
  yield(Line { name = "/etc/bash.bashrc", line = "umask 022" })
  yield(Execute { name = "stamp", command = "date -u > /srv/app/built", creates = "/srv/app/built" })
  yield(File { name = "/srv/app/version", contents = "version " .. args.last .. "\n" })
end)
EOF
}

case_inc() {
    say "case 3: incremental rebuild of a 20-resource task, $REPS_COLD runs each"
    local i c=() n=()
    for ((i = 1; i <= REPS_COLD; i++)); do
        c+=("$(cd "$WORK/inc" && secs_cold "$FUSE" -q --no-cache "inc:tag=$P-inc,last=c$i")")
        n+=("$(cd "$WORK/inc" && secs "$FUSE" -q "inc:tag=$P-inc,last=n$i")")
        say "inc run $i: cold ${c[-1]} s, last resource changed ${n[-1]} s"
    done
    local cm nm r
    cm=$(median "${c[@]}")
    nm=$(median "${n[@]}")
    r=$(ratio "$nm" "$cm")
    row "3 incremental (20 res., last changed)" "$(fmt_s "$nm")" "$(fmt_s "$cm") (own cold)" \
        "$r" "<= 0.15" "$(verdict "$r" 0.15)"
}

# startup_ms N CMD...: median wall time of N runs of CMD, in seconds.
startup() {
    local count=$1 i ts=()
    shift
    for ((i = 0; i < count; i++)); do ts+=("$(secs "$@")"); done
    median "${ts[@]}"
}

case_startup() {
    say "case 4: startup"
    local l d
    cd "$ROOT/examples/hello"
    startup 3 "$FUSE" -l >/dev/null # warm the page cache
    l=$(startup 31 "$FUSE" -l)
    d=$(startup 31 "$FUSE" -n app_server)
    cd - >/dev/null
    row "4a startup: fuse -l" "$(fmt_ms "$l")" "-" "-" "<= 5 ms" "$(verdict "$l" 0.005)"
    row "4b startup: fuse -n app_server" "$(fmt_ms "$d")" "-" "-" "<= 10 ms" "$(verdict "$d" 0.010)"
}

# 1 GiB in 31 files of 8 to 256 MiB, as File { source } and as COPY lines.
setup_big() {
    local dir=$WORK/big sizes=() s i=0
    mkdir -p "$dir/data" "$dir/df/data"
    sizes=(256 128 128 64 64 64 64 16 16 16 16 16 16 16 16 8 8 8 8 8 8 8 8 8 8 8 8 8 8 8 8)
    {
        echo 'big = docker_container { from_image = "fuse-test/busybox" } (function ()'
        echo '  yield(Directory { name = "/data" })'
    } >"$dir/fusefile.lua"
    printf 'FROM fuse-test/busybox\nRUN ["mkdir", "-m", "0755", "/data"]\n' >"$dir/df/Dockerfile"
    for s in "${sizes[@]}"; do
        i=$((i + 1))
        head -c "$((s << 20))" /dev/urandom >"$dir/df/data/f$i"
        chmod 0644 "$dir/df/data/f$i"
        ln "$dir/df/data/f$i" "$dir/data/f$i"
        echo "  yield(File { name = \"/data/f$i\", source = \"data/f$i\", mode = \"0644\" })" \
            >>"$dir/fusefile.lua"
        echo "COPY data/f$i /data/f$i" >>"$dir/df/Dockerfile"
    done
    echo 'end)' >>"$dir/fusefile.lua"
}

case_big() {
    say "case 5: 1 GiB of File { source }, 2 runs each"
    setup_big
    local i f=() b=() rss=() t
    for ((i = 1; i <= 2; i++)); do
        t=$(cd "$WORK/big" &&
            secs "$TIME" -v -o "$WORK/time.$i" "$FUSE" -q --no-cache "big:tag=$P-big-fuse")
        f+=("$t")
        rss+=("$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$WORK/time.$i")")
        b+=("$(secs "$DOCKER" build -q --no-cache -t "$P-big-df" "$WORK/big/df")")
        say "big run $i: fuse $t s (max RSS ${rss[-1]} KiB), docker build ${b[-1]} s"
    done
    local fm bm r rssm
    fm=$(median "${f[@]}")
    bm=$(median "${b[@]}")
    r=$(ratio "$fm" "$bm")
    rssm=$(median "${rss[@]}")
    row "5a big context: elapsed" "$(fmt_s "$fm")" "$(fmt_s "$bm")" "$r" "<= 1.10" \
        "$(verdict "$r" 1.10)"
    row "5b big context: fuse max RSS" "$((rssm / 1024)) MiB" "-" "-" "<= 32 MiB" \
        "$(verdict "$rssm" $((32 * 1024)))"
    rm -rf "$WORK/big"
}

# 10,000 File resources in one bundle, applied by fuse-apply in a container:
# once into an empty directory, then again (nothing to change).
case_many() {
    say "case 6: 10,000 File resources applied by fuse-apply in one container"
    mkdir -p "$WORK/many"
    awk 'BEGIN {
        printf "{\"version\":1,\"resources\":[{\"Directory\":{\"name\":\"/many\"}}"
        for (i = 1; i <= 10000; i++)
            printf ",{\"File\":{\"name\":\"/many/f%05d\",\"contents\":\"file %d\\n\",\"mode\":\"0644\"}}", i, i
        print "]}"
    }' >"$WORK/many/bundle.json"
    cp "$FUSE_APPLY" "$WORK/many/fuse-apply"
    local i first=() again=() out
    for ((i = 1; i <= 3; i++)); do
        out=$("$DOCKER" run --rm -v "$WORK/many:/b:ro" debian:bookworm sh -c \
            '/b/fuse-apply --no-changes-ok -v /b/bundle.json >/dev/null && /b/fuse-apply --no-changes-ok -v /b/bundle.json >/dev/null' 2>&1) ||
            { say "fuse-apply failed: $out"; exit 1; }
        first+=("$(printf '%s\n' "$out" | awk '/^fuse-apply: applied/ { print $(NF-1) }' | sed -n 1p)")
        again+=("$(printf '%s\n' "$out" | awk '/^fuse-apply: applied/ { print $(NF-1) }' | sed -n 2p)")
        say "many run $i: apply ${first[-1]} s, rerun ${again[-1]} s"
    done
    local fm am
    fm=$(median "${first[@]}")
    am=$(median "${again[@]}")
    # The same with /many on a tmpfs, and the floor any file writer pays on
    # that disk (open+write+close+rename for each file, bench/floor.c): what
    # is left of 6a once the shared disk is taken out, and what the disk costs.
    local tf=() ta=() fl=() fo=()
    if [ -n "$MUSLCC" ]; then
        "$MUSLCC" -static -O2 -o "$WORK/many/floor" "$ROOT/bench/floor.c"
        for ((i = 1; i <= 3; i++)); do
            out=$("$DOCKER" run --rm --tmpfs /many -v "$WORK/many:/b:ro" debian:bookworm sh -c \
                '/b/fuse-apply --no-changes-ok -v /b/bundle.json >/dev/null && /b/fuse-apply --no-changes-ok -v /b/bundle.json >/dev/null && /b/floor /many/floor && /b/floor /disk' 2>&1) ||
                { say "fuse-apply on tmpfs failed: $out"; exit 1; }
            tf+=("$(printf '%s\n' "$out" | awk '/^fuse-apply: applied/ { print $(NF-1) }' | sed -n 1p)")
            ta+=("$(printf '%s\n' "$out" | awk '/^fuse-apply: applied/ { print $(NF-1) }' | sed -n 2p)")
            fl+=("$(printf '%s\n' "$out" | awk '/^floor/ { print $(NF-1) }' | sed -n 1p)")
            fo+=("$(printf '%s\n' "$out" | awk '/^floor/ { print $(NF-1) }' | sed -n 2p)")
            say "many on tmpfs run $i: apply ${tf[-1]} s, rerun ${ta[-1]} s; floor: tmpfs ${fl[-1]} s, overlay ${fo[-1]} s"
        done
    fi
    row "6a 10,000 Files: apply" "$(fmt_s "$fm")" "-" "-" "<= 1 s" "$(verdict "$fm" 1)"
    row "6b 10,000 Files: rerun, no change" "$(fmt_s "$am")" "-" "-" "<= 0.3 s" "$(verdict "$am" 0.3)"
    if [ ${#tf[@]} -gt 0 ]; then
        local tfm fom
        tfm=$(median "${tf[@]}")
        fom=$(median "${fo[@]}")
        row "6c   same, /many on tmpfs: apply" "$(fmt_s "$tfm")" "$(fmt_s "$(median "${fl[@]}")") (floor)" \
            "$(ratio "$tfm" "$(median "${fl[@]}")")" "<= 1 s" "$(verdict "$tfm" 1)"
        row "6d   same, /many on tmpfs: rerun" "$(fmt_s "$(median "${ta[@]}")")" "-" "-" "<= 0.3 s" \
            "$(verdict "$(median "${ta[@]}")" 0.3)"
        row "6e   floor on the overlay disk" "-" "$(fmt_s "$fom") (floor)" "-" "-" "-"
    fi
}

case_size() {
    say "case 7: image size"
    local f b d
    f=$(img_size "$P-hello-fuse")
    b=$(img_size "$P-hello-df")
    d=$((f - b))
    row "7 image size (app_server)" "$((f / 1024)) KiB" "$((b / 1024)) KiB" \
        "+$((d / 1024)) KiB" "<= +1024 KiB" "$(verdict "$d" 1048576)"
}

# shellcheck source=bench/cases_podman.sh
. "$ROOT/bench/cases_podman.sh"

print_table() {
    printf '\n'
    {
        printf 'case\tfuse (median)\tbaseline (median)\tratio\ttarget\tverdict\n'
        printf '%s\n' "${ROWS[@]}"
    } | column -t -s "$(printf '\t')"
}

# shellcheck source=bench/cases_buildkit.sh
. "$ROOT/bench/cases_buildkit.sh"
# shellcheck source=bench/cases_tree.sh
. "$ROOT/bench/cases_tree.sh"
# shellcheck source=bench/cases_ship.sh
. "$ROOT/bench/cases_ship.sh"
# shellcheck source=bench/cases_plan.sh
. "$ROOT/bench/cases_plan.sh"
# shellcheck source=bench/cases_blueprint.sh
. "$ROOT/bench/cases_blueprint.sh"
# shellcheck source=bench/cases_secrets.sh
. "$ROOT/bench/cases_secrets.sh"
# shellcheck source=bench/cases_jobs.sh
. "$ROOT/bench/cases_jobs.sh"

[ -x "$FUSE" ] || { say "$FUSE is missing (make all first)"; exit 2; }
[ -x "$TIME" ] || { say "$TIME is missing (tools/deps.sh installs it)"; exit 2; }
"$DOCKER" version >/dev/null 2>&1 || { say "no Docker engine answers"; exit 2; }
say "docker CLI $DOCKER, classic builder; work dir $WORK"
setup_hello
setup_inc
if [ "$QUICK" = 1 ]; then
    say "BENCH_QUICK=1: cases 1, 3, 5, 8, 9, 12c, 14, 15a and 16 skipped"
else
    case_cold
fi
case_warm
case_push && case_ssh
[ "$QUICK" = 1 ] || case_inc
case_startup
[ "$QUICK" = 1 ] || case_big
case_many
case_size
cases_buildkit
[ "$QUICK" = 1 ] || { case_tree && case_multistage; }
case_plan
[ "$QUICK" = 1 ] || case_blueprint
[ "$QUICK" = 1 ] || case_plan_big
case_podman
case_secrets
[ "$QUICK" = 1 ] || case_jobs
print_table

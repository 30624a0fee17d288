# bench/cases_buildkit.sh -- BuildKit's cases (sourced by bench/run.sh).
#
# fuse on BuildKit (DOCKER_BUILDKIT=1) against the same hand-written
# Dockerfiles built by BuildKit: the baseline POSTs the directory's tar to
# /build?version=2 itself, the request `DOCKER_BUILDKIT=1 docker build`
# makes (Debian's docker CLI needs buildx for it, which Debian does not
# ship). And a Package list that changes, with and without a warm apt
# cache (fusefile(5) caches), with the .deb bytes each change fetched.
#
# Environment: BENCH_BK_REPS_COLD (default 1), BENCH_BK_REPS_WARM (5).

BK_REPS_COLD=${BENCH_BK_REPS_COLD:-1}
BK_REPS_WARM=${BENCH_BK_REPS_WARM:-5}
BK_SOCK=${DOCKER_HOST:-unix:///var/run/docker.sock}
BK_SOCK=${BK_SOCK#unix://}

# bk_docker_build DIR TAG [QUERY]: BuildKit builds DIR's Dockerfile as TAG.
bk_docker_build() {
    local dir=$1 tag=$2 q=${3:-} tar
    tar=$(mktemp "$WORK/bk.XXXXXX")
    tar -C "$dir" -cf "$tar" .
    curl -sf --unix-socket "$BK_SOCK" -X POST -H 'Content-Type: application/x-tar' \
        --data-binary @"$tar" "http://engine/build?version=2&t=$tag$q" >"$tar.out" &&
        ! grep -q '"error"' "$tar.out"
    local rc=$?
    rm -f "$tar" "$tar.out"
    return $rc
}

# bk_fuse DIR ARGS...: fuse on BuildKit, in DIR.
bk_fuse() {
    local dir=$1
    shift
    (cd "$dir" && DOCKER_BUILDKIT=1 "$FUSE" -q "$@")
}

# bk_pair NAME REPS TIMER FUSEARGS BASEQUERY: alternating runs of fuse and
# BuildKit on app_server (case 1's projects); sets F_MED and B_MED.
bk_pair() {
    local name=$1 reps=$2 timer=$3 fargs=$4 bq=$5 i f=() b=()
    for ((i = 1; i <= reps; i++)); do
        # shellcheck disable=SC2086 # a word list
        f+=("$($timer bk_fuse "$WORK/hello" $fargs)")
        b+=("$($timer bk_docker_build "$WORK/hello-df" "$P-bk-hello-df" "$bq")")
        say "$name run $i: fuse ${f[-1]} s, BuildKit ${b[-1]} s"
    done
    F_MED=$(median "${f[@]}")
    B_MED=$(median "${b[@]}")
}

case_bk_cold() {
    say "case 17a: cold build of app_server on BuildKit, $BK_REPS_COLD runs each"
    bk_pair bk-cold "$BK_REPS_COLD" secs "--no-cache app_server:tag=$P-bk-hello-fuse" \
        "&nocache=1"
    local r
    r=$(ratio "$F_MED" "$B_MED")
    row "17a BuildKit cold build (app_server)" "$(fmt_s "$F_MED")" "$(fmt_s "$B_MED")" "$r" \
        "<= 1.00" "$(verdict "$r" 1.00)"
}

case_bk_warm() {
    say "case 17b: warm rebuild of app_server on BuildKit, $BK_REPS_WARM runs each"
    run bk_fuse "$WORK/hello" "app_server:tag=$P-bk-hello-fuse"
    run bk_docker_build "$WORK/hello-df" "$P-bk-hello-df"
    bk_pair bk-warm "$BK_REPS_WARM" secs "app_server:tag=$P-bk-hello-fuse" ""
    local r
    r=$(ratio "$F_MED" "$B_MED")
    row "17b BuildKit warm rebuild (app_server)" "$(fmt_ms "$F_MED")" "$(fmt_ms "$B_MED")" "$r" \
        "<= 1.00" "$(verdict "$r" 1.00)"
}

# Case 3's task, the last resource changed: BuildKit against the classic
# builder, both fuse, alternating.
case_bk_inc() {
    say "case 17c: incremental rebuild of the 20-resource task, BuildKit and classic"
    run bk_fuse "$WORK/inc" "inc:tag=$P-bk-inc,last=w"
    run sh -c "cd '$WORK/inc' && DOCKER_BUILDKIT=0 '$FUSE' -q inc:tag=$P-bk-inc-c,last=w"
    local i k=() c=()
    for ((i = 1; i <= BK_REPS_WARM; i++)); do
        k+=("$(secs bk_fuse "$WORK/inc" "inc:tag=$P-bk-inc,last=bk$i.$$")")
        c+=("$(cd "$WORK/inc" && DOCKER_BUILDKIT=0 secs "$FUSE" -q "inc:tag=$P-bk-inc-c,last=c$i.$$")")
        say "bk-inc run $i: BuildKit ${k[-1]} s, classic ${c[-1]} s"
    done
    local km cm r
    km=$(median "${k[@]}")
    cm=$(median "${c[@]}")
    r=$(ratio "$km" "$cm")
    row "17c BuildKit incremental (20 res.)" "$(fmt_s "$km")" "$(fmt_s "$cm") (fuse classic)" "$r" \
        "<= 0.70" "$(verdict "$r" 0.70)"
}

# A Package list that grows by one package, on a task with apt's caches
# and on the same task without; the bytes are the .debs the cache gained
# (with caches) and the .debs the second list needs (without, all fetched).
setup_bk_apt() {
    local d
    for d in apt-cached apt-plain; do
        mkdir -p "$WORK/$d-$$"
        cat >"$WORK/$d-$$/fusefile.lua" <<EOF
pkgs = docker_container {
  from_image = "debian:bookworm",
  $([ "$d" = apt-cached ] && echo 'caches = { "/var/cache/apt", "/var/lib/apt/lists" },')
  params = { pkgs = "hello" },
} (function (bundle, args)
  local names = {}
  for n in args.pkgs:gmatch("[^ ]+") do names[#names + 1] = n end
  yield(Package { name = names })
end)
EOF
    done
}

# bk_archive_kib ID: the KiB of .debs in the cache ID (a probe build).
bk_archive_kib() {
    mkdir -p "$WORK/bk-probe"
    printf 'FROM fuse-test/busybox\nENV N=%s\nRUN --mount=type=cache,target=/c,id=%s sh -c "du -sk /c/archives > /out 2>&1 || echo 0 > /out"\n' \
        "$$.$RANDOM" "$1" >"$WORK/bk-probe/Dockerfile"
    bk_docker_build "$WORK/bk-probe" "$P-bk-probe" >/dev/null &&
        "$DOCKER" run --rm "$P-bk-probe" cat /out | awk '{ print $1 }'
}

case_bk_apt() {
    say "case 17d: a Package list changes, warm apt cache against none"
    setup_bk_apt
    local cached=$WORK/apt-cached-$$ plain=$WORK/apt-plain-$$ tc tp id k0 k1
    run bk_fuse "$cached" "pkgs:tag=$P-bk-apt-c,pkgs=hello"
    run bk_fuse "$plain" "pkgs:tag=$P-bk-apt-p,pkgs=hello"
    id=$(cd "$cached" && DOCKER_BUILDKIT=1 "$FUSE" -v "pkgs:tag=$P-bk-apt-c,pkgs=hello" 2>&1 |
        grep -o 'target=/var/cache/apt,id=fuse-cache-[0-9a-f]*' | head -1 | sed 's/.*id=//')
    k0=$(bk_archive_kib "$id")
    tc=$(secs bk_fuse "$cached" "pkgs:tag=$P-bk-apt-c,pkgs=hello file")
    k1=$(bk_archive_kib "$id")
    tp=$(secs bk_fuse "$plain" "pkgs:tag=$P-bk-apt-p,pkgs=hello file")
    run bk_fuse "$cached" --prune-caches pkgs
    local r
    r=$(ratio "$tc" "$tp")
    row "17d Package list +1, warm apt cache" "$(fmt_s "$tc"), $((k1 - k0)) KiB .debs" \
        "$(fmt_s "$tp"), $k1 KiB .debs (no cache)" "$r" "<= 0.85" "$(verdict "$r" 0.85)"
}

cases_buildkit() {
    [ "$QUICK" = 1 ] || case_bk_cold
    case_bk_warm
    case_bk_inc
    case_bk_apt
}

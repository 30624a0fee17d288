# shellcheck shell=bash
# cases_jobs.sh -- bench cases of fuse -j (fuse(1) PARALLEL BUILDS),
# sourced by bench/run.sh. Uses run.sh's helpers (say, secs, median,
# row...) and tests/integration/dockerd2.sh for a second engine on this
# machine (its own socket, data root, exec root and pidfile under
# /tmp/fuse-bench-d2.*), stopped at the end.
#
# Knobs: BENCH_JOBS_REPS (1) runs of each side; BENCH_JOBS_MOVE_MIB (200)
# the size of the image case 16c moves.

JOBS_REPS=${BENCH_JOBS_REPS:-1}
JOBS_MOVE_MIB=${BENCH_JOBS_MOVE_MIB:-200}

# jobs_project DIR N: a project of N independent tasks t1..tN, each a
# Package, a Directory and three Files on debian:bookworm, and the same as Dockerfiles
# DIR/df/tN (what a skilled person writes for one such image).
jobs_project() {
    local dir=$1 n=$2 i
    mkdir -p "$dir"
    : >"$dir/fusefile.lua"
    for ((i = 1; i <= n; i++)); do
        cat >>"$dir/fusefile.lua" <<EOF
t$i = docker_container { tag = "$P-jobs-t$i" } (function ()
  yield(Package { name = "netbase" })
  yield(Directory { name = "/srv/t$i" })
  yield(File { name = "/srv/t$i/a.conf", contents = "a=$i\n" })
  yield(File { name = "/srv/t$i/b.conf", contents = "b=$i\n" })
  yield(File { name = "/srv/t$i/c.conf", contents = "c=$i\n" })
end)
EOF
        mkdir -p "$dir/df/t$i"
        printf 'a=%s\n' "$i" >"$dir/df/t$i/a.conf"
        printf 'b=%s\n' "$i" >"$dir/df/t$i/b.conf"
        printf 'c=%s\n' "$i" >"$dir/df/t$i/c.conf"
        cat >"$dir/df/t$i/Dockerfile" <<EOF
FROM debian:bookworm
RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends netbase && apt-get clean && rm -rf /var/lib/apt/lists/*
COPY a.conf b.conf c.conf /srv/t$i/
EOF
    done
}

# jobs_docker_all DIR N: writes DIR/docker_all, which starts N docker
# builds at once and waits for them (a script, so secs_cold can time it).
jobs_docker_all() {
    local dir=$1 n=$2 i
    {
        echo 'rc=0'
        for ((i = 1; i <= n; i++)); do
            echo "'$DOCKER' build -q --no-cache -t '$P-jobs-df$i' '$dir/df/t$i' >/dev/null &"
        done
        # shellcheck disable=SC2016 # expanded by the script
        echo 'for p in $(jobs -p); do wait "$p" || rc=1; done'
        # shellcheck disable=SC2016
        echo 'exit $rc'
    } >"$dir/docker_all"
}

# 16a: four independent cold tasks: -j 4 against the same four one after
# the other, and against four docker builds started at once.
case_jobs_four() {
    local i j=() s=() d=() dir=$WORK/jobs4 words="t1 t2 t3 t4"
    say "case 16a: four independent cold tasks, $JOBS_REPS runs each"
    jobs_project "$dir" 4
    jobs_docker_all "$dir" 4
    for ((i = 1; i <= JOBS_REPS; i++)); do
        # shellcheck disable=SC2086 # a word list
        j+=("$(cd "$dir" && secs_cold "$FUSE" -q -j 4 --no-cache $words)")
        # shellcheck disable=SC2086
        s+=("$(cd "$dir" && secs_cold "$FUSE" -q --no-cache $words)")
        d+=("$(secs_cold bash "$dir/docker_all")")
        say "jobs4 run $i: -j 4 ${j[-1]} s, sequential ${s[-1]} s, 4 docker builds at once ${d[-1]} s"
    done
    local jm sm dm r1 r2
    jm=$(median "${j[@]}")
    sm=$(median "${s[@]}")
    dm=$(median "${d[@]}")
    r1=$(ratio "$jm" "$sm")
    r2=$(ratio "$jm" "$dm")
    row "16a four cold tasks: -j 4 vs sequential" "$(fmt_s "$jm")" "$(fmt_s "$sm") (fuse)" "$r1" \
        "<= 0.6" "$(verdict "$r1" 0.6)"
    row "16a   -j 4 vs 4 docker builds at once" "$(fmt_s "$jm")" "$(fmt_s "$dm")" "$r2" "<= 1.0" \
        "$(verdict "$r2" 1.0)"
}

# The second engine, with the base images the cases use.
jobs_d2_start() {
    # shellcheck source=tests/integration/dockerd2.sh
    . "$ROOT/tests/integration/dockerd2.sh"
    D2_BRIDGE=fusebench$$
    d2_start "$(mktemp -d /tmp/fuse-bench-d2.XXXXXX)" || return 1
    "$DOCKER" save debian:bookworm | d2 load >/dev/null
}

# jobs_local DIR N: N independent tasks u1..uN that need no network (the
# private engine's containers have none): a Directory, three Files and a
# step writing 64 MiB, on debian:bookworm.
jobs_local() {
    local dir=$1 n=$2 i
    mkdir -p "$dir"
    : >"$dir/fusefile.lua"
    for ((i = 1; i <= n; i++)); do
        cat >>"$dir/fusefile.lua" <<EOF
u$i = docker_container { tag = "$P-jobs-u$i" } (function ()
  yield(Directory { name = "/srv/u$i" })
  yield(File { name = "/srv/u$i/a.conf", contents = "a=$i\n" })
  yield(File { name = "/srv/u$i/b.conf", contents = "b=$i\n" })
  yield(File { name = "/srv/u$i/c.conf", contents = "c=$i\n" })
  yield(Execute { name = "fill", command = "head -c 64m /dev/urandom > /srv/u$i/data" })
end)
EOF
    done
}

# 16b: eight cold tasks with -j 8: on two engines against one.
case_jobs_engines() {
    local i one=() two=() dir=$WORK/jobs8 words="u1 u2 u3 u4 u5 u6 u7 u8"
    local e1=${DOCKER_HOST:-unix:///var/run/docker.sock}
    say "case 16b: eight cold tasks, two engines against one, $JOBS_REPS runs each"
    jobs_local "$dir" 8
    for ((i = 1; i <= JOBS_REPS; i++)); do
        # shellcheck disable=SC2086 # a word list
        one+=("$(cd "$dir" && secs_cold "$FUSE" -q -j 8 --no-cache --engine "$e1" $words)")
        # shellcheck disable=SC2086
        two+=("$(cd "$dir" && secs_cold "$FUSE" -q -j 8 --no-cache --engine "$e1" --engine "$D2_HOST" $words)")
        say "jobs8 run $i: one engine ${one[-1]} s, two engines ${two[-1]} s"
    done
    local om tm r
    om=$(median "${one[@]}")
    tm=$(median "${two[@]}")
    r=$(ratio "$tm" "$om")
    row "16b eight cold tasks: 2 engines vs 1" "$(fmt_s "$tm")" "$(fmt_s "$om") (fuse, 1 engine)" \
        "$r" "<= 0.6" "$(verdict "$r" 0.6)"
}

# 16c: a task on the second engine needs a $JOBS_MOVE_MIB MiB image built
# on the first: fuse moves it (and builds one File on it) against
# docker save | docker -H other load (and docker build of the same File);
# both sides first rebuild the dependency, fully cached, as fuse -j does.
case_jobs_move() {
    local i f=() b=() rss=() dir=$WORK/jobsmove id
    say "case 16c: moving a $JOBS_MOVE_MIB MiB image between engines, $JOBS_REPS runs each"
    mkdir -p "$dir/df"
    cat >"$dir/fusefile.lua" <<EOF
big = docker_container { tag = "$P-jobs-big" } (function ()
  yield(Execute { name = "fill", command = "head -c ${JOBS_MOVE_MIB}m /dev/urandom > /fill" })
end)
far = docker_container { from_image = big, tag = "$P-jobs-far", engine = "$D2_HOST" } (function ()
  yield(File { name = "/far.txt", contents = "far" })
end)
EOF
    printf 'far' >"$dir/df/far.txt"
    run sh -c "cd '$dir' && '$FUSE' -q big"
    id=$("$DOCKER" image inspect -f '{{.Id}}' "$P-jobs-big")
    printf 'FROM %s\nCOPY far.txt /far.txt\n' "$id" >"$dir/df/Dockerfile"
    for ((i = 1; i <= JOBS_REPS; i++)); do
        d2 rmi -f "$P-jobs-far" "$id" >/dev/null 2>&1 || true
        f+=("$(cd "$dir" && secs "$TIME" -o "$WORK/jobs-rss" -f %M "$FUSE" -q -j 1 far)")
        rss+=("$(tail -n 1 "$WORK/jobs-rss")")
        d2 rmi -f "$P-jobs-far" "$id" >/dev/null 2>&1 || true
        # fuse -j builds (here: finds cached) the dependency first; so does the baseline.
        b+=("$(secs sh -c "cd '$dir' && '$FUSE' -q big && '$DOCKER' save '$id' | '$DOCKER' -H '$D2_HOST' load -q && '$DOCKER' -H '$D2_HOST' build -q -t '$P-jobs-far' '$dir/df'")")
        say "move run $i: fuse ${f[-1]} s (max RSS ${rss[-1]} KiB), save|load ${b[-1]} s"
    done
    local fm bm r rs
    fm=$(median "${f[@]}")
    bm=$(median "${b[@]}")
    rs=$(median "${rss[@]}")
    r=$(ratio "$fm" "$bm")
    row "16c move ${JOBS_MOVE_MIB} MiB between engines" "$(fmt_s "$fm")" "$(fmt_s "$bm")" "$r" \
        "<= 1.1" "$(verdict "$r" 1.1)"
    row "16c   max RSS of fuse (all its processes)" "$((rs / 1024)) MiB" "-" "-" "<= 32 MiB" \
        "$(verdict "$rs" 32768)"
}

case_jobs() {
    case_jobs_four
    if ! jobs_d2_start; then
        say "case 16b, 16c: the second engine did not start; skipped"
        return 0
    fi
    case_jobs_engines
    case_jobs_move
    jobs_cleanup
}

# From run.sh's cleanup: a bench that stopped midway leaves no engine
# (in a subshell without set -e, so one step failing skips no other).
jobs_cleanup() {
    declare -F d2_stop >/dev/null || return 0
    (
        set +e
        d2_stop
    )
    return 0
}

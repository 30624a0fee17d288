# shellcheck shell=bash
# cases_plan.sh -- bench cases of the plan (fuse(1) --plan),
# sourced by bench/run.sh: an up-to-date rebuild sends no build, and
# --plan reads one label. Uses run.sh's helpers (say, secs, median, row...).

# 12: app_server up to date (one inspect of the base, one of the tag) against
# the fully cached docker build of the hand-written Dockerfile; then
# --plan app_server alone.
case_plan() {
    local i f=() b=() p=() r
    say "case 12: up-to-date app_server and --plan, $REPS_WARM runs each"
    run sh -c "cd '$WORK/hello' && '$FUSE' -q --no-keep-failed app_server:tag=$P-hello-fuse"
    run "$DOCKER" build -q -t "$P-hello-df" "$WORK/hello-df"
    for ((i = 1; i <= REPS_WARM; i++)); do
        f+=("$(cd "$WORK/hello" && secs "$FUSE" -q "app_server:tag=$P-hello-fuse")")
        b+=("$(secs "$DOCKER" build -q -t "$P-hello-df" "$WORK/hello-df")")
        p+=("$(cd "$WORK/hello" && secs "$FUSE" --plan "app_server:tag=$P-hello-fuse")")
        say "plan run $i: up to date ${f[-1]} s, docker build ${b[-1]} s, --plan ${p[-1]} s"
    done
    r=$(ratio "$(median "${f[@]}")" "$(median "${b[@]}")")
    row "12a up to date (app_server)" "$(fmt_ms "$(median "${f[@]}")")" \
        "$(fmt_ms "$(median "${b[@]}")")" "$r" "<= 0.25" "$(verdict "$r" 0.25)"
    row "12b --plan app_server" "$(fmt_ms "$(median "${p[@]}")")" "-" "-" "<= 20 ms" \
        "$(verdict "$(median "${p[@]}")" 0.020)"
}

# 12c-12d: BENCH_PLAN_MB (1024) MiB of File { source } in 8 files, up to
# date: the first run after the hash cache is gone hashes every byte (12d),
# the next ones read the cache (12c), against the fully cached docker build
# of one COPY per file.
case_plan_big() {
    local mb=${BENCH_PLAN_MB:-1024} d="$WORK/plan-big" i f=() b=() cold r
    say "case 12c: $mb MiB of sources up to date, $REPS_WARM runs each"
    mkdir -p "$d/fuse/data" "$d/df/data" "$WORK/plan-xdg"
    {
        echo "big = docker_container { from_image = \"fuse-test/busybox\", tag = \"$P-plan-big\" } (function ()"
        echo "  yield(Directory { name = \"/data\" })"
        for ((i = 1; i <= 8; i++)); do
            head -c $((mb * 1024 * 1024 / 8)) /dev/urandom >"$d/fuse/data/f$i"
            ln "$d/fuse/data/f$i" "$d/df/data/f$i"
            echo "  yield(File { name = \"/data/f$i\", source = \"data/f$i\", mode = \"0644\" })"
        done
        echo "end)"
    } >"$d/fuse/fusefile.lua"
    {
        echo "FROM fuse-test/busybox"
        for ((i = 1; i <= 8; i++)); do echo "COPY data/f$i /data/f$i"; done
    } >"$d/df/Dockerfile"
    export XDG_CACHE_HOME="$WORK/plan-xdg"
    run sh -c "cd '$d/fuse' && '$FUSE' -q --no-keep-failed big"
    run "$DOCKER" build -q -t "$P-plan-big-df" "$d/df"
    rm -rf "$WORK/plan-xdg/fuse"
    cold=$(cd "$d/fuse" && secs "$FUSE" -q big)
    for ((i = 1; i <= REPS_WARM; i++)); do
        f+=("$(cd "$d/fuse" && secs "$FUSE" -q big)")
        b+=("$(secs "$DOCKER" build -q -t "$P-plan-big-df" "$d/df")")
        say "plan-big run $i: up to date ${f[-1]} s, docker build ${b[-1]} s"
    done
    unset XDG_CACHE_HOME
    r=$(ratio "$(median "${f[@]}")" "$(median "${b[@]}")")
    row "12c up to date, $mb MiB of sources" "$(fmt_ms "$(median "${f[@]}")")" \
        "$(fmt_ms "$(median "${b[@]}")")" "$r" "<= 0.05" "$(verdict "$r" 0.05)"
    row "12d   same, hash cache gone" "$(fmt_s "$cold")" "-" \
        "$(ratio "$cold" "$(median "${b[@]}")")" "-" "-"
}

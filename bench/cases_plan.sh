# shellcheck shell=bash
# cases_plan.sh -- bench cases of the plan (fuse(1) --plan, DESIGN §13),
# sourced by bench/run.sh: an up-to-date rebuild sends no build, and
# --plan reads one label. Uses run.sh's helpers (say, secs, median, row...).

# 10: app_server up to date (one inspect of the base, one of the tag) against
# the fully cached docker build of the hand-written Dockerfile; then
# --plan app_server alone.
case_plan() {
    local i f=() b=() p=() r
    say "case 10: up-to-date app_server and --plan, $REPS_WARM runs each"
    run sh -c "cd '$WORK/hello' && '$FUSE' -q app_server:tag=$P-hello-fuse"
    run "$DOCKER" build -q -t "$P-hello-df" "$WORK/hello-df"
    for ((i = 1; i <= REPS_WARM; i++)); do
        f+=("$(cd "$WORK/hello" && secs "$FUSE" -q "app_server:tag=$P-hello-fuse")")
        b+=("$(secs "$DOCKER" build -q -t "$P-hello-df" "$WORK/hello-df")")
        p+=("$(cd "$WORK/hello" && secs "$FUSE" --plan "app_server:tag=$P-hello-fuse")")
        say "plan run $i: up to date ${f[-1]} s, docker build ${b[-1]} s, --plan ${p[-1]} s"
    done
    r=$(ratio "$(median "${f[@]}")" "$(median "${b[@]}")")
    row "10a up to date (app_server)" "$(fmt_ms "$(median "${f[@]}")")" \
        "$(fmt_ms "$(median "${b[@]}")")" "$r" "<= 0.25" "$(verdict "$r" 0.25)"
    row "10b --plan app_server" "$(fmt_ms "$(median "${p[@]}")")" "-" "-" "<= 20 ms" \
        "$(verdict "$(median "${p[@]}")" 0.020)"
}

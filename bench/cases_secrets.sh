# bench/cases_secrets.sh -- sourced by bench/run.sh: what a step listing a
# secret costs (it runs as a container of its own, then a commit; see
# src/build/secstep.c) against the same step as a plain RUN.
#
# Knobs: BENCH_SECRET_STEPS (5) Executes per task, BENCH_SECRET_REPS (3)
# runs of each build.
# shellcheck shell=bash

SECRET_STEPS=${BENCH_SECRET_STEPS:-5}
SECRET_REPS=${BENCH_SECRET_REPS:-3}

# setup_secrets: $WORK/secrets/fusefile.lua with two tasks of SECRET_STEPS
# Executes on the busybox image, "plain" and "secret" (each Execute lists a
# secret read from BENCH_SECRET_VALUE); the same commands otherwise.
setup_secrets() {
    local i dir=$WORK/secrets
    mkdir -p "$dir"
    {
        printf 'local function steps(secrets)\n  for i = 1, %d do\n' "$SECRET_STEPS"
        printf '    yield(Execute { name = "step " .. i, secrets = secrets,\n'
        printf '      command = "sh -c \\"echo " .. i .. " > /step" .. i .. "\\"" })\n'
        printf '  end\nend\n'
        printf 'plain = docker_container { from_image = "fuse-test/busybox" } (function () steps(nil) end)\n'
        printf 'secret = docker_container { from_image = "fuse-test/busybox",\n'
        printf '  secrets = { tok = { env = "BENCH_SECRET_VALUE" } } } (function () steps({ "tok" }) end)\n'
    } >"$dir/fusefile.lua"
    i=$SECRET_STEPS
    say "secrets: two tasks of $i Executes, with and without a secret"
}

# secret_pair NAME ARGS: SECRET_REPS alternating runs of both tasks with
# ARGS; sets F_MED (secret) and B_MED (plain).
secret_pair() {
    local name=$1 args=$2 i f=() b=()
    for ((i = 1; i <= SECRET_REPS; i++)); do
        # shellcheck disable=SC2086 # ARGS is a word list
        f+=("$(cd "$WORK/secrets" && BENCH_SECRET_VALUE=v$i secs "$FUSE" -q $args "secret:tag=$P-secret")")
        # shellcheck disable=SC2086
        b+=("$(cd "$WORK/secrets" && secs "$FUSE" -q $args "plain:tag=$P-plain")")
        say "secrets $name run $i: with secrets ${f[-1]} s, plain ${b[-1]} s"
    done
    F_MED=$(median "${f[@]}")
    B_MED=$(median "${b[@]}")
}

case_secrets() {
    say "case 13: $SECRET_STEPS Executes listing a secret against plain RUN steps"
    setup_secrets
    secret_pair cold --no-cache
    local per
    per=$(awk -v f="$F_MED" -v b="$B_MED" -v n="$SECRET_STEPS" 'BEGIN { printf "%.4f\n", (f - b) / n }')
    row "13a secrets, $SECRET_STEPS steps --no-cache" "$(fmt_s "$F_MED")" "$(fmt_s "$B_MED")" \
        "$(ratio "$F_MED" "$B_MED")" "<= 2.00" "$(verdict "$(ratio "$F_MED" "$B_MED")" 2.00)"
    row "13b secrets, cost per step" "$(fmt_s "$per")" "-" "-" "<= 0.50 s" "$(verdict "$per" 0.50)"
    secret_pair warm ""
    row "13c secrets, rebuilt, a value changed" "$(fmt_s "$F_MED")" "$(fmt_s "$B_MED")" \
        "$(ratio "$F_MED" "$B_MED")" "<= 1.50" "$(verdict "$(ratio "$F_MED" "$B_MED")" 1.50)"
}

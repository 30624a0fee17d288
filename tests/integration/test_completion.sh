#!/bin/bash
# test_completion.sh -- completion/fuse.bash in a real bash: task names from
# fuse --shortlist, options from fuse --help, -d/-f arguments, a task's keys
# from fuse -d, and, on a pseudo-terminal, TAB completing a task name the
# way a person sees it.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

COMPLETION=$ROOT/completion/fuse.bash
mkdir -p "$WORK/bin" "$WORK/p/tasks" "$WORK/p/sub" "$WORK/other"
ln -s "$FUSE" "$WORK/bin/fuse"

cat >"$WORK/p/fusefile.lua" <<'LUA'
app_server = docker_container {
  description = "the app",
  params = { version = "1" },
} (function () end)
release = task(function () end)
LUA
cat >"$WORK/p/tasks/web.lua" <<'LUA'
site = task { params = { port = "80" } } (function () end)
LUA
cat >"$WORK/other/only.lua" <<'LUA'
lonely = task(function () end)
LUA

# complete DIR LINE: the candidates (COMPREPLY, sorted, one per line) that
# _fuse offers for the end of LINE, in a fresh bash run in DIR, with COMP_*
# set as bash sets them (COMP_WORDS split at COMP_WORDBREAKS too).
complete_in() {
    (cd "$1" && PATH=$WORK/bin:$PATH bash --norc --noprofile -c '
        source "$1" || exit 1
        COMP_LINE=$2 COMP_POINT=${#2}
        COMP_WORDS=()
        read -ra words <<<"$2"
        [[ $2 == *" " ]] && words+=("")
        for w in "${words[@]}"; do
            # "app:tag=x" is "app" ":" "tag" "=" "x" for bash.
            while [[ $w =~ ^([^:=]*)([:=]+)(.*)$ ]]; do
                [[ ${BASH_REMATCH[1]} ]] && COMP_WORDS+=("${BASH_REMATCH[1]}")
                COMP_WORDS+=("${BASH_REMATCH[2]}")
                w=${BASH_REMATCH[3]}
            done
            COMP_WORDS+=("$w")
        done
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        _fuse fuse "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
        printf "%s\n" "${COMPREPLY[@]}" | sort
    ' _ "$COMPLETION" "$2") | paste -sd' '
}

registered() { bash --norc -c "source '$COMPLETION' && complete -p fuse" | grep -q -- '-F _fuse fuse$'; }
check "the script registers _fuse for fuse" registered
expect_eq "task names from --shortlist" "app_server release web.site" "$(complete_in "$WORK/p" "fuse ")"
expect_eq "task names by prefix" "app_server" "$(complete_in "$WORK/p" "fuse ap")"
expect_eq "namespaced task names" "web.site" "$(complete_in "$WORK/p" "fuse we")"
expect_eq "from a subdirectory of the project" "release" "$(complete_in "$WORK/p/sub" "fuse rel")"
expect_eq "the second task word too" "app_server" "$(complete_in "$WORK/p" "fuse release a")"
expect_eq "-d completes task names" "release" "$(complete_in "$WORK/p" "fuse -d re")"
expect_eq "-f on the line chooses the tasks" "lonely" \
    "$(complete_in "$WORK/p" "fuse -f $WORK/other/only.lua ")"
expect_eq "-f completes files" "$WORK/other/only.lua" \
    "$(complete_in "$WORK/p" "fuse -f $WORK/other/on")"
expect_eq "options from --help" "--display --dry-run" "$(complete_in "$WORK/p" "fuse --d")"
opts=$(complete_in "$WORK/p" "fuse -") missing=
for o in -l --list --shortlist -d --display -f --fusefile -n --dry-run --no-cache --pull --push -v --verbose \
    -q --quiet --version -h --help -H --host --context; do
    case " $opts " in
    *" $o "*) ;;
    *) missing+=" $o" ;;
    esac
done
expect_eq "every option of fuse(1) completes" "" "$missing"
# bash replaces the word after its last ':' or '=': the candidates are the
# part after it, as bash-completion's __ltrim_colon_completions does.
expect_eq "TASK: offers the task's keys (options and params)" \
    "cmd= engine= entrypoint= env= from_image= healthcheck= labels= maintainer= no_cache= ports= pull= push= stopsignal= tag= user= version= volumes= workdir=" \
    "$(complete_in "$WORK/p" "fuse app_server:")"
expect_eq "TASK:prefix narrows the keys" "tag=" "$(complete_in "$WORK/p" "fuse app_server:ta")"
expect_eq "a plain task offers its params only" "port=" "$(complete_in "$WORK/p" "fuse web.site:")"
expect_eq "keys after a comma" "x,version= x,volumes=" \
    "$(complete_in "$WORK/p" "fuse app_server:tag=x,v")"
expect_eq "no_cache= offers true and false" "false true" \
    "$(complete_in "$WORK/p" "fuse app_server:no_cache=")"
expect_eq "pull= offers true and false" "false true" \
    "$(complete_in "$WORK/p" "fuse app_server:tag=x,pull=")"
expect_eq "healthcheck= offers none" "none" \
    "$(complete_in "$WORK/p" "fuse app_server:healthcheck=")"
expect_eq "push= offers true and false" "false true" \
    "$(complete_in "$WORK/p" "fuse app_server:push=")"
expect_eq "an unknown task completes no keys" "" "$(complete_in "$WORK/p" "fuse nope:")"
expect_eq "outside any project nothing completes" "" "$(complete_in / "fuse ")"

# --- TAB in an interactive bash on a pseudo-terminal -------------------------
# script(1) runs bash on a pty; the test types into a FIFO and waits for what
# it expects to appear (polling, with a generous bound so a hung bash fails
# the test instead of hanging it).
mkfifo "$WORK/in"
(cd "$ROOT/examples/hello" && PATH=$WORK/bin:$PATH TERM=dumb INPUTRC=/dev/null \
    script -qfc 'bash --norc --noprofile -i' /dev/null <"$WORK/in" >"$WORK/out" 2>&1) &
spid=$!
exec 3>"$WORK/in"
# wait_for TEXT: until the terminal output holds TEXT (fixed string).
wait_for() {
    local i
    for ((i = 0; i < 300; i++)); do
        tr -d '\r' <"$WORK/out" | grep -qF -- "$1" && return 0
        sleep 0.1
    done
    return 1
}
printf 'PS1=READY%s; source %q\n' '\$\ ' "$COMPLETION" >&3
wait_for 'READY$ ' || true
printf 'fuse app\t' >&3
check "TAB completes a task name in an interactive bash" wait_for 'fuse app_server '
printf '\025exit\n' >&3
exec 3>&-
wait "$spid" 2>/dev/null

#!/bin/bash
# test_term.sh -- output conventions from outside (fuse(1) OUTPUT): on a
# terminal (a pseudo-terminal made by script(1)) the "fuse:" error prefix is
# red and the step progress rewrites one line; with NO_COLOR there is no
# colour; on a pipe there is neither colour nor rewriting.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

TAG=fuse-it/term-$$
on_exit 'docker rmi -f "$TAG" >/dev/null 2>&1'

ESC=$'\033'
# on_tty CMD: runs CMD (a shell string) on a pseudo-terminal, output to stdout.
on_tty() { script -qec "$1" /dev/null; }
# no_esc TEXT: TEXT holds no escape sequence at all.
no_esc() { ! grep -q "$ESC" <<<"$1"; }

mkdir -p "$WORK/p"
cat >"$WORK/p/fusefile.lua" <<LUA
img = docker_container { from_image = "fuse-test/busybox", tag = "$TAG" } (function ()
  yield(File { name = "/a", contents = "a" })
  yield(Directory { name = "/d" })
  yield(File { name = "/d/b", contents = "$$" })
end)
-- The payload's error goes to stderr, which Docker wraps in colour codes.
loud = docker_container { from_image = "fuse-test/busybox" } (function ()
  yield(Execute { name = "loud", command = "false" })
end)
LUA
cd "$WORK/p" || exit 1
unset NO_COLOR
export TERM=xterm

# --- the error prefix ---------------------------------------------------------
out=$(on_tty "'$FUSE' no_such_task")
check "tty: the fuse: prefix is red" grep -qF "${ESC}[1;31mfuse:${ESC}[0m unknown task" <<<"$out"
out=$(NO_COLOR=1 on_tty "'$FUSE' no_such_task")
check "tty + NO_COLOR: no escape at all in the error" no_esc "$out"
check "tty + NO_COLOR: the error line is there" grep -q "^fuse: unknown task" <<<"$out"
out=$("$FUSE" no_such_task 2>&1 | cat)
expect_eq "pipe: the plain error line" 'fuse: unknown task "no_such_task"' "$(head -1 <<<"$out")"
out=$(TERM=dumb on_tty "'$FUSE' no_such_task")
check "TERM=dumb: no colour" no_esc "$out"

# --- the step progress --------------------------------------------------------
out=$(on_tty "'$FUSE' --no-cache img")
# The three steps share one row: each starts with \r + clear-line, and the
# row ends (one newline) before the final "fuse: built" line.
steps=$(printf '%s' "$out" | grep -c "^fuse: built")
expect_eq "tty: the build succeeds with one final line" 1 "$steps"
first=$(printf '%s' "$out" | grep -v '^fuse: built' | tr -d '\n')
expect_eq "tty: progress rewrites one line, bold counters" \
    "${ESC}[K${ESC}[1m[1/3]${ESC}[0m File /a${ESC}[K${ESC}[1m[2/3]${ESC}[0m Directory /d${ESC}[K${ESC}[1m[3/3]${ESC}[0m File /d/b" \
    "$(printf '%s' "$first" | tr -d '\r')"
check "tty: every progress write begins with a carriage return" \
    test "$(printf '%s' "$first" | grep -o $'\r'"${ESC}\\[K" | wc -l)" = 3

out=$(NO_COLOR=1 on_tty "'$FUSE' --no-cache img" | tr -d '\r')
expect_eq "tty + NO_COLOR: rewritten in place, no colour" \
    "${ESC}[K[1/3] File /a${ESC}[K[2/3] Directory /d${ESC}[K[3/3] File /d/b" \
    "$(grep -v '^fuse: built' <<<"$out" | tr -d '\n')"

out=$("$FUSE" --no-cache img | cat)
expect_eq "pipe: one plain line per step, then the result" \
    "[1/3] File /a|[2/3] Directory /d|[3/3] File /d/b|fuse: built" \
    "$(awk '/^fuse: built/ { $0 = "fuse: built" } 1' <<<"$out" | paste -sd'|')"
check "pipe: no escape at all" no_esc "$out"

# --- -v: Docker's own colour codes --------------------------------------------
out=$(on_tty "'$FUSE' -v loud 2>/dev/null")
# The classic builder colours a step's stderr red; BuildKit's trace carries
# no colour to keep.
cout=$(on_tty "DOCKER_BUILDKIT=0 '$FUSE' -v loud 2>/dev/null")
check "tty -v: the classic builder's colour of a step's stderr is kept" \
    grep -qF "${ESC}[91m" <<<"$cout"
check "tty -v: the payload's error is shown" grep -q 'fuse-apply: Execute\[loud\]' <<<"$out"
out=$(NO_COLOR=1 on_tty "'$FUSE' -v loud 2>/dev/null")
check "tty + NO_COLOR -v: no escape at all" no_esc "$out"
check "tty + NO_COLOR -v: the payload's error is still shown" \
    grep -q 'fuse-apply: Execute\[loud\]' <<<"$out"
out=$("$FUSE" -v loud 2>/dev/null | cat)
check "pipe -v: no escape at all" no_esc "$out"
check "pipe -v: the payload's error is still shown" grep -q 'fuse-apply: Execute\[loud\]' <<<"$out"

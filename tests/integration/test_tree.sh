#!/bin/bash
# test_tree.sh -- Directory { source = ... } copies a host tree in one COPY
# step (dockerfile_tree.c, tree.c): files with their data and modes,
# nested directories, a link inside the tree and one pointing out of it
# kept as links, owner and group on every entry, the top directory's mode;
# excludes with "**", a trailing "/", "!" re-includes and .fuseignore (not
# copied itself); -n counts and -v lists; a rebuild with nothing changed is
# fully cached (same image ID), changing one file makes a new image. Then a
# bad-input row per error: exact first line and exit status.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

TAG=fuse-it/tree-$$
on_exit 'docker rmi -f "$TAG" >/dev/null 2>&1'

mkdir -p "$WORK/p/app" && cd "$WORK/p" || exit 1
mkdir -p app/sub/deep app/.git app/node_modules/m app/node_modules/keep app/cache
printf 'hello\n' >app/a.txt && chmod 0600 app/a.txt
printf '#!/bin/sh\necho run\n' >app/run.sh && chmod 0755 app/run.sh
printf 'deep\n' >app/sub/deep/d.txt
printf 'c\n' >app/x.pyc
printf 'k\n' >app/keep.pyc
printf 'c\n' >app/sub/y.pyc
printf 'g\n' >app/.git/HEAD
printf 'm\n' >app/node_modules/m/i.js
printf 'k\n' >app/node_modules/keep/k.js
printf 't\n' >app/cache/t.tmp
printf 's\n' >app/sub/s.tmp
chmod 0700 app/sub
ln -s a.txt app/in
ln -s ../../../etc/passwd app/sub/out
printf '# not part of the image\n\n**/*.tmp\ncache/\n' >app/.fuseignore
cat >fusefile.lua <<'EOF2'
tree = docker_container {
  from_image = "fuse-test/busybox",
  tag = os.getenv("TREE_TAG"),
} (function ()
  yield(Group { name = "grp", gid = 2345 })
  yield(User { name = "app", uid = 2346, group = "grp" })
  yield(Directory { name = "/srv/app", source = "app", owner = "app", group = "grp", mode = "0750",
                    exclude = { "**/*.pyc", "!keep.pyc", ".git/", "node_modules/",
                                "!node_modules/keep" } })
end)
EOF2
export TREE_TAG=$TAG

"$FUSE" -n tree >"$WORK/n" 2>&1
check "-n: one COPY of the tree into the parent, with --chown" \
    grep -qxF 'COPY --chown=app:grp [".fuse/trees/3/","/srv/"]' "$WORK/n"
expect_eq "-n: counts and size" \
    "Directory[/srv/app]: 5 files, 4 directories, 2 links, 34 bytes from app/" \
    "$(grep '^Directory\[' "$WORK/n")"
"$FUSE" -n -v tree >"$WORK/nv" 2>&1
expect_eq "-n -v: every entry listed" \
    "  file 0600 a.txt (6 bytes)|  link      in -> a.txt|  file 0644 keep.pyc (2 bytes)|  dir  0755 node_modules/|  dir  0755 node_modules/keep/|  file 0644 node_modules/keep/k.js (2 bytes)|  file 0755 run.sh (19 bytes)|  dir  0700 sub/|  dir  0755 sub/deep/|  file 0644 sub/deep/d.txt (5 bytes)|  link      sub/out -> ../../../etc/passwd" \
    "$(grep '^  ' "$WORK/nv" | grep -v '^  *[]{}"[]' | paste -sd'|')"

if "$FUSE" tree >"$WORK/out" 2>&1; then ok "build succeeds"; else
    not_ok "build succeeds"
    sed 's/^/    /' "$WORK/out"
fi
expect_eq "the tree is one step" "[3/3] Directory /srv/app" "$(grep '^\[3' "$WORK/out")"
id1=$(docker image inspect -f '{{.Id}}' "$TAG" 2>&1)

in_image() { docker run --rm "$TAG" sh -c "$1" 2>&1; }
expect_eq "exactly the entries not excluded; .fuseignore not copied" \
    ".|./a.txt|./in|./keep.pyc|./node_modules|./node_modules/keep|./node_modules/keep/k.js|./run.sh|./sub|./sub/deep|./sub/deep/d.txt|./sub/out" \
    "$(in_image 'cd /srv/app && find . | sort' | paste -sd'|')"
expect_eq "modes kept (executable, private, directories), the top is the Directory's mode" \
    "750 600 755 700 755 644" \
    "$(in_image 'cd /srv/app && stat -c %a . a.txt run.sh sub sub/deep sub/deep/d.txt' | paste -sd' ')"
expect_eq "owner and group on every entry, links included" "app:grp" \
    "$(in_image 'cd /srv/app && find . -exec stat -c %U:%G {} \; | sort -u')"
expect_eq "links stay links with their targets, the outside one too" \
    "a.txt|../../../etc/passwd" \
    "$(in_image 'cd /srv/app && test -L in && test -L sub/out && readlink in && readlink sub/out' |
        paste -sd'|')"
expect_eq "data byte for byte; the script runs" "hello|deep|run" \
    "$(in_image 'cat /srv/app/a.txt /srv/app/sub/deep/d.txt && /srv/app/run.sh' | paste -sd'|')"
check "nothing left under /.fuse" docker run --rm "$TAG" sh -c '! test -e /.fuse'

"$FUSE" -v tree >"$WORK/again" 2>&1
id2=$(docker image inspect -f '{{.Id}}' "$TAG" 2>&1)
expect_eq "nothing changed: the same image" "$id1" "$id2"
expect_eq "nothing changed: every step from the cache" "" "$(steps_ran "$WORK/again")"

printf 'changed\n' >app/sub/deep/d.txt
"$FUSE" -v tree >"$WORK/changed" 2>&1
id3=$(docker image inspect -f '{{.Id}}' "$TAG" 2>&1)
check "one file changed: a new image" test "$id3" != "$id1"
expect_eq "one file changed: the earlier steps still cached, the tree's reran" "2 3 4" \
    "$(steps_cached "$WORK/changed" | tr ' ' '\n' | awk '$1 < 5' | paste -sd' ')"
expect_eq "the new data is in" "changed" "$(in_image 'cat /srv/app/sub/deep/d.txt')"

# Bad input: the exact first line and the exit status.
row() {
    local name=$1 want_st=$2 want=$3 expr=$4
    [ -d "$WORK/bad/app" ] || { mkdir -p "$WORK/bad" && cp -r app "$WORK/bad/"; }
    printf 't = docker_container(function ()\n  yield(%s)\nend)\n' "$expr" >"$WORK/bad/fusefile.lua"
    # Not -n: under -n a missing source is let through (sh() ran nothing).
    # Every row fails before the engine is contacted.
    (cd "$WORK/bad" && DOCKER_HOST=unix:///nonexistent/fuse-tree.sock "$FUSE" t >/dev/null 2>"$WORK/err")
    local st=$?
    expect_eq "bad input: $name" "[$want_st] $want" "[$st] $(head -n 1 "$WORK/err")"
}
B=$WORK/bad
row "source missing" 2 "fuse: fusefile.lua:2: Directory: cannot read source $B/nope: No such file or directory" \
    'Directory { name = "/x", source = "nope" }'
row "source not a directory" 2 "fuse: fusefile.lua:2: Directory: source $B/fusefile.lua is not a directory" \
    'Directory { name = "/x", source = "fusefile.lua" }'
row "a pattern that does not parse" 2 \
    'fuse: fusefile.lua:2: Directory: exclude[2] is a bad pattern "[a-": has an unclosed or malformed [...] class' \
    'Directory { name = "/x", source = "app", exclude = { "ok", "[a-" } }'
row "source with policy remove" 2 'fuse: fusefile.lua:2: Directory: policy remove takes no source (it would be ignored)' \
    'Directory { name = "/x", source = "app", policy = "remove" }'
row "exclude without source" 2 'fuse: fusefile.lua:2: Directory: exclude needs source (a tree to copy)' \
    'Directory { name = "/x", exclude = { "a" } }'
row "an owner without a group" 2 'fuse: fusefile.lua:2: Directory: a tree (source) with an owner needs a group too' \
    'Directory { name = "/x", source = "app", owner = "app" }'
row "exclude not a list" 2 'fuse: fusefile.lua:2: Directory: exclude must be a list of strings, not a string' \
    'Directory { name = "/x", source = "app", exclude = "*.pyc" }'
row "a tree onto /" 2 'fuse: fusefile.lua:2: Directory: a tree (source) needs a name below /, not "/"' \
    'Directory { name = "/", source = "app" }'
printf 'ok\n[oops\n' >"$B/app/.fuseignore"
row "a bad .fuseignore line" 2 \
    "fuse: fusefile.lua:2: Directory: $B/app/.fuseignore:2: bad pattern \"[oops\": has an unclosed or malformed [...] class" \
    'Directory { name = "/x", source = "app" }'
rm -f "$B/app/.fuseignore"
mkfifo "$B/app/fifo"
row "a FIFO in the tree" 1 "fuse: $B/app/fifo: not a regular file, directory or symbolic link" \
    'Directory { name = "/x", source = "app" }'

printf 't = docker_container(function ()\n  sh("mkdir later")\n  yield(Directory { name = "/x", source = "later" })\nend)\n' \
    >"$B/fusefile.lua"
expect_eq "-n: a source a printed sh() command would make is let through and said so" \
    "[0] Directory[/x]: nothing yet, later/ does not exist" \
    "[$(cd "$B" && "$FUSE" -n t >"$WORK/out" 2>&1; echo $?)] $(grep '^Directory' "$WORK/out")"

#!/bin/bash
# test_badinput.sh -- the bad-input matrix (issue 6): what a user can type or
# hand over that fuse and fuse-apply must refuse cleanly.
#
# One row per case: the input, the exact first line on stderr and the exit
# status (fuse(1): 2 usage or task-file error, 1 a failed task; fuse-apply:
# 2 a bad bundle). Rows cover the command line, task files (huge values, NUL
# bytes, invalid UTF-8, deep nesting, cyclic tables, generators that yield a
# non-resource, error after yielding or never yield, runaway loops stopped by
# --timeout), resource fields and fuselage bundle JSON. Nothing here needs a
# Docker engine: every case fails before one would be contacted (-n, or an
# error at definition time), and DOCKER_HOST points nowhere to prove it.
# BADINPUT_SHOW=1 prints every row's actual first line.
. "$(dirname "$0")/lib.sh"

export DOCKER_HOST=unix:///nonexistent/fuse-badinput.sock
rows=0 failed_rows=0

# report NAME WANT_STATUS WANT_LINE GOT_STATUS STDERR_FILE
report() {
    local got
    got=$(head -n 1 "$5")
    rows=$((rows + 1))
    [ "${BADINPUT_SHOW:-}" = 1 ] && printf '    [%s] %s\n' "$4" "$got"
    if [ "$2" = "$4" ] && [ "$3" = "$got" ]; then
        ok "$1"
    else
        failed_rows=$((failed_rows + 1))
        not_ok "$1"
        printf '    expected: [%s] %s\n    actual:   [%s] %s\n' "$2" "$3" "$4" "$got"
    fi
}

# cli NAME STATUS LINE ARGS...: fuse ARGS in a project with one task t.
cli() {
    local name=$1 st=$2 line=$3
    shift 3
    (cd "$WORK/proj" && timeout 20 "$FUSE" "$@" >/dev/null 2>"$WORK/err")
    report "cli: $name" "$st" "$line" $? "$WORK/err"
}

# lua NAME STATUS LINE SOURCE [ARGS...]: fuse ARGS (default -n t) with
# fusefile.lua = SOURCE (printf %b: \\0 and \\xff put raw bytes in the file).
lua() {
    local name=$1 st=$2 line=$3 src=$4
    shift 4
    [ $# -gt 0 ] || set -- -n t
    rm -rf "$WORK/lua" && mkdir "$WORK/lua"
    printf '%b' "$src" >"$WORK/lua/fusefile.lua"
    (cd "$WORK/lua" && timeout 20 "$FUSE" "$@" >/dev/null 2>"$WORK/err")
    report "task file: $name" "$st" "$line" $? "$WORK/err"
}

# res NAME LINE LUA_EXPR: a container task t yielding the resource LUA_EXPR
# at line 2 of fusefile.lua, run with -n. Every such case exits 2.
res() {
    lua "resource: $1" 2 "$2" "t = docker_container(function ()\n  yield($3)\nend)\n"
}

# apply NAME STATUS LINE JSON: fuse-apply on a bundle file holding JSON
# (printf %b again, for raw bytes).
apply() {
    mkdir -p "$WORK/root"
    printf '%b' "$4" >"$WORK/bundle.json"
    timeout 20 "$FUSE_APPLY" --root "$WORK/root" --state "$WORK/state" "$WORK/bundle.json" \
        >/dev/null 2>"$WORK/err"
    report "bundle: $1" "$2" "$3" $? "$WORK/err"
}

mkdir -p "$WORK/proj"
cat >"$WORK/proj/fusefile.lua" <<'EOF'
t = docker_container {
  from_image = "fuse-test/busybox",
  params = { who = "world" },
} (function (bundle, args)
  yield(File { name = "/hello", contents = args.who })
end)
EOF
long=$(printf 'x%.0s' $(seq 1 5000))

# ---- the command line ---------------------------------------------------------
cli "no task" 2 "fuse: no task given"
cli "unknown long option" 2 "fuse: unknown option --frob" --frob t
cli "unknown short option" 2 "fuse: unknown option -x" -x t
cli "ambiguous abbreviation" 2 "fuse: ambiguous option --ver (could be --verbose, --version)" --ver
cli "value to a flag" 2 "fuse: option --list takes no value" --list=yes
cli "missing option argument" 2 "fuse: option -f needs an argument" -f
cli "-v with -q" 2 "fuse: options -v and -q cannot be used together" -v -q t
cli "--timeout 0" 2 'fuse: option --timeout: expected whole seconds from 1 to 86400, got "0"' --timeout 0 t
cli "--timeout with a unit" 2 'fuse: option --timeout: expected whole seconds from 1 to 86400, got "5m"' --timeout 5m t
cli "--timeout negative" 2 'fuse: option --timeout: expected whole seconds from 1 to 86400, got "-1"' --timeout -1 t
cli "--timeout huge" 2 'fuse: option --timeout: expected whole seconds from 1 to 86400, got "99999999999999999999"' --timeout 99999999999999999999 t
cli "unknown task" 2 'fuse: unknown task "nosuch"' nosuch
cli "task name in invalid UTF-8" 2 $'fuse: unknown task "t\xff"' $'t\xff'
cli "huge task name" 2 "fuse: unknown task \"$long\"" "$long"
cli "missing task name" 2 'fuse: missing task name in argument ":who=x"' :who=x
cli "positional argument" 2 'fuse: t: positional argument "x" is not supported; use KEY=VALUE' t:x
cli "argument without a key" 2 'fuse: t: argument "=v" has no key' t:=v
cli "empty argument" 2 'fuse: t: empty argument in "t:who=a,,tag=b"' t:who=a,,tag=b
cli "argument given twice" 2 'fuse: t: argument "who" given twice' t:who=a,who=b
cli "bad escape" 2 'fuse: bad escape "\q" in argument "t:who=a\qb"' 't:who=a\qb'
# shellcheck disable=SC1003 # a literal trailing backslash
cli "trailing backslash" 2 'fuse: trailing backslash in argument "t:who=a\"' 't:who=a\'
cli "unknown key" 2 'fuse: t: the following parameters were not understood: nosuch (accepted: caches, cmd, engine, entrypoint, env, from_image, healthcheck, labels, maintainer, no_cache, ports, pull, push, stopsignal, tag, user, volumes, who, workdir)' t:nosuch=1
cli "bad boolean" 2 'fuse: t: no_cache: "maybe" is not a boolean (true/false, yes/no, 1/0)' t:no_cache=maybe
cli "bad port" 2 'fuse: t: ports: "http" is not a port like 8000 or "53/udp" (tcp, udp, sctp)' t:ports=http
cli "port out of range" 2 'fuse: t: ports: 70000 is not a port number (1-65535)' t:ports=70000
cli "env item without =" 2 'fuse: t: env: "A" is not KEY=VALUE' t:env=A
cli "empty user" 2 'fuse: t: user must not be empty' -n t:user=
cli "empty workdir" 2 'fuse: t: workdir must not be empty' -n t:workdir=
cli "empty from_image" 2 'fuse: t: from_image must not be empty' -n t:from_image=
cli "env name with a space" 2 'fuse: t: env: "A B" is not a valid variable name (letters, digits, _ . -)' -n 't:env=A B=x'
cli "-d of an unknown task" 2 'fuse: unknown task "nosuch"' -d nosuch
cli "-f of a missing file" 2 'fuse: cannot open /nonexistent/fusefile.lua: No such file or directory' -f /nonexistent/fusefile.lua -l
cli "-f of a directory" 2 'fuse: cannot open /: Is a directory' -f / -l

# ---- task files -----------------------------------------------------------------
mkdir -p "$WORK/empty"
(cd "$WORK/empty" && "$FUSE" -l >/dev/null 2>"$WORK/err")
report "task file: none here or in any parent" 2 \
    "fuse: no fusefile.lua or tasks/ found in $WORK/empty or any parent directory" $? "$WORK/err"
lua "syntax error" 2 "fuse: fusefile.lua:1: unexpected symbol near '='" 'x = = 1\n' -l
lua "NUL byte in the source" 2 "fuse: fusefile.lua:2: unexpected symbol" 'x = 1\n\0\n' -l
lua "invalid UTF-8 in an identifier" 2 $'fuse: fusefile.lua:1: syntax error near \'<\\255>\'' 'x\xff = 1\n' -l
lua "precompiled chunk" 2 "fuse: attempt to load a binary chunk (mode is 't')" '\x1bLua\x54\x00' -l
lua "runtime error at load" 2 "fuse: fusefile.lua:2: attempt to index a nil value (local 'x')" 'local x\nprint(x.y)\n' -l
lua "error with a table value at load" 2 "fuse: fusefile.lua:1: (error object is a table value)" 'error({})\n' -l
lua "stack overflow at load" 2 "fuse: fusefile.lua:1: stack overflow" 'local function f() return 1 + f() end\nf()\n' -l
lua "runaway loop at load, --timeout" 1 "fuse: fusefile.lua:2: task timed out after 1 s" \
    'local n = 0\nwhile true do n = n + 1 end\n' --timeout 1 -l
lua "unknown docker_container option" 2 'fuse: fusefile.lua:1: docker_container: unknown option "colour"' \
    't = docker_container { colour = "red" } (function () end)\n'
lua "option of the wrong type" 2 "fuse: fusefile.lua:1: docker_container: tag must be a string or a list of strings" 't = docker_container { tag = 5 } (function () end)\n'
lua "cyclic env table" 2 "fuse: fusefile.lua:3: docker_container: options.env.self is a cyclic table (it contains itself)" \
    'local e = {}\ne.self = e\nt = docker_container { env = e } (function () end)\n'
lua "env given a list" 2 'fuse: fusefile.lua:1: docker_container: env must be a table of strings, like { KEY = "value" }' 't = docker_container { env = { "A=1" } } (function () end)\n'
lua "deeply nested option" 2 "fuse: fusefile.lua:3: docker_container: options.labels.a$(printf '[1]%.0s' $(seq 1 30)) nests tables too deeply" \
    'local v = "x"\nfor i = 1, 10000 do v = { v } end\nt = docker_container { labels = { a = v } } (function () end)\n'
lua "env name with a space" 2 'fuse: fusefile.lua:1: docker_container: env: "A B" is not a valid variable name (letters, digits, _ . -)' 't = docker_container { env = { ["A B"] = "x" } } (function () end)\n'
lua "empty workdir" 2 'fuse: fusefile.lua:1: docker_container: workdir must not be empty' 't = docker_container { workdir = "" } (function () end)\n'
lua "param default not a string" 2 "fuse: fusefile.lua:1: docker_container: params.n must default to a string, number or boolean" \
    't = docker_container { params = { n = {} } } (function () end)\n'
lua "duplicate task" 2 'fuse: fusefile.lua:2: duplicate task "t" (first defined at fusefile.lua:1)' 't = task(function () end)\nt = task(function () end)\n' -l
lua "yield of a number" 2 "fuse: fusefile.lua:2: yield expects a resource (File{...}, Package{...}, ...), got number" 't = docker_container(function ()\n  yield(42)\nend)\n'
lua "yield of nil" 2 "fuse: fusefile.lua:2: yield expects a resource (File{...}, Package{...}, ...), got nil" 't = docker_container(function ()\n  yield(nil)\nend)\n'
lua "yield of a task" 2 "fuse: fusefile.lua:2: yield expects a resource (File{...}, Package{...}, ...), got userdata" 't = docker_container(function ()\n  yield(t)\nend)\n'
lua "resources returned, not yielded" 2 "fuse: fusefile.lua:1: docker_container function returned a value (table); hand resources over with yield(resource), not return" \
    't = docker_container(function ()\n  return { Package { name = "curl" } }\nend)\n'
lua "resources made, none yielded" 2 "fuse: fusefile.lua:1: docker_container function made 2 resources but yielded none (a forgotten yield?)" \
    't = docker_container(function ()\n  File { name = "/a", contents = "a" }\n  Package { name = "curl" }\nend)\n'
lua "error after yielding" 1 "fuse: fusefile.lua:3: boom" \
    't = docker_container(function ()\n  yield(File { name = "/a", contents = "a" })\n  error("boom")\nend)\n'
lua "generator that never yields, --timeout" 1 "fuse: fusefile.lua:2: task timed out after 1 s" \
    't = docker_container(function ()\n  while true do end\nend)\n' --timeout 1 -n t
lua "pcall swallowing the timeout" 1 "fuse: fusefile.lua:2: task timed out after 1 s" \
    't = task(function ()\n  while true do pcall(function () while true do end end) end\nend)\n' --timeout 1 t
lua "sh that runs too long, --timeout" 1 "fuse: fusefile.lua:2: task timed out after 1 s" \
    't = task(function ()\n  sh("sleep 30")\nend)\n' --timeout 1 t
lua "stack overflow in a task" 1 "fuse: fusefile.lua:1: stack overflow" \
    'local function f() return 1 + f() end\nt = task(function () f() end)\n' t
lua "task running itself" 2 "fuse: tasks run each other more than 32 deep (a task running itself?)" 't = task(function () t:run() end)\n' t
lua "failing sh" 1 "fuse: fusefile.lua:2: sh: command exited with status 3: exit 3" 't = task(function ()\n  sh("exit 3")\nend)\n' t
lua "dependency cycle" 2 "fuse: cycle: t -> u -> t" \
    't = docker_container(function ()\n  yield(File { name = "/x", from = u, source = "/x" })\nend)\nu = docker_container { from_image = t } (function () end)\n'
lua "from_image a plain task" 2 "fuse: t: from_image names p, not a docker_container task" \
    'p = task(function () end)\nt = docker_container { from_image = p } (function () end)\n'
# A misspelt name is nil, and a nil field no field: caught where it is read.
NILG="is nil: no global of that name is defined (misspelt, or defined further down?)"
lua "from a misspelt task (an undefined global)" 2 "fuse: fusefile.lua:5: File: builderr $NILG" \
    'b = docker_container(function () end)\nt = docker_container(function ()\n  yield(File {\n    name = "/x",\n    from = builderr,\n    source = "/etc/hostname",\n  })\nend)\n'
lua "from_image a task defined further down" 2 "fuse: fusefile.lua:1: docker_container: base $NILG" \
    't = docker_container { from_image = base } (function () end)\nbase = docker_container(function () end)\n'
lua "a nil global read outside a resource's table is no error" 0 "" \
    't = docker_container(function ()\n  for i = 1, 2 do\n    yield(File { name = "/f" .. i })\n    if OPTIONAL then yield(File { name = "/o" }) end\n  end\nend)\n'

# ---- resource fields ----------------------------------------------------------------
P="fuse: fusefile.lua:2:"
res "mode as a number" "$P File: mode must be an octal string like \"0644\"" 'File { name = "/a", mode = 420 }'
res "mode not octal" "$P File: mode must be an octal string like \"0644\"" 'File { name = "/a", mode = "0999" }'
res "mode too large" "$P File: mode must be an octal string like \"0644\"" 'File { name = "/a", mode = "7777777777777777" }'
res "mode negative" "$P Directory: mode must be an octal string like \"0644\"" 'Directory { name = "/a", mode = "-755" }'
res "relative path" "$P File: name must be an absolute path, not \"etc/a\"" 'File { name = "etc/a" }'
res "from is a number" "$P File: from must be an image name or a docker_container task, not a number" \
    'File { name = "/a", from = 42, source = "/x" }'
res "from without source" "$P Directory: from needs source, an absolute path inside that image" \
    'Directory { name = "/a", from = "busybox" }'
res "from with a pattern" "$P File: source with from must not hold * ? [ or \\ (COPY reads them as a pattern)" \
    'File { name = "/a", from = "busybox", source = "/out/*" }'
res "a tree with a layer" "$P Directory: a tree (source) is a COPY of its own: it takes no layer" \
    'Directory { name = "/a", source = "/", layer = "x" }'
lua "layer on resources that are not consecutive" 2 \
    'fuse: fusefile.lua:4: File[/c]: layer "b" is on resources that are not consecutive: File[/a] (fusefile.lua:2) is in it, File[/b] is not' \
    't = docker_container(function ()\n  yield(File { name = "/a", layer = "b" })\n  yield(File { name = "/b" })\n  yield(File { name = "/c", layer = "b" })\nend)\n'
res "contents and source" "$P File: give contents or source, not both" 'File { name = "/a", contents = "x", source = "y" }'
res "source that does not exist" "$P File: cannot read source $WORK/lua/nosuch.txt: No such file or directory" 'File { name = "/a", source = "nosuch.txt" }'
res "source that is a directory" "$P File: source $WORK/lua/. is not a regular file" 'File { name = "/a", source = "." }'
res "source that is a device" "$P File: source /dev/null is not a regular file" 'File { name = "/a", source = "/dev/null" }'
res "NUL byte in a path" "$P File: name must not contain a NUL byte" 'File { name = "/a\\0b" }'
res "NUL byte in a package name" "$P Package: name must not contain a NUL byte" 'Package { name = "curl\\0x" }'
res "unknown field" "$P File: unknown field \"colour\"" 'File { name = "/a", colour = "red" }'
res "name of the wrong type" "$P File: name must be an absolute path, not a number" 'File { name = 3 }'
res "missing required field" "$P Link: to is required" 'Link { name = "/a" }'
res "uid not an integer" "$P User: uid must be an integer, not 1.5" 'User { name = "u", uid = 1.5 }'
res "uid huge" "$P User: uid must be an integer, not 1e+300" 'User { name = "u", uid = 1e300 }'
res "uid negative" "$P User: uid must be from 0 to 4294967295, not -1" 'User { name = "u", uid = -1 }'
res "gid wider than 32 bits" "$P Group: gid must be from 0 to 4294967295, not 4.29497e+09" 'Group { name = "g", gid = 4294967296 }'
res "returncode a string" "$P Execute: returncode must be an integer, not a string" 'Execute { name = "e", command = "true", returncode = "x" }'
res "command and commands" "$P Execute: give command or commands, not both" 'Execute { name = "e", command = "a", commands = { "b" } }'
res "cyclic environment" "$P Execute: environment.x is a cyclic table (it contains itself)" \
    '(function () local e = {} e.x = e return Execute { name = "e", command = "true", environment = e } end)()'
res "deeply nested package list" "$P Package: name$(printf '[1]%.0s' $(seq 1 32)) nests tables too deeply" \
    '(function () local v = "a" for i = 1, 10000 do v = { v } end return Package { name = v } end)()'
res "unknown policy" "$P Package: unknown policy \"nuke\" (accepted: install, uninstall)" 'Package { name = "a", policy = "nuke" }'
res "watches an unknown resource" "$P Execute[e]: watches \"File[/nosuch]\", which is not an earlier resource" \
    'Execute { name = "e", command = "true", watches = { "File[/nosuch]" } }'
res "bad regex" "$P Line: match is not a valid extended regular expression: Unmatched ( or \\(" 'Line { name = "/etc/a", line = "x", match = "(" }'
res "unknown scm" "$P Checkout: scm must be \"git\", not \"svn\"" 'Checkout { name = "/src", repository = "r", scm = "svn" }'
lua "huge path (too large for one build step)" 1 \
    "fuse: File[/$(printf 'a%.0s' $(seq 1 74))... is too large for one build step (more than 60 KiB of JSON)" \
    't = docker_container(function ()\n  yield(File { name = "/" .. string.rep("a", 100000) })\nend)\n'

# ---- bundle JSON for fuse-apply -----------------------------------------------------
B="fuse-apply: $WORK/bundle.json:"
apply "empty file" 2 "$B bad bundle JSON: parse error: premature EOF at byte 0" ''
apply "not JSON" 2 "$B bad bundle JSON: lexical error: invalid char in json text at byte 1" 'hello'
apply "truncated JSON" 2 "$B bad bundle JSON: parse error: premature EOF at byte 29" '{"version": 1, "resources": ['
apply "trailing garbage" 2 "$B bad bundle JSON: parse error: trailing garbage at byte 33" '{"version": 1, "resources": []} x'
apply "a string at the top" 2 "$B bad bundle: expected {\"version\": 1, \"resources\": [...]}, a list of resources or one resource" '"x"'
apply "an empty object" 2 "$B bad bundle: expected {\"version\": 1, \"resources\": [...]}, a list of resources or one resource" '{}'
apply "unknown version" 2 "$B bad bundle: unsupported version 2" '{"version": 2, "resources": []}'
apply "version as a string" 2 "$B bad bundle: unsupported version" '{"version": "1", "resources": []}'
apply "resources not a list" 2 "$B bad bundle: \"resources\" must be a list" '{"version": 1, "resources": "x"}'
apply "duplicate key" 2 "$B bad bundle JSON: duplicate key \"resources\" at byte 84" \
    '{"version": 1, "resources": [{"File": {"name": "/a", "contents": "x"}}], "resources": []}'
apply "unknown resource type" 2 "$B resource 1: unknown type \"Frob\"" '{"version": 1, "resources": [{"Frob": {"name": "/a"}}]}'
apply "two types in one entry" 2 "$B resource 1: expected an object like {\"File\": {...}}" \
    '{"version": 1, "resources": [{"File": {"name": "/a"}, "Directory": {"name": "/b"}}]}'
apply "unknown field" 2 "$B resource 1 (File): unknown field \"colour\"" '{"version": 1, "resources": [{"File": {"name": "/a", "colour": "red"}}]}'
apply "relative path" 2 "$B resource 1 (File): name must be an absolute path, not \"a\"" '{"version": 1, "resources": [{"File": {"name": "a"}}]}'
apply "negative mode" 2 "$B resource 1 (File): mode must be an octal string like \"0644\"" '{"version": 1, "resources": [{"File": {"name": "/a", "mode": -1}}]}'
apply "negative owner" 2 "$B resource 1 (File): owner must be a name or an id (0 or more), not -5" '{"version": 1, "resources": [{"File": {"name": "/a", "owner": -5}}]}'
apply "environment value a number" 2 "$B resource 1 (Execute): environment.A must be a string, not a number" \
    '{"version": 1, "resources": [{"Execute": {"name": "e", "command": "true", "environment": {"A": 1}}}]}'
apply "watches a string" 2 "$B resource 1 (File): watches must be a list of strings, not a string" '{"version": 1, "resources": [{"File": {"name": "/a", "watches": "x"}}]}'
apply "NUL escape in a path" 2 "$B resource 1 (File): name must not contain a NUL byte" '{"version": 1, "resources": [{"File": {"name": "/a\\u0000b", "contents": "x"}}]}'
# shellcheck disable=SC2016 # a literal $base64 key
apply "bad \$base64" 2 "$B bad bundle JSON: bad \$base64 value at byte 82" '{"version": 1, "resources": [{"File": {"name": "/a", "contents": {"$base64": "!!"}}}]}'
apply "invalid UTF-8 in a string" 2 "$B bad bundle JSON: lexical error: invalid bytes in UTF8 string at byte 51" '{"version": 1, "resources": [{"File": {"name": "/a\xff"}}]}'
apply "huge number" 2 "$B resource 1 (User): uid must be an integer, not inf" '{"version": 1, "resources": [{"User": {"name": "u", "uid": 1e400}}]}'
apply "deep nesting" 2 "$B bad bundle JSON: JSON nested deeper than 64 levels at byte 92" "{\"version\": 1, \"resources\": $(printf '[%.0s' $(seq 1 20000))"
apply "duplicate resource" 2 "$B resource 2 (File): duplicate resource File[/a]" '{"version": 1, "resources": [{"File": {"name": "/a"}}, {"File": {"name": "/a"}}]}'
timeout 20 "$FUSE_APPLY" --root "$WORK/root" "$WORK/nosuch.json" >/dev/null 2>"$WORK/err"
report "bundle: missing file" 2 "fuse-apply: cannot read $WORK/nosuch.json: No such file or directory" $? "$WORK/err"
check "bundle: no bad bundle changed the root" test -z "$(ls -A "$WORK/root")"

echo "bad-input matrix: $rows cases, $((rows - failed_rows)) as expected, $failed_rows not"
if [ "$rows" -ge 60 ]; then ok "bad-input matrix has at least 60 cases ($rows)"; else
    not_ok "bad-input matrix has at least 60 cases ($rows)"
fi

#!/bin/bash
# test_opts.sh -- the options and helpers of fusefile(5) on a real engine,
# checked from outside: several tags on one image (and none moved by a
# failed build), HEALTHCHECK and STOPSIGNAL in the image config, here(),
# project_root and template() read back with docker run; then their bad
# input, one exact first line and exit status per row (test_badinput.sh's
# style), with -n so no engine is needed for those.
. "$(dirname "$0")/lib.sh"

cleanup() {
    docker images --format '{{.Repository}}:{{.Tag}}' | grep '^fuse-it/opts-' |
        xargs -r docker rmi -f >/dev/null 2>&1
}
on_exit cleanup

image_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null; }
inspect() { docker image inspect -f "$2" "$1" 2>/dev/null; }
# built_id FILE: the full ID of the image the final line of FILE names.
built_id() {
    local short
    short=$(sed -n 's/^fuse: built sha256:\([0-9a-f]*\).*/\1/p' "$1")
    [ -n "$short" ] && image_id "$short"
}

P=$WORK/proj
mkdir -p "$P/tasks/conf" "$P/tasks/data" "$P/sub/dir"
cat >"$P/fusefile.lua" <<'EOF'
multi = docker_container {
  from_image = "fuse-test/busybox",
  tag = { "fuse-it/opts-multi:1.4", "fuse-it/opts-multi:latest" },
  healthcheck = { cmd = { "/bin/true" }, interval = "30s", timeout = "5s", retries = 3,
                  start_period = "1m10s" },
  stopsignal = "quit",
  params = { fail = "no" },
} (function (bundle, args)
  yield(File { name = "/stamp", contents = "multi" })
  if args.fail == "yes" then
    yield(Execute { name = "boom", command = "exit 3" })
  end
end)

shellcheck = docker_container {
  from_image = "fuse-test/busybox",
  healthcheck = { cmd = "test -f /stamp || exit 1" },
} (function ()
  yield(File { name = "/stamp", contents = "x" })
end)
EOF
cat >"$P/tasks/conf/app.conf.tmpl" <<'EOF'
# {{ app.name }} configuration
listen = 0.0.0.0:{{port}}
debug = {{ debug }}
literal = {{{{ not a placeholder }}
EOF
printf 'data next to the task file\n' >"$P/tasks/data/x.txt"
cat >"$P/tasks/web.lua" <<'EOF'
site = docker_container {
  from_image = "fuse-test/busybox",
  tag = "fuse-it/opts-site:1",
} (function ()
  yield(File {
    name = "/etc/app.conf",
    contents = template("conf/app.conf.tmpl", { port = 8080, app = { name = "web" }, debug = false }),
  })
  yield(File { name = "/x.txt", source = here("data/x.txt") })
  yield(File { name = "/root.txt", contents = project_root })
end)
EOF

# --- several tags, healthcheck, stopsignal ----------------------------------
(cd "$P" && "$FUSE" multi >"$WORK/multi.out" 2>&1)
expect_eq "multi: builds" 0 $?
id=$(built_id "$WORK/multi.out")
check "multi: the final line names both tags" \
    grep -q "^fuse: built sha256:[0-9a-f]\{12\} as fuse-it/opts-multi:1.4, fuse-it/opts-multi:latest\$" \
    "$WORK/multi.out"
expect_eq "multi: tag 1.4 is the built image" "$id" "$(image_id fuse-it/opts-multi:1.4)"
expect_eq "multi: tag latest is the same image" "$id" "$(image_id fuse-it/opts-multi:latest)"
expect_eq "multi: HEALTHCHECK in the image config" \
    '{"Test":["CMD","/bin/true"],"Interval":30000000000,"Timeout":5000000000,"StartPeriod":70000000000,"Retries":3}' \
    "$(inspect "$id" '{{json .Config.Healthcheck}}')"
expect_eq "multi: STOPSIGNAL in the image config" SIGQUIT "$(inspect "$id" '{{.Config.StopSignal}}')"

expect_eq "multi: -n names every tag" \
    "# fuse -n: the image would be tagged fuse-it/opts-multi:1.4, fuse-it/opts-multi:latest" \
    "$(cd "$P" && "$FUSE" -n multi | head -n 1)"
expect_eq "multi: -d names every tag" "    tag: fuse-it/opts-multi:1.4, fuse-it/opts-multi:latest" \
    "$(cd "$P" && "$FUSE" -d multi | grep '^    tag:')"

# A failed build moves none of the tags, and makes none of new ones.
(cd "$P" && "$FUSE" multi:fail=yes >"$WORK/fail.out" 2>&1)
expect_eq "failed build: exit status 1" 1 $?
expect_eq "failed build: 1.4 still on the old image" "$id" "$(image_id fuse-it/opts-multi:1.4)"
expect_eq "failed build: latest still on the old image" "$id" "$(image_id fuse-it/opts-multi:latest)"
(cd "$P" && "$FUSE" 'multi:fail=yes,tag=fuse-it/opts-new:1;fuse-it/opts-new:2' >/dev/null 2>&1)
expect_eq "failed build: new tags are not created" ":" \
    "$(image_id fuse-it/opts-new:1):$(image_id fuse-it/opts-new:2)"

# The command line: a tag list, healthcheck=none, a signal number.
# -q prints nothing on success: --iidfile names the image built.
(cd "$P" && "$FUSE" -q --iidfile "$WORK/cli.iid" \
    'multi:tag=fuse-it/opts-cli:a;fuse-it/opts-cli:b,healthcheck=none,stopsignal=9' \
    >"$WORK/cli.out" 2>&1)
expect_eq "cli: builds" 0 $?
cid=$(cat "$WORK/cli.iid")
expect_eq "cli: both tags on the built image" "$cid $cid" \
    "$(image_id fuse-it/opts-cli:a) $(image_id fuse-it/opts-cli:b)"
expect_eq "cli: healthcheck=none is HEALTHCHECK NONE" '["NONE"]' \
    "$(inspect "$cid" '{{json .Config.Healthcheck.Test}}')"
expect_eq "cli: stopsignal=9" 9 "$(inspect "$cid" '{{.Config.StopSignal}}')"

(cd "$P" && "$FUSE" -q --iidfile "$WORK/shell.iid" shellcheck >"$WORK/shell.out" 2>&1)
expect_eq "shell healthcheck: builds" 0 $?
expect_eq "shell healthcheck: runs under /bin/sh -c" \
    '["CMD","/bin/sh","-c","test -f /stamp || exit 1"]' \
    "$(inspect "$(cat "$WORK/shell.iid")" '{{json .Config.Healthcheck.Test}}')"

# --- here(), project_root, template() ---------------------------------------
# Run from a subdirectory: paths follow the task file, not the current one.
(cd "$P/sub/dir" && "$FUSE" -q --iidfile "$WORK/site.iid" web.site >"$WORK/site.out" 2>&1)
expect_eq "site: builds from a subdirectory" 0 $?
sid=$(cat "$WORK/site.iid")
expect_eq "template: rendered file read back from the image" \
    "# web configuration|listen = 0.0.0.0:8080|debug = false|literal = {{ not a placeholder }}" \
    "$(docker run --rm "$sid" cat /etc/app.conf 2>&1 | paste -sd'|')"
expect_eq "here: resolves against the task file's directory" "data next to the task file" \
    "$(docker run --rm "$sid" cat /x.txt 2>&1)"
expect_eq "project_root: the project's absolute root" "$(cd "$P" && pwd -P)" \
    "$(docker run --rm "$sid" cat /root.txt 2>&1)"

# --- bad input --------------------------------------------------------------
# bad NAME STATUS LINE [ARGS...]: fuse ARGS (default -n t) in $WORK/bad, whose
# fusefile.lua and t.tmpl the caller wrote.
bad() {
    local name=$1 st=$2 line=$3 got
    shift 3
    [ $# -gt 0 ] || set -- -n t
    (cd "$WORK/bad" && timeout 20 "$FUSE" "$@" >/dev/null 2>"$WORK/err")
    got=$?
    if [ "$got" = "$st" ] && [ "$(head -n 1 "$WORK/err")" = "$line" ]; then ok "bad: $name"; else
        not_ok "bad: $name"
        printf '    expected: [%s] %s\n    actual:   [%s] %s\n' "$st" "$line" "$got" \
            "$(head -n 1 "$WORK/err")"
    fi
}
# tpl NAME LINE TEMPLATE [VARS]: a task rendering TEMPLATE (printf %b) at
# line 2 of fusefile.lua; every such case exits 2.
tpl() {
    rm -rf "$WORK/bad" && mkdir -p "$WORK/bad"
    printf '%b' "$3" >"$WORK/bad/t.tmpl"
    printf 't = docker_container(function ()\n  yield(File { name = "/f", contents = template("t.tmpl", %s) })\nend)\n' \
        "${4:-{ a = 1 \}}" >"$WORK/bad/fusefile.lua"
    bad "template: $1" 2 "$2"
}
# opt NAME LINE OPTIONS [ARGS...]: docker_container OPTIONS at line 1.
opt() {
    local name=$1 line=$2 opts=$3
    shift 3
    rm -rf "$WORK/bad" && mkdir -p "$WORK/bad"
    printf 't = docker_container %s (function () end)\n' "$opts" >"$WORK/bad/fusefile.lua"
    bad "$name" 2 "$line" "$@"
}

tpl "missing name" "fuse: fusefile.lua:2: template t.tmpl:3: no value for {{ b.c }}" \
    'x = {{ a }}\n\ny = {{ b.c }}\n'
tpl "unclosed {{" \
    "fuse: fusefile.lua:2: template t.tmpl:2: unclosed {{ (a literal {{ is written {{{{)" \
    'ok {{ a }}\nport = {{ a\n}}\n'
tpl "bad placeholder" \
    "fuse: fusefile.lua:2: template t.tmpl:1: bad placeholder {{ a-b }}: a name is letters, digits and _, parts joined by '.' (a literal {{ is written {{{{)" \
    '{{ a-b }}\n'
tpl "a table value" \
    "fuse: fusefile.lua:2: template t.tmpl:1: {{ a }}: the value is a table, not a string, number or boolean" \
    '{{ a }}\n' '{ a = {} }'
tpl "vars not a table" "fuse: fusefile.lua:2: template: vars must be a table, got string" \
    '{{ a }}\n' '"a"'
rm -rf "$WORK/bad" && mkdir -p "$WORK/bad"
printf 'x = template("nope.tmpl", {})\n' >"$WORK/bad/fusefile.lua"
bad "template: missing file" 2 \
    "fuse: fusefile.lua:1: template: cannot read nope.tmpl: No such file or directory" -l
printf 'x = here(1)\n' >"$WORK/bad/fusefile.lua"
bad "here: not a string" 2 "fuse: fusefile.lua:1: here: expected a path string, got number" -l

opt "empty tag list" "fuse: fusefile.lua:1: docker_container: tag must not be an empty list" \
    '{ tag = {} }'
opt "bad tag in a list" \
    'fuse: fusefile.lua:1: docker_container: tag: "app 1" is not a valid image reference' \
    '{ tag = { "app:1", "app 1" } }'
opt "capitals in the repository" \
    'fuse: fusefile.lua:1: docker_container: tag: "Team/app:1" is not a valid image reference (the name must be lowercase)' \
    '{ tag = "Team/app:1" }'
opt "tag given twice" 'fuse: fusefile.lua:1: docker_container: tag: "a" is given twice' \
    '{ tag = { "a", "a" } }'
opt "bad duration" \
    'fuse: fusefile.lua:1: docker_container: healthcheck.interval: "30" is not a duration like "30s", "1m30s" or "500ms"' \
    '{ healthcheck = { cmd = { "true" }, interval = "30" } }'
opt "healthcheck without cmd" \
    "fuse: fusefile.lua:1: docker_container: healthcheck.cmd is missing (healthcheck = false disables the base image's)" \
    '{ healthcheck = { retries = 2 } }'
opt "healthcheck = true" \
    'fuse: fusefile.lua:1: docker_container: healthcheck must be a table like { cmd = { "/bin/check" } } or false' \
    '{ healthcheck = true }'
opt "retries 0" \
    "fuse: fusefile.lua:1: docker_container: healthcheck.retries must be a whole number from 1" \
    '{ healthcheck = { cmd = "true", retries = 0 } }'
opt "unknown signal" \
    'fuse: fusefile.lua:1: docker_container: stopsignal: "SIGFOO" is not a signal like "SIGTERM" or 15' \
    '{ stopsignal = "SIGFOO" }'
opt "pull not a boolean" "fuse: fusefile.lua:1: docker_container: pull must be true or false" \
    '{ pull = "yes" }'
opt "cli: bad tag" 'fuse: t: tag: "a b" is not a valid image reference' '{}' -n 't:tag=a:1;a b'
opt "cli: empty healthcheck" \
    "fuse: t: healthcheck.cmd must be a non-empty list of strings (exec form) or a string (shell form)" \
    '{}' -n 't:healthcheck='
opt "cli: signal 0" \
    'fuse: t: stopsignal must be a signal name like "SIGTERM" or a number from 1 to 64' '{}' -n \
    't:stopsignal=0'

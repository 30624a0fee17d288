#!/bin/bash
# test_examples.sh -- every example builds and passes its smoke test, and
# this repository's own tasks build an image that runs fuse (issue 7).
#
# examples/webapp, examples/multistage, examples/multi and
# examples/programmatic are built with
# the fuse under test and checked from outside: HTTP answers, the process's
# user, owners and modes, a multi-stage image's layers, tags and
# healthcheck, a tree's excludes, params, the plain tasks' own smoke tests (and that
# they fail when the app is broken). examples/hello is built by test_build.sh;
# here only its README's mistake is replayed. Images are tagged
# fuse-example/*-PID through the tasks' tag options and params, so two runs
# on one engine (two engineers' make check) never remove each other's; all
# are removed at the end.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

BUILD_DIR=$(dirname "$FUSE_BIN")
T=fuse-example
R=$$
WEBAPP=$T/webapp-$R WEBAPP2=$T/webapp-retitled-$R
MULTI=$T/multi-$R- # images.all's prefix: ${MULTI}api, ${MULTI}worker
API_HI=$T/multi-api-hi-$R PROG=$T/programmatic-$R SELF=$T/fuse-$R
SITE=$T/site-$R # two tags: $SITE:1.0 and $SITE:latest
IMAGES=("$WEBAPP" "$WEBAPP2" "${MULTI}api" "${MULTI}worker" "$API_HI" "$PROG" "$PROG-dry" "$SELF"
    "$SITE:1.0" "$SITE:latest")
CIDS=()

cleanup() {
    local c
    for c in "${CIDS[@]}"; do docker rm -f "$c" >/dev/null 2>&1; done
    docker rmi -f "${IMAGES[@]}" >/dev/null 2>&1
}
on_exit cleanup

# http_get PORT PATH: the body of an HTTP/1.0 GET (bash /dev/tcp; no curl needed).
http_get() {
    local body
    exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
    printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$2" >&3
    body=$(sed '1,/^\r$/d' <&3)
    exec 3<&-
    printf '%s' "$body"
}

# serve IMAGE PORT: starts a container of IMAGE publishing PORT; sets cid,
# port (the host's) and answer (GET /, once the server answers).
serve() {
    cid=$(docker run -d -p "127.0.0.1::$2" "$1" 2>/dev/null) port='' answer=''
    [ -n "$cid" ] || return 1
    CIDS+=("$cid")
    port=$(docker port "$cid" "$2/tcp" | head -1 | sed 's/.*://')
    for _ in $(seq 1 60); do
        answer=$(http_get "$port" / 2>/dev/null) && [ -n "$answer" ] && break
        sleep 0.5
    done
}

# build NAME LOG FUSE-ARGS...: runs fuse, reports, shows the log on failure.
build() {
    local name=$1 log=$2
    shift 2
    if "$FUSE" "$@" >"$log" 2>&1; then ok "$name"; else
        not_ok "$name"
        sed 's/^/    /' "$log"
    fi
}

# leftovers IMAGE...: containers (running or not) made from these images,
# after waiting a little for them to go: docker run --rm's removal ends
# asynchronously in the daemon.
leftovers() {
    local i n
    for _ in $(seq 1 20); do
        n=$(for i in "$@"; do docker ps -aq --filter "ancestor=$i" 2>/dev/null; done | wc -l)
        [ "$n" = 0 ] && break
        sleep 0.25
    done
    echo "$n"
}

# in_image IMAGE CMD...: runs CMD in a fresh container of IMAGE as root.
in_image() {
    local img=$1
    shift
    docker run --rm --user root --entrypoint "$1" "$img" "${@:2}" 2>&1
}

# --- hello: the README's mistake ----------------------------------------------
cp -r "$ROOT/examples/hello" "$WORK/hello"
sed -i 's/contents = "HELLO WORLD!"/mode = 0644/' "$WORK/hello/fusefile.lua"
(cd "$WORK/hello" && "$FUSE" -n app_server >"$WORK/hello.out" 2>&1)
expect_eq "hello: README's mistake exits 2" 2 $?
expect_eq "hello: README's mistake gives the README's message" \
    'fuse: fusefile.lua:9: File: mode must be an octal string like "0644"' \
    "$(head -1 "$WORK/hello.out")"

# --- webapp --------------------------------------------------------------------
cd "$ROOT/examples/webapp" || exit 1
expect_eq "webapp: fuse -l lists the task" "webapp" "$("$FUSE" --shortlist 2>&1)"
build "webapp: fuse webapp builds" "$WORK/webapp.out" "webapp:tag=$WEBAPP"
expect_eq "webapp: one progress line per resource" 9 "$(grep -c '^\[[0-9]/9\]' "$WORK/webapp.out")"

img=$WEBAPP
answer='' health='' procuser='' execid=''
if serve "$img" 8000; then
    health=$(http_get "$port" /health 2>/dev/null)
    procuser=$(docker exec "$cid" stat -c %U /proc/1 2>&1)
    execid=$(docker exec "$cid" id 2>&1)
    docker rm -f "$cid" >/dev/null
fi
expect_eq "webapp: HTTP GET / answers the page rendered from app.conf" \
    "$(printf '<h1>Hello from webapp</h1>\n<p>Served by a WSGI app that fuse built.</p>')" "$answer"
expect_eq "webapp: HTTP GET /health answers ok" "ok" "$health"
expect_eq "webapp: the server process runs as webapp" "webapp" "$procuser"
check "webapp: the image's user is the system user webapp (uid < 1000)" \
    grep -Eq '^uid=[1-9][0-9]{0,2}\(webapp\) gid=[0-9]+\(webapp\)' <<<"$execid"
expect_eq "webapp: owners and modes seen from outside" \
    "root:webapp 640 /etc/webapp/app.conf|webapp:webapp 750 /var/lib/webapp|webapp:webapp 644 /var/lib/webapp/index.html|root:root 755 /srv/webapp|root:root 644 /srv/webapp/server.py" \
    "$(in_image $img stat -c '%U:%G %a %n' /etc/webapp/app.conf /var/lib/webapp \
        /var/lib/webapp/index.html /srv/webapp /srv/webapp/server.py | paste -sd'|')"
expect_eq "webapp: the config came from files/app.conf byte for byte" \
    "$(cat files/app.conf)" "$(in_image $img cat /etc/webapp/app.conf)"
check "webapp: webapp's shell is nologin" \
    grep -q '^webapp:.*:/var/lib/webapp:/usr/sbin/nologin$' <<<"$(in_image $img cat /etc/passwd)"

# A changed config: its File step is redone, and the Execute that watches it
# renders the page again; a copy of the project, so the example stays as is.
cp -r "$ROOT/examples/webapp" "$WORK/webapp"
# A title no earlier run built: BuildKit's cache outlives the images.
retitled="Retitled $$.$RANDOM"
sed -i "s/^title = .*/title = $retitled/" "$WORK/webapp/files/app.conf"
(cd "$WORK/webapp" && build "webapp: rebuild with a changed config" "$WORK/webapp2.out" \
    -v "webapp:tag=$WEBAPP2")
expect_eq "webapp: watches: the Execute rendered the page from the new config" \
    "<h1>$retitled</h1>" "$(in_image "$WEBAPP2" head -1 /var/lib/webapp/index.html)"
# In Docker's stream (-v) fuse-apply reports each step that ran: the steps
# before the config came from the cache; the config's File and the Execute
# watching it ran.
expect_eq "webapp: the config's File and the Execute ran again, nothing else" \
    "File[/etc/webapp/app.conf] created|Execute[render-page] executed" \
    "$(grep -E '^(Package|Group|User|Directory|File|Execute)\[' "$WORK/webapp2.out" | paste -sd'|')"
expect_eq "webapp: no container left" 0 "$(leftovers "$WEBAPP" "$WEBAPP2")"

# --- multistage -----------------------------------------------------------------
# A C server compiled by the builder task; site holds the binary, the www/
# tree without its excluded entries, a config rendered from a template.
cd "$ROOT/examples/multistage" || exit 1
expect_eq "multistage: fuse -l lists both tasks" "builder site" "$("$FUSE" --shortlist 2>&1 | paste -sd' ')"
"$FUSE" -n site >"$WORK/site-n.out" 2>&1
expect_eq "multistage: fuse -n shows the builder first" "build order: builder, site" "$(head -1 "$WORK/site-n.out")"
build "multistage: fuse site builds the builder, then site" "$WORK/site.out" "site:tag=$SITE:1.0;$SITE:latest"
# The short ID without "sha256:", which Podman does not take for a prefix.
builder_id=$(sed -n 's/^fuse: built sha256:\([0-9a-f]*\)$/\1/p' "$WORK/site.out")
# The builder has no tag: removed at the end unless a container still uses it.
[ -n "$builder_id" ] && on_exit "docker rmi '$builder_id' >/dev/null 2>&1"
check "multistage: the builder was built (untagged) before site" \
    grep -qzP '\] Execute compile\nfuse: built sha256:[0-9a-f]+\n(.|\n)*fuse: built sha256:[0-9a-f]+ as ' "$WORK/site.out"
expect_eq "multistage: both tags name one image" \
    "$(docker image inspect -f '{{.Id}}' "$SITE:1.0" 2>&1)" "$(docker image inspect -f '{{.Id}}' "$SITE:latest" 2>&1)"
expect_eq "multistage: the image lists both tags" "$SITE:1.0 $SITE:latest" "$(repo_tags "$SITE:1.0")"
# Podman 4.3.1's compat API shows no Healthcheck in an image's config, and
# runs checks only through systemd timers: the healthcheck is dockerd's.
[ "${FUSE_TEST_ENGINE:-docker}" = podman ] ||
    expect_eq "multistage: the healthcheck is the binary's --check" \
    '{"Test":["CMD","/usr/local/bin/site","--check"],"Interval":5000000000,"Timeout":3000000000,"Retries":3}' \
    "$(docker image inspect -f '{{json .Config.Healthcheck}}' "$SITE:1.0" 2>&1)"

# Only the binary came from the builder: no layer of the builder's is in
# site's image, no step of site's history mentions gcc or apt, and the image
# is busybox plus about a megabyte (the static binary, fuse-apply's copy).
bl=$(docker image inspect -f '{{range .RootFS.Layers}}{{println .}}{{end}}' "$builder_id" 2>/dev/null | grep .)
sl=$(docker image inspect -f '{{range .RootFS.Layers}}{{println .}}{{end}}' "$SITE:1.0" 2>/dev/null | grep .)
check "multistage: the builder's layers were read" test -n "$bl"
expect_eq "multistage: none of the builder's layers is in site" "" "$(comm -12 <(sort <<<"$bl") <(sort <<<"$sl"))"
check "multistage: site's history has no compile or package step" \
    sh -c "! docker history --no-trunc --format '{{.CreatedBy}}' '$SITE:1.0' | grep -Eq 'gcc|apt|Package'"
base_size=$(docker image inspect -f '{{.Size}}' fuse-test/busybox)
site_size=$(docker image inspect -f '{{.Size}}' "$SITE:1.0")
check "multistage: site is busybox plus less than 3 MB ($((site_size - base_size)) bytes)" \
    test "$((site_size - base_size))" -lt 3000000
expect_eq "multistage: the tree holds what is not excluded; drafts/, *.bak, README.md, .fuseignore are not" \
    "/srv/www /srv/www/about.html /srv/www/css /srv/www/css/site.css /srv/www/index.html" \
    "$(in_image "$SITE:1.0" find /srv/www | sort | paste -sd' ')"
expect_eq "multistage: the binary is the only thing in /usr/local/bin, mode 755" "755 /usr/local/bin/site" \
    "$(in_image "$SITE:1.0" sh -c 'stat -c "%a %n" /usr/local/bin/*')"
expect_eq "multistage: the config is the template rendered" \
    "$(printf '# site.conf -- rendered by fusefile.lua'"'"'s template(); edit the template.\nport = 8080\nroot = /srv/www\nname = multistage')" \
    "$(in_image "$SITE:1.0" cat /etc/site/site.conf)"

answer='' server='' health='' procuser=''
if serve "$SITE:latest" 8080; then
    exec 3<>"/dev/tcp/127.0.0.1/$port" && printf 'GET /about.html HTTP/1.0\r\n\r\n' >&3 &&
        server=$(tr -d '\r' <&3 | sed -n 's/^Server: //p') && exec 3<&-
    procuser=$(docker exec "$cid" stat -c %u /proc/1 2>&1)
    # Docker runs the first check 5 s (the interval) after the start.
    for _ in $(seq 1 60); do
        health=$(docker inspect -f '{{.State.Health.Status}}' "$cid" 2>&1)
        [ "$health" = starting ] || break
        sleep 0.5
    done
    docker rm -f "$cid" >/dev/null
fi
expect_eq "multistage: HTTP GET / answers www/index.html" "$(cat www/index.html)" "$answer"
expect_eq "multistage: the Server header is the name from the template" "multistage" "$server"
expect_eq "multistage: the server runs as nobody (65534)" "65534" "$procuser"
[ "${FUSE_TEST_ENGINE:-docker}" = podman ] ||
    expect_eq "multistage: Docker's healthcheck says healthy" "healthy" "$health"

# Nothing changed: every step of both tasks from the cache.
build "multistage: rebuild with nothing changed" "$WORK/site2.out" -v "site:tag=$SITE:1.0;$SITE:latest"
expect_eq "multistage: the rebuild ran no step" 0 "$(grep -c '^ ---> Running in' "$WORK/site2.out")"
expect_eq "multistage: no container left" 0 "$(leftovers "$SITE:1.0")"

# --- multi ---------------------------------------------------------------------
cd "$ROOT/examples/multi" || exit 1
expect_eq "multi: tasks/images.lua's tasks are namespaced" \
    "images.all images.api images.worker" "$("$FUSE" --shortlist 2>&1 | paste -sd' ')"
build "multi: fuse images.all builds both images and passes its smoke test" \
    "$WORK/multi.out" "images.all:prefix=$MULTI"
check "multi: the api answered the plain task's greeting" \
    grep -qx 'api answered: hello from all' "$WORK/multi.out"
check "multi: the worker answered as its own user with its param" \
    grep -qx 'worker answered: svc: 5 lines in batches of 3' "$WORK/multi.out"
expect_eq "multi: both images were built" "yes" \
    "$(docker image inspect -f . "${MULTI}api" "${MULTI}worker" >/dev/null 2>&1 && echo yes)"
expect_eq "multi: the api's image has the greeting images.all gave it" "hello from all" \
    "$(in_image "${MULTI}api" cat /srv/www/greeting)"
expect_eq "multi: the smoke test left no container" 0 \
    "$(leftovers "${MULTI}api" "${MULTI}worker")"

build "multi: fuse images.api:greeting=hi,tag=... builds" "$WORK/multi-hi.out" \
    "images.api:greeting=hi,tag=$API_HI"
expect_eq "multi: the param reaches the image" "hi" \
    "$(in_image "$API_HI" cat /srv/www/greeting)"
expect_eq "multi: the image runs as svc" "svc" \
    "$(docker run --rm "$API_HI" id -un 2>&1)"

"$FUSE" -n images.api:greting=hi >"$WORK/multi-bad.out" 2>&1
expect_eq "multi: a misspelt param exits 2" 2 $?
check "multi: ... and the message lists the accepted params" \
    grep -q 'not understood: greting (accepted: .*greeting' "$WORK/multi-bad.out"

# The plain task's smoke test fails when the worker answers wrongly.
cp -r "$ROOT/examples/multi" "$WORK/multi"
sed -i 's/lines in batches/rows in batches/' "$WORK/multi/tasks/files/work.sh"
(cd "$WORK/multi" && "$FUSE" "images.all:prefix=$MULTI" >"$WORK/multi-broken.out" 2>&1)
expect_eq "multi: a broken worker fails images.all with exit 1" 1 $?
check "multi: ... at the worker's sh, with its exit status" \
    grep -q '^fuse: tasks/images.lua:[0-9]*: sh: command exited with status 1' "$WORK/multi-broken.out"
expect_eq "multi: the failed smoke test left no container" 0 \
    "$(leftovers "${MULTI}api" "${MULTI}worker")"

# --- programmatic --------------------------------------------------------------
cd "$ROOT/examples/programmatic" || exit 1
build "programmatic: fuse build:name=Ada builds with DockerBuilder and runs it" \
    "$WORK/prog.out" "build:name=Ada,tag=$PROG"
expect_eq "programmatic: the image's output ends the run" "Hello, Ada!|one|two|three" \
    "$(tail -4 "$WORK/prog.out" | paste -sd'|')"
check "programmatic: the bundle was printed" grep -q '"name": "/opt/hello/greet"' "$WORK/prog.out"
check "programmatic: Docker's stream came through the iterator" \
    grep -Eq '^(Step 1/[0-9]+ : |STEP 1/[0-9]+: )FROM fuse-test/busybox' "$WORK/prog.out"
built_id=$(sed -n "s|^built \(sha256:[0-9a-f]*\) as $PROG in [0-9]* Dockerfile steps\$|\1|p" "$WORK/prog.out")
expect_eq "programmatic: the aux ID message names the tagged image" \
    "$(docker image inspect -f '{{.Id}}' "$PROG" 2>&1)" "$built_id"
"$FUSE" -n "build:tag=$PROG-dry" >"$WORK/prog-n.out" 2>&1
expect_eq "programmatic: fuse -n build exits 0" 0 $?
check "programmatic: fuse -n build prints the Dockerfile" grep -qx 'FROM fuse-test/busybox' "$WORK/prog-n.out"
check "programmatic: fuse -n build prints the sh command, runs nothing" \
    grep -qx "sh: docker run --rm $PROG-dry" "$WORK/prog-n.out"
expect_eq "programmatic: fuse -n build builds no image" "absent" \
    "$(docker image inspect "$PROG-dry" >/dev/null 2>&1 && echo present || echo absent)"
check "programmatic: ... and the iterator gave no message" \
    grep -qx 'dry run: nothing built' "$WORK/prog-n.out"
expect_eq "programmatic: no container left" 0 "$(leftovers "$PROG")"

# --- fuse builds fuse: the repository's tasks/ -----------------------------------
cd "$ROOT" || exit 1
expect_eq "tasks: fuse -l at the repository root lists its tasks" \
    "fuse.check fuse.image" "$("$FUSE" --shortlist 2>&1 | paste -sd' ')"
build "tasks: fuse fuse.check builds the fuse image and runs fuse in it" "$WORK/self.out" \
    "fuse.check:build=$BUILD_DIR,tag=$SELF"
expect_eq "tasks: fuse --version in the image is the fuse that built it" \
    "$("$FUSE_BIN" --version 2>&1)" "$(docker run --rm "$SELF" fuse --version 2>&1)"
expect_eq "tasks: fuse-apply in the image applies a resource" "made by fuse-apply" \
    "$(docker run --rm "$SELF" sh -c \
        'fuse-apply -q --json "{\"File\":{\"name\":\"/tmp/x\",\"contents\":\"made by fuse-apply\"}}"; cat /tmp/x' 2>&1)"
expect_eq "tasks: no container left" 0 "$(leftovers "$SELF")"

# --- the Lua of examples/ and tasks/ is luacheck clean -----------------------------
if command -v luacheck >/dev/null; then
    if out=$(luacheck -q examples tasks 2>&1); then ok "luacheck: examples and tasks are clean"; else
        not_ok "luacheck: examples and tasks are clean"
        printf '%s\n' "$out" | sed 's/^/    /'
    fi
else
    not_ok "luacheck: not installed (tools/deps.sh installs lua-check)"
fi

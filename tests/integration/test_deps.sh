#!/bin/bash
# test_deps.sh -- task dependencies (fusefile(5) DEPENDENCIES): from_image
# naming a docker_container task, of this file or of another task file,
# builds that task first and builds on its exact image ID (found in the
# dependent's parent chain, and in Docker's own "FROM sha256:..." line);
# fuse -n prints the order and dry-runs each; a failed dependency leaves
# the dependent unstarted and untagged; a cycle is a task-file error; a
# command-line from_image stays an image name.
# Artifacts (fuse-resources(7) ARTIFACTS): File and Directory { from = task
# or image, source = path } copy out of that image, owner and group given,
# and only the artifact enters the image: the builder's layers and its
# other files do not (docker history, sizes); a path absent from the image
# fails the build naming the resource and the path; bad from values.
# Layer groups (fuse-resources(7) LAYERS): consecutive resources of one
# layer are one step, and a file made and removed within it is in no layer
# (docker save, every layer's tar listed); its progress line names the
# group, its failure the resource that failed; a layer name that comes back
# after another resource is an error at the yield.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

T=fuse-it/deps-$$
on_exit 'docker rmi -f "$T-base" "$T-api" "$T-bad" "$T-after" "$T-cli" >/dev/null 2>&1'
export T

# first_line_status NAME STATUS LINE CMD...: CMD's exit status and first stderr line.
first_line_status() {
    local name=$1 st=$2 line=$3 got
    shift 3
    "$@" >"$WORK/out" 2>"$WORK/err"
    got=$?
    expect_eq "$name: exit status" "$st" "$got"
    expect_eq "$name: first line" "$line" "$(head -n 1 "$WORK/err")"
}

# parents ID: the image and every parent of it, one ID a line.
parents() {
    local id=$1
    while [ -n "$id" ]; do
        echo "$id"
        id=$(docker image inspect -f '{{.Parent}}' "$id" 2>/dev/null)
    done
}

mkdir -p "$WORK/p/tasks" && cd "$WORK/p" || exit 1
cat >fusefile.lua <<'EOF'
base = docker_container { from_image = "fuse-test/busybox", tag = os.getenv("T") .. "-base" } (function ()
  yield(File { name = "/base.txt", contents = "from base" })
end)
EOF
cat >tasks/web.lua <<'EOF'
api = docker_container { from_image = base, tag = os.getenv("T") .. "-api" } (function (bundle, args)
  assert(args.from_image == base, "args.from_image is the task object")
  yield(File { name = "/api.txt", contents = "from api" })
end)
EOF

"$FUSE" -n web.api >"$WORK/dry" 2>"$WORK/err"
expect_eq "-n: exit status" 0 $?
expect_eq "-n: the first line is the order" "build order: base, web.api" "$(head -n 1 "$WORK/dry")"
check "-n: dry-runs base, then web.api on base's image" \
    grep -qzP '# base\n(# [^\n]*\n)*FROM fuse-test/busybox\n(.|\n)*# web.api\n(# [^\n]*\n)*FROM fuse-dep/base\n' "$WORK/dry"
check "-n: builds nothing" sh -c '! docker image inspect "$T-base" >/dev/null 2>&1'

"$FUSE" -v web.api >"$WORK/out" 2>"$WORK/err"
expect_eq "build: exit status" 0 $?
check "build: base is built before web.api" \
    grep -qzP "built sha256:[0-9a-f]+ as $T-base\n(.|\n)*built sha256:[0-9a-f]+ as $T-api\n" "$WORK/out"
base_id=$(docker image inspect -f '{{.Id}}' "$T-base")
check "build: base's image is in web.api's parent chain" grep -qxF "$base_id" <(parents "$T-api")
expect_eq "build: web.api holds base's file and its own" "from basefrom api" \
    "$(docker run --rm "$T-api" cat /base.txt /api.txt)"

# The dependent's FROM is the ID: retagging base elsewhere changes nothing.
check "build: Docker's step 1 is FROM base's ID" grep -qxF "FROM $base_id" <(step_text "$WORK/out" 1)
"$FUSE" web.api >"$WORK/out" 2>&1
check "rebuild: both up to date, base first" \
    grep -qzP "$T-base is up to date \\(sha256:[0-9a-f]+\\)\n(.|\n)*$T-api is up to date" "$WORK/out"

cat >fusefile.lua <<'EOF'
bad = docker_container { from_image = "fuse-test/busybox", tag = os.getenv("T") .. "-bad" } (function ()
  yield(Execute { name = "fails", command = "false" })
end)
after = docker_container { from_image = bad, tag = os.getenv("T") .. "-after" } (function () end)
a = docker_container { from_image = "fuse-test/busybox" } (function ()
  yield(File { name = "/x", from = b, source = "/x" })
end)
b = docker_container { from_image = a } (function () end)
plain = task(function () end)
c = docker_container { from_image = "fuse-test/busybox" } (function ()
  yield(File { name = "/x", from = plain, source = "/x" })
end)
cli = docker_container { from_image = bad, tag = os.getenv("T") .. "-cli" } (function ()
  yield(File { name = "/cli.txt", contents = "cli" })
end)
EOF
rm -f tasks/web.lua
first_line_status "failed dependency" 1 \
    "fuse: after: not started: its dependency bad failed: build failed at [1/1] Execute[fails] (fusefile.lua:2): command exited with status 1" \
    "$FUSE" after
check "failed dependency: the dependent is not tagged" \
    sh -c '! docker image inspect "$T-after" >/dev/null 2>&1'
first_line_status "cycle" 2 "fuse: cycle: a -> b -> a" "$FUSE" -n a
first_line_status "from names a plain task" 2 \
    "fuse: c: File[/x] from names plain, not a docker_container task" "$FUSE" -n c

# TASK:from_image=NAME is an image name: bad is neither built nor needed.
"$FUSE" cli:from_image=fuse-test/busybox >"$WORK/out" 2>"$WORK/err"
expect_eq "CLI from_image: exit status" 0 $?
expect_eq "CLI from_image: only the task itself is built" 1 "$(grep -c '^fuse: built' "$WORK/out")"
expect_eq "CLI from_image: the image is built on that name" "cli" \
    "$(docker run --rm "$T-cli" cat /cli.txt)"

# ---- artifacts ----
cat >fusefile.lua <<'EOF'
builder = docker_container { from_image = "fuse-test/busybox", tag = os.getenv("T") .. "-builder" } (function ()
  yield(Directory { name = "/out/www/css", parents = true })
  yield(File { name = "/out/app", contents = "#!/bin/sh\necho built app\n", mode = "0755" })
  yield(File { name = "/out/www/index.html", contents = "<p>hi</p>" })
  yield(File { name = "/out/www/css/a.css", contents = "p{}" })
  -- 3 MB the final image must not hold
  yield(File { name = "/out/big", contents = string.rep("x", 3000000) })
end)
app = docker_container { from_image = "fuse-test/busybox", tag = os.getenv("T") .. "-app" } (function ()
  yield(File { name = "/usr/local/bin/app", from = builder, source = "/out/app" })
  yield(Directory { name = "/srv/www", from = builder, source = "/out/www/", owner = 1000, group = "1000" })
  yield(File { name = "/etc/passwd.orig", from = "fuse-test/busybox", source = "/etc/passwd" })
end)
missing = docker_container { from_image = "fuse-test/busybox" } (function ()
  yield(File { name = "/x", from = builder, source = "/out/nope" })
end)
noimage = docker_container { from_image = "fuse-test/busybox" } (function ()
  yield(File { name = "/x", from = "fuse-it/deps-no-such-image", source = "/x" })
end)
number = docker_container(function ()
  yield(File { name = "/x", from = 42, source = "/x" })
end)
nosource = docker_container(function ()
  yield(File { name = "/x", from = "fuse-test/busybox" })
end)
EOF
on_exit 'docker rmi -f "$T-builder" "$T-app" >/dev/null 2>&1'
"$FUSE" -n app >"$WORK/dry" 2>"$WORK/err"
expect_eq "artifacts -n: the order" "build order: builder, app" "$(head -n 1 "$WORK/dry")"
check "artifacts -n: stages first, then COPY --from" grep -qzP \
    '# app\n(# [^\n]*\n)*FROM fuse-dep/builder AS fuse-from-1\nFROM fuse-test/busybox AS fuse-from-2\nFROM fuse-test/busybox\n(.|\n)*COPY --from=fuse-from-1 \["/out/app","/usr/local/bin/app"\]\nCOPY --from=fuse-from-1 --chown=1000:1000 \["/out/www/","/srv/www"\]\nCOPY --from=fuse-from-2 \["/etc/passwd","/etc/passwd.orig"\]\n' \
    "$WORK/dry"
"$FUSE" app >"$WORK/out" 2>"$WORK/err"
expect_eq "artifacts: exit status" 0 $?
expect_eq "artifacts: the File is the builder's, mode kept" "-rwxr-xr-x built app" \
    "$(docker run --rm "$T-app" sh -c 'ls -l /usr/local/bin/app | cut -c1-10; /usr/local/bin/app' | paste -sd' ')"
expect_eq "artifacts: the Directory's tree, owner and group on every entry" \
    "1000:1000 /srv/www 1000:1000 /srv/www/css 1000:1000 /srv/www/css/a.css 1000:1000 /srv/www/index.html <p>hi</p>" \
    "$(docker run --rm "$T-app" sh -c 'for f in $(find /srv/www | sort); do echo "$(stat -c %u:%g "$f") $f"; done; cat /srv/www/index.html' | paste -sd' ')"
expect_eq "artifacts: a File from an image name" "$(docker run --rm fuse-test/busybox cat /etc/passwd)" \
    "$(docker run --rm "$T-app" cat /etc/passwd.orig)"
check "artifacts: none of the builder's other files" docker run --rm "$T-app" sh -c '! test -e /out'
builder_id=$(docker image inspect -f '{{.Id}}' "$T-builder")
if parents "$T-app" | grep -qxF "$builder_id"; then
    not_ok "artifacts: the builder is not in the image's parent chain"
else
    ok "artifacts: the builder is not in the image's parent chain"
fi
# busybox's layers, then COPY fuse-apply, three artifacts, the cleanup and
# the label of the build's keys.
expect_eq "artifacts: layers are the base's and 6" "$(($(docker history -q fuse-test/busybox | wc -l) + 6))" \
    "$(docker history -q "$T-app" | wc -l)"
size_app=$(docker image inspect -f '{{.Size}}' "$T-app")
size_base=$(docker image inspect -f '{{.Size}}' fuse-test/busybox)
check "artifacts: the image grew by fuse-apply and the artifacts, not the builder's 3 MB" \
    test $((size_app - size_base)) -lt 1000000

first_line_status "artifact path absent from the image" 1 \
    "fuse: build failed at [1/1] File[/x] (fusefile.lua:15): source /out/nope is not in the image it is copied from: COPY failed: stat out/nope: file does not exist" \
    "$FUSE" missing
"$FUSE" noimage >"$WORK/out" 2>"$WORK/err"
expect_eq "from names no image: exit status" 1 $?
check "from names no image: the build fails at the resource" \
    grep -q '^fuse: build failed at \[1/1\] File\[/x\] (fusefile.lua:[0-9]*): ' "$WORK/err"
first_line_status "from is a number" 2 \
    "fuse: fusefile.lua:21: File: from must be an image name or a docker_container task, not a number" \
    "$FUSE" -n number
first_line_status "from without source" 2 \
    "fuse: fusefile.lua:24: File: from needs source, an absolute path inside that image" \
    "$FUSE" -n nosource

# ---- layer groups ----
cat >fusefile.lua <<'EOF'
grp = docker_container { from_image = "fuse-test/busybox", tag = os.getenv("T") .. "-layer" } (function ()
  yield(File { name = "/first", contents = "1" })
  yield(Execute { name = "make", command = "dd if=/dev/zero of=/tmp/big.tmp bs=1024 count=3072", layer = "build" })
  yield(Execute { name = "use", command = "wc -c < /tmp/big.tmp > /result", layer = "build" })
  yield(File { name = "/note", contents = "in the group", layer = "build" })
  yield(Execute { name = "clean", command = "rm /tmp/big.tmp", layer = "build" })
  yield(File { name = "/last", contents = "2" })
end)
apart = docker_container(function ()
  yield(File { name = "/a", contents = "a", layer = "build" })
  yield(File { name = "/b", contents = "b" })
  yield(File { name = "/c", contents = "c", layer = "build" })
end)
grpfail = docker_container { from_image = "fuse-test/busybox" } (function ()
  yield(Execute { name = "one", command = "true", layer = "build" })
  yield(Execute { name = "two", command = "false", layer = "build" })
  yield(File { name = "/after", contents = "x", layer = "build" })
end)
EOF
on_exit 'docker rmi -f "$T-layer" >/dev/null 2>&1'
"$FUSE" -n grp >"$WORK/dry" 2>"$WORK/err"
expect_eq "layer -n: the group is one RUN" 1 "$(grep -c '"--json","\[{\\"Execute\\":{\\"name\\":\\"make\\"' "$WORK/dry")"
"$FUSE" grp >"$WORK/out" 2>"$WORK/err"
expect_eq "layer: exit status" 0 $?
expect_eq "layer: one progress line for the group, naming its first and how many more" \
    "[1/6] File /first|[2/6] layer build: Execute make +3|[6/6] File /last" \
    "$(grep '^\[' "$WORK/out" | paste -sd'|')"
expect_eq "layer: the group ran in order" "3145728 in the group" \
    "$(docker run --rm "$T-layer" sh -c 'cat /result; cat /note; echo; test -e /tmp/big.tmp && echo left' | paste -sd' ')"
# base + COPY fuse-apply + /first + the group + /last + cleanup + the label
expect_eq "layer: four resource steps for six resources" \
    "$(($(docker history -q fuse-test/busybox | wc -l) + 6))" "$(docker history -q "$T-layer" | wc -l)"
mkdir -p "$WORK/save" && docker save "$T-layer" | tar -x -C "$WORK/save"
found="" note=0
for l in $(find "$WORK/save" -name 'layer.tar' -o -path '*/blobs/sha256/*' -type f); do
    tar -tf "$l" 2>/dev/null | grep -q 'big\.tmp' && found="$found $l"
    tar -tf "$l" 2>/dev/null | grep -qx 'note' && note=$((note + 1))
done
expect_eq "layer: the layers were read (one holds /note)" 1 "$note"
expect_eq "layer: the file made and removed in the group is in no layer" "" "$found"
check "layer: and no layer above the base is as large as it" \
    sh -c "! docker history --format '{{.Size}}' '$T-layer' | head -n 5 | grep -q MB"
# The failed step's state is kept as fuse-failed/grpfail:STEP (fuse(1)).
on_exit 'docker images --format "{{.Repository}}:{{.Tag}}" fuse-failed/grpfail | xargs -r docker rmi >/dev/null 2>&1'
first_line_status "a group's failure names the resource that failed, not the group's first" 1 \
    'fuse: build failed at [2/3] Execute[two] (fusefile.lua:16): command exited with status 1' \
    "$FUSE" grpfail
first_line_status "layer on resources that are not consecutive" 2 \
    'fuse: fusefile.lua:12: File[/c]: layer "build" is on resources that are not consecutive: File[/a] (fusefile.lua:10) is in it, File[/b] is not' \
    "$FUSE" -n apart

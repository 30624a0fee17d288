#!/bin/bash
# test_file_travel.sh -- a File gives the same result whichever way its data
# travels: inline on the RUN line (up to 16 KiB of UTF-8 text), or in the
# build context (larger, binary, sensitive, or a source file). At 100 and
# 16,385 bytes: an existing file keeps its owner, group and mode; a missing
# parent directory is an error, not created; a symbolic link in the way is
# an error; a new file is root 0644 dated when it was written, and a File
# from a source carries the source's mtime. Checked from outside: docker run
# stat on the built images.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

BASE=fuse-it/build-travelbase-$$
TAG=fuse-it/build-travel-$$
on_exit 'docker rmi -f "$TAG-100" "$TAG-16385" "$BASE" >/dev/null 2>&1'

mkdir -p "$WORK/base" "$WORK/p"
# Existing files owned 65534:65534 mode 0600, and a link to one.
cat >"$WORK/base/Dockerfile" <<'EOF2'
FROM fuse-test/busybox
RUN mkdir /srv && cd /srv && for f in keep bin secret src; do echo old >$f; done && \
    chown 65534:65534 keep bin secret src && chmod 0600 keep bin secret src && \
    echo real >real && ln -s /srv/real link
EOF2
if docker build -q -t "$BASE" "$WORK/base" >/dev/null 2>&1; then ok "base image with existing files"; else
    not_ok "base image with existing files"
    exit 0
fi

cd "$WORK/p" || exit 1
for n in 100 16385; do
    head -c "$n" /dev/zero | tr '\0' s >"src-$n"
    touch -d '2020-05-05 10:00:00 UTC' "src-$n"
done
SRC_MTIME=$(stat -c %Y src-100)
cat >fusefile.lua <<'EOF2'
local base, tag = os.getenv("BASE"), os.getenv("TAG")
travel = docker_container { from_image = base, tag = tag, params = { size = "100" } } (
function (bundle, args)
  local n = tonumber(args.size)
  yield(File { name = "/srv/keep", contents = string.rep("k", n) })
  yield(File { name = "/srv/new", contents = string.rep("n", n) })
  yield(File { name = "/srv/bin", contents = "\0" .. string.rep("b", n - 1) })
  yield(File { name = "/srv/secret", contents = string.rep("s", n), sensitive = true })
  yield(File { name = "/srv/src", source = "src-" .. args.size })
  yield(File { name = "/srv/srcnew", source = "src-" .. args.size })
end)
orphan = docker_container { from_image = base, tag = tag .. "-no", params = { size = "100" } } (
function (bundle, args)
  yield(File { name = "/nodir/x", contents = string.rep("o", tonumber(args.size)) })
end)
link = docker_container { from_image = base, tag = tag .. "-no", params = { size = "100" } } (
function (bundle, args)
  yield(File { name = "/srv/link", contents = string.rep("l", tonumber(args.size)) })
end)
EOF2
export BASE

for n in 100 16385; do
    img=$TAG-$n
    if TAG=$img "$FUSE" -q travel:size=$n >"$WORK/out" 2>&1; then ok "$n B: builds"; else
        not_ok "$n B: builds"
        sed 's/^/    /' "$WORK/out"
    fi
    st() { docker run --rm "$img" stat -c '%a %u %g %s' "$@" 2>&1 | paste -sd'|'; }
    kept="600 65534 65534 $n"
    expect_eq "$n B: existing files keep owner, group and mode (contents, binary, sensitive, source)" \
        "$kept|$kept|$kept|$kept" "$(st /srv/keep /srv/bin /srv/secret /srv/src)"
    expect_eq "$n B: new files are root 0644" "644 0 0 $n|644 0 0 $n" "$(st /srv/new /srv/srcnew)"
    expect_eq "$n B: the data arrived" "$(printf 'k%.0s' $(seq "$n") | md5sum | cut -d' ' -f1)" \
        "$(docker run --rm "$img" md5sum /srv/keep 2>&1 | cut -d' ' -f1)"
    expect_eq "$n B: Files from a source carry the source's mtime" "$SRC_MTIME|$SRC_MTIME" \
        "$(docker run --rm "$img" stat -c %Y /srv/src /srv/srcnew 2>&1 | paste -sd'|')"
    # Written during this build: not 1970 (the tar's fixed time), not in the future.
    now=$(date +%s)
    when=$(docker run --rm "$img" stat -c %Y /srv/new 2>&1)
    if [ "$when" -gt 86400 ] 2>/dev/null && [ "$when" -le "$now" ]; then
        ok "$n B: a File from contents is dated when it was written"
    else
        not_ok "$n B: a File from contents is dated when it was written (mtime $when)"
    fi

    TAG=$TAG "$FUSE" -q orphan:size=$n >/dev/null 2>"$WORK/err"
    expect_eq "$n B: a missing parent: exit 1" 1 $?
    check "$n B: a missing parent is named, not created" grep -q 'parent directory /nodir does not exist' "$WORK/err"
    TAG=$TAG "$FUSE" -q link:size=$n >/dev/null 2>"$WORK/err"
    expect_eq "$n B: a symbolic link in the way: exit 1" 1 $?
    check "$n B: a symbolic link in the way is reported" grep -q '/srv/link exists and is not a regular file' "$WORK/err"
done

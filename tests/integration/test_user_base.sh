#!/bin/bash
# test_user_base.sh -- a base image whose USER is not root: the resource
# steps run as root, and the image ends as the base's user, or as the user
# option when the task sets one. Checked from outside: docker image inspect
# and docker run.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

BASE=fuse-it/build-userbase-$$
TAG=fuse-it/build-user-$$
on_exit 'docker rmi -f "$TAG-empty" "$TAG-files" "$TAG-opt" "$BASE" >/dev/null 2>&1'

mkdir -p "$WORK/base" "$WORK/p"
cat >"$WORK/base/Dockerfile" <<'EOF2'
FROM fuse-test/busybox
RUN echo 'app:x:1500:1500::/tmp:/bin/sh' >>/etc/passwd && echo 'app:x:1500:' >>/etc/group
USER app
EOF2
if docker build -q -t "$BASE" "$WORK/base" >/dev/null 2>&1; then ok "a base image with USER app"; else
    not_ok "a base image with USER app"
    exit 0
fi

cd "$WORK/p" || exit 1
cat >fusefile.lua <<'EOF2'
local base, tag = os.getenv("BASE"), os.getenv("TAG")
empty = docker_container { from_image = base, tag = tag .. "-empty" } (function () end)
files = docker_container { from_image = base, tag = tag .. "-files" } (function ()
  yield(Directory { name = "/srv" })
  yield(File { name = "/srv/conf", contents = "x=1\n" })
end)
opt = docker_container { from_image = base, tag = tag .. "-opt", user = "1234" } (function ()
  yield(File { name = "/etc/opt.conf", contents = "y\n" })
end)
EOF2
export BASE TAG

user_of() { docker image inspect -f '{{.Config.User}}' "$1" 2>&1; }

for task in empty files opt; do
    if "$FUSE" -q "$task" >"$WORK/$task.out" 2>&1; then ok "$task: builds on the USER app base"; else
        not_ok "$task: builds on the USER app base"
        sed 's/^/    /' "$WORK/$task.out"
    fi
done
expect_eq "empty task: the image keeps the base's USER" "app" "$(user_of "$TAG-empty")"
expect_eq "empty task: a container runs as app" "1500" "$(docker run --rm "$TAG-empty" id -u 2>&1)"
expect_eq "with resources: the image keeps the base's USER" "app" "$(user_of "$TAG-files")"
expect_eq "with resources: the steps ran as root (root-owned files)" "755 0 0|644 0 0" \
    "$(docker run --rm "$TAG-files" stat -c '%a %u %g' /srv /srv/conf 2>&1 | paste -sd'|')"
expect_eq "the user option wins over the base's USER" "1234" "$(user_of "$TAG-opt")"
expect_eq "the user option: the steps ran as root" "0" \
    "$(docker run --rm "$TAG-opt" stat -c '%u' /etc/opt.conf 2>&1)"

#!/bin/bash
# test_copy.sh -- Files whose data travels in the build context (sources,
# binary and sensitive contents): copied into /.fuse, then applied by
# fuse-apply like any File (test_file_travel.sh compares the two ways):
# mode, owner and group (names made by earlier User/Group steps, and
# numbers), binary data, a name with spaces, $ and quotes, all checked from
# outside with docker run; docker history never shows sensitive contents; a
# watched File runs its watcher; a failing File is reported as its resource;
# a mode change alone rebuilds the step.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

TAG=fuse-it/copy-$$
on_exit 'docker rmi -f "$TAG" "$TAG-fail" >/dev/null 2>&1'

mkdir -p "$WORK/p" && cd "$WORK/p" || exit 1
# 4 MiB of random bytes: the image must not hold them twice.
head -c $((4 * 1024 * 1024)) /dev/urandom >big.bin
printf 'small\n' >small.txt
cat >fusefile.lua <<'EOF'
copy = docker_container {
  from_image = "fuse-test/busybox",
  tag = os.getenv("COPY_TAG"),
  params = { mode = "0640", owner = "app" },
} (function (bundle, args)
  yield(Directory { name = "/srv/a dir", parents = true })
  yield(Group { name = "grp", gid = 2345 })
  yield(User { name = "app", uid = 2346, group = "grp" })
  yield(File { name = "/srv/big.bin", source = "big.bin", mode = args.mode,
               owner = args.owner, group = "grp" })
  yield(File { name = "/srv/num.bin", source = "small.txt", owner = 1234, group = "4321",
               mode = "0600" })
  yield(File { name = "/srv/a dir/x $HOME 'q' \"d\" \\b.txt", source = "small.txt" })
  yield(File { name = "/srv/bin.dat", contents = "\0\1\2\255 binary" })
  yield(File { name = "/srv/secret", contents = "s3cr3t-copy-value", sensitive = true,
               owner = "app" })
  yield(File { name = "/srv/watched", source = "small.txt" })
  yield(Execute { name = "after watched", command = "touch /srv/ran", watches = { "/srv/watched" } })
end)
EOF
export COPY_TAG=$TAG
WEIRD="/srv/a dir/x \$HOME 'q' \"d\" \\b.txt"

"$FUSE" -n copy >"$WORK/df" 2>&1
check "-n: no File is a COPY to its destination" sh -c "! grep -q '^COPY \\[' '$WORK/df'"
check "-n: a source File is its blob's COPY, then fuse-apply" \
    grep -qxF 'COPY .fuse/blobs/4 /.fuse/blobs/4' "$WORK/df"

if "$FUSE" --no-cache copy >"$WORK/out" 2>&1; then ok "build succeeds"; else
    not_ok "build succeeds"
    sed 's/^/    /' "$WORK/out"
fi
expect_eq "progress names every resource, COPY steps too" \
    "[1/10] Directory /srv/a dir|[2/10] Group grp|[3/10] User app|[4/10] File /srv/big.bin|[5/10] File /srv/num.bin|[6/10] File $WEIRD|[7/10] File /srv/bin.dat|[8/10] File /srv/secret|[9/10] File /srv/watched|[10/10] Execute after watched" \
    "$(grep '^\[' "$WORK/out" | paste -sd'|')"

st() { docker run --rm "$TAG" stat -c '%a %U %G %s' "$@" 2>&1 | paste -sd'|'; }
expect_eq "mode, owner and group by name; size" "640 app grp 4194304" "$(st /srv/big.bin)"
expect_eq "numeric owner and group" "600 1234 4321 6" \
    "$(docker run --rm "$TAG" stat -c '%a %u %g %s' /srv/num.bin 2>&1)"
expect_eq "spaces, \$, quotes and a backslash in the name; default mode 0644, root" \
    "644 root root 6" "$(st "$WEIRD")"
expect_eq "sensitive, owner only: the owner's primary group" "644 app grp 17" "$(st /srv/secret)"
expect_eq "binary contents, byte for byte" "$(printf '\0\1\2\377 binary' | md5sum | cut -d' ' -f1)" \
    "$(docker run --rm "$TAG" md5sum /srv/bin.dat 2>&1 | cut -d' ' -f1)"
expect_eq "big source, byte for byte" "$(md5sum <big.bin | cut -d' ' -f1)" \
    "$(docker run --rm "$TAG" md5sum /srv/big.bin 2>&1 | cut -d' ' -f1)"
expect_eq "the watched File is applied by fuse-apply and its watcher ran" "6 yes" \
    "$(docker run --rm "$TAG" sh -c 'stat -c %s /srv/watched; test -e /srv/ran && echo yes' 2>&1 |
        paste -sd' ')"
check "nothing left under /.fuse" docker run --rm "$TAG" sh -c '! test -e /.fuse'

hist=$(docker history --no-trunc --format '{{.CreatedBy}} {{.Size}}' "$TAG")
no_secret() { ! grep -q s3cr3t <<<"$hist"; }
check "docker history never shows sensitive contents" no_secret
# A mode change alone reaches the image (it is in the step's JSON).
"$FUSE" -q copy:mode=0604 >/dev/null 2>&1
expect_eq "a mode change alone rebuilds the COPY" "604 app grp 4194304" "$(st /srv/big.bin)"

# A File that fails is reported as its resource, the reason after.
COPY_TAG=$TAG-fail "$FUSE" copy:owner=nosuchuser >"$WORK/fail.out" 2>"$WORK/fail.err"
expect_eq "failing File: exit status 1" 1 $?
first=$(head -1 "$WORK/fail.err")
case $first in
"fuse: build failed at [4/10] File[/srv/big.bin] (fusefile.lua:"*"): "*) ok "failing File: first line names the resource" ;;
*) not_ok "failing File: first line names the resource"; echo "    actual: $first" ;;
esac
check "failing File: the reason names the user" grep -q nosuchuser "$WORK/fail.err"

#!/bin/bash
# test_lazy.sh -- fuse loads libcurl and libarchive only when it builds
# (src/engine/lazy.c): the binary does not link them, -l / -d / -n never map them,
# and a build without libcurl fails with one clear line, exit 1. The missing
# library is simulated in a private mount namespace (unshare -r -m) with
# /dev/null bound over it; no Docker engine is needed.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

mkdir -p "$WORK/p"
cat >"$WORK/p/fusefile.lua" <<'LUA'
app = docker_container { description = "an app" } (function ()
  yield(File { name = "/x", contents = "x" })
end)
LUA

needed=$(readelf -d "$FUSE_BIN" | awk '/NEEDED/ { print $NF }' | tr -d '[]' | tr '\n' ' ')
case "$needed" in
*libcurl* | *libarchive*) not_ok "fuse links neither libcurl nor libarchive (NEEDED: $needed)" ;;
*) ok "fuse links neither libcurl nor libarchive" ;;
esac

# maps CMD...: the libraries the process has mapped just before it exits
# (LD_DEBUG=files lists every object the loader opens, dlopen() included).
maps() { (cd "$WORK/p" && LD_DEBUG=files "$FUSE_BIN" "$@" 2>&1 >/dev/null | grep -o 'file=[^ ]*' | sort -u); }
for args in "-l" "-d app" "-n app"; do
    # shellcheck disable=SC2086 # a word list
    m=$(maps $args)
    if [ -n "$m" ] && ! printf '%s\n' "$m" | grep -q 'libcurl\|libarchive'; then
        ok "fuse $args loads neither library"
    else
        not_ok "fuse $args loads neither library"
        printf '    %s\n' "$m"
    fi
done
m=$(maps --version)
if printf '%s\n' "$m" | grep -q libcurl && printf '%s\n' "$m" | grep -q libarchive; then
    ok "fuse --version loads both (it prints their versions)"
else
    not_ok "fuse --version loads both (it prints their versions)"
fi

# The real libcurl file, as the loader finds it.
curl_so=$(readlink -f "$(ldconfig -p | awk '/libcurl\.so\.4 .*x86-64|libcurl\.so\.4 \(libc6,/ { print $NF; exit }')")
if ! unshare -r -m true 2>/dev/null || [ ! -f "$curl_so" ]; then
    # Without user namespaces the missing-library case cannot be staged;
    # the unit test test_lazy checks the message itself.
    not_ok "unshare -r -m works here (needed to hide libcurl)"
    exit 0
fi
# hidden CMD: runs CMD in a namespace where libcurl is an empty file.
# shellcheck disable=SC2016 # sh -c expands them
hidden() { unshare -r -m sh -c 'mount --bind /dev/null "$1" && shift && cd "$1" && shift && exec "$@"' sh "$curl_so" "$WORK/p" "$@"; }

out=$(hidden "$FUSE_BIN" -l 2>&1)
expect_eq "without libcurl, -l still works: status" 0 $?
case "$out" in *"an app"*) ok "without libcurl, -l still lists" ;; *) not_ok "without libcurl, -l still lists: $out" ;; esac
DOCKER_HOST=unix://$WORK/no.sock hidden "$FUSE_BIN" -q app >"$WORK/out" 2>"$WORK/err"
expect_eq "without libcurl, a build exits 1" 1 $?
first=$(head -n 1 "$WORK/err")
case "$first" in
"fuse: cannot load libcurl.so.4: "*"; install libcurl4") ok "without libcurl, the first line names it and the package" ;;
*) not_ok "without libcurl, the first line names it and the package: $first" ;;
esac
expect_eq "without libcurl, one line" 1 "$(wc -l <"$WORK/err")"
out=$(hidden "$FUSE_BIN" --version 2>/dev/null)
case "$out" in *"libcurl missing"*) ok "without libcurl, --version says so" ;; *) not_ok "without libcurl, --version says so: $out" ;; esac

#!/bin/bash
# test_install.sh -- make install PREFIX=/usr/local DESTDIR=... installs the
# binaries, the man pages, the bash completion and types.lua; the installed
# fuse works with no Lua file of its own on disk; every man page renders
# without a warning; fuse --version names the libraries; make uninstall
# removes everything it installed.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

BUILD_DIR=${FUSE_BUILD:-$ROOT/build}
DEST=$WORK/dest
P=/usr/local
VERSION=$(sed -n 's/^VERSION *= *//p' "$ROOT/Makefile")

if make -s --no-print-directory -C "$ROOT" BUILD="$BUILD_DIR" PREFIX=$P DESTDIR="$DEST" install \
    >"$WORK/install.out" 2>&1; then
    ok "make install DESTDIR=... succeeds"
else
    not_ok "make install DESTDIR=... succeeds"
    sed 's/^/    /' "$WORK/install.out"
fi

# mode path: every file make install must put in place.
expected="755 $P/bin/fuse
755 $P/bin/fuse-apply
644 $P/share/bash-completion/completions/fuse
644 $P/share/fuse/types.lua
644 $P/share/man/man1/fuse.1
644 $P/share/man/man5/fusefile.5
644 $P/share/man/man7/fuse-resources.7
644 $P/share/man/man8/fuse-apply.8"
expect_eq "exactly these files, with these modes" "$expected" \
    "$(cd "$DEST" && find . -type f -printf '%m /%P\n' | sort -k2)"
check "the installed completion is completion/fuse.bash" \
    cmp -s "$ROOT/completion/fuse.bash" "$DEST$P/share/bash-completion/completions/fuse"
check "the installed fuse is the one built" cmp -s "$FUSE_BIN" "$DEST$P/bin/fuse"

# --- the installed fuse, with no Lua file of fuse's on disk -----------------
# Installed away from the source tree (lua/fuse/ is not beside it), run in a
# project that uses every embedded module, and whose own lua/ (on the module
# path of task files) holds decoys of fuse's modules that fail if read.
IFUSE=$DEST$P/bin/fuse
mkdir -p "$WORK/p/lua/fuse"
for mod in prelude resources bundle docker core; do
    echo "error('fuse.$mod was read from disk')" >"$WORK/p/lua/fuse/$mod.lua"
done
cat >"$WORK/p/fusefile.lua" <<'LUA'
local resources = require "fuse.resources"
local bundle = require "fuse.bundle"
local docker = require "fuse.docker"
app = docker_container { description = "d", tag = "fuse-it/install" } (function ()
  yield(resources.File { name = "/x", contents = "x" })
end)
count = task(function ()
  local b = bundle.ResourceBundle()
  b:add(Package { name = "curl" })
  print("bundle " .. #b, type(docker.DockerBuilder))
end)
LUA
cd "$WORK/p" || exit 1
expect_eq "installed fuse --shortlist" "app|count" "$("$IFUSE" --shortlist | paste -sd'|')"
check "installed fuse -n prints the Dockerfile" grep -q '^FROM debian:bookworm' <("$IFUSE" -n app)
expect_eq "installed fuse runs a task using fuse.bundle and fuse.docker" \
    "$(printf 'bundle 1\tfunction')" "$("$IFUSE" count)"

# --- fuse --version -----------------------------------------------------------
ver=$("$IFUSE" --version)
expect_eq "--version: first line" "fuse $VERSION" "$(head -1 <<<"$ver")"
libs=$(sed -n 2p <<<"$ver")
for lib in "Lua $(pkg-config --modversion lua5.4)" "libcurl $(pkg-config --modversion libcurl)" \
    "yajl $(pkg-config --modversion yajl)" "libarchive $(pkg-config --modversion libarchive)"; do
    case "$libs" in
    *"$lib"*) ok "--version names $lib" ;;
    *) not_ok "--version names $lib"; printf '    got: %s\n' "$libs" ;;
    esac
done
expect_eq "installed fuse-apply --version" "fuse-apply $VERSION" "$("$DEST$P/bin/fuse-apply" --version)"

# --- man pages ----------------------------------------------------------------
for m in "$DEST$P"/share/man/man?/*; do
    name=${m##*/}
    warn=$(groff -man -Tutf8 -ww "$m" 2>&1 >/dev/null)
    expect_eq "$name renders with groff -man -ww and no warning" "" "$warn"
    out=$(MANPAGER=cat MANWIDTH=80 man -l "$m" 2>"$WORK/man.err")
    check "$name: man -l renders it, NAME first" grep -q '^NAME' <<<"$out"
    expect_eq "$name: man -l says nothing on stderr" "" "$(cat "$WORK/man.err")"
done
sec1=$(MANPATH=$DEST$P/share/man MANPAGER=cat man 1 fuse 2>/dev/null | head -1)
check "man finds fuse(1) under the installed MANPATH" grep -q '^FUSE(1)' <<<"$sec1"

# --- make uninstall -------------------------------------------------------------
if make -s --no-print-directory -C "$ROOT" BUILD="$BUILD_DIR" PREFIX=$P DESTDIR="$DEST" uninstall \
    >"$WORK/uninstall.out" 2>&1; then
    ok "make uninstall succeeds"
else
    not_ok "make uninstall succeeds"
    sed 's/^/    /' "$WORK/uninstall.out"
fi
expect_eq "make uninstall leaves no file behind" "" "$(find "$DEST" -type f)"
check "make uninstall removes share/fuse" test ! -e "$DEST$P/share/fuse"

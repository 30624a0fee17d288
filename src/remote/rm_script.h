/* rm_script.h -- the sh script a blueprint runs on each host (rm_ship.c).
 *
 * Arguments: $1 fuse's version, $2 the SHA-256 of its fuse-apply, $3 1 for
 * sudo, $4 1 for simulate. It holds no single quote: rm_ship.c puts it
 * between two as the remote command.
 *
 * Everything lives in the login's private cache directory (umask 077), not
 * /tmp: a host whose /tmp is read-only or full of other users' files still
 * works, and nobody else can swap the binary root is about to run.
 * fuse-apply is cached there by version and reused only when its SHA-256
 * matches; a new one arrives in the tar and is checked before it is renamed
 * into place. Lines starting with FUSE- are for rm_ship.c, not the user.
 * fuse-apply itself runs under umask 022, as in an image build, so what an
 * Execute writes is the same on a host as in an image. */
#ifndef FUSE_RM_SCRIPT_H
#define FUSE_RM_SCRIPT_H

#define RM_SCRIPT                                                                                  \
    "umask 077\n"                                                                                  \
    "d=${XDG_CACHE_HOME:-$HOME/.cache}/fuse\n"                                                     \
    "p=$d/fuse-apply-$1\n"                                                                         \
    "fail() { echo \"FUSE-ERR $*\"; exit 3; }\n"                                                   \
    "mkdir -p \"$d\" 2>/dev/null || fail \"cannot create $d\"\n"                                   \
    "S=\n"                                                                                         \
    "st=/var/lib/fuse/state\n"                                                                     \
    "if [ \"$(id -u)\" != 0 ]; then\n"                                                             \
    "  if [ \"$3\" = 1 ]; then\n"                                                                  \
    "    command -v sudo >/dev/null 2>&1 || fail \"sudo is not installed on the host\"\n"          \
    "    sudo -n true 2>/dev/null || fail \"sudo asks for a password: give the login "             \
    "passwordless "                                                                                \
    "sudo (NOPASSWD), or log in as root\"\n"                                                       \
    "    S=\"sudo -n\"\n"                                                                          \
    "  else\n"                                                                                     \
    "    st=$d/state\n"                                                                            \
    "  fi\n"                                                                                       \
    "fi\n"                                                                                         \
    "find \"$d\" -maxdepth 1 -name \"run.*\" -mmin +120 -exec rm -rf {} + 2>/dev/null\n"           \
    "have=none\n"                                                                                  \
    "[ -f \"$p\" ] && have=$(sha256sum \"$p\" | cut -c1-64)\n"                                     \
    "echo \"FUSE-HELLO $(uname -m) $have\"\n"                                                      \
    "read go || exit 3\n"                                                                          \
    "[ \"$go\" = go ] || exit 3\n"                                                                 \
    "t=$(mktemp -d \"$d/run.XXXXXX\") || fail \"cannot make a directory in $d\"\n"                 \
    "trap \"rm -rf -- $t\" 0\n"                                                                    \
    "trap \"exit 129\" HUP INT TERM PIPE\n"                                                        \
    "tar -x -f - -C \"$t\" 2>&1 || fail \"cannot unpack the bundle in $t (disk full?)\"\n"         \
    "if [ -f \"$t/fuse-apply\" ]; then\n"                                                          \
    "  [ \"$(sha256sum \"$t/fuse-apply\" | cut -c1-64)\" = \"$2\" ] || fail \"fuse-apply arrived " \
    "damaged\"\n"                                                                                  \
    "  mv -f \"$t/fuse-apply\" \"$p\" || fail \"cannot write $p (disk full?)\"\n"                  \
    "fi\n"                                                                                         \
    "sim=\n"                                                                                       \
    "[ \"$4\" = 1 ] && sim=--simulate\n"                                                           \
    "cd \"$t\" || exit 3\n"                                                                        \
    "umask 022\n"                                                                                  \
    "$S \"$p\" --summary --state \"$st\" $sim bundle.json 2>&1\n"

#endif

#!/bin/bash
# test_security.sh -- no shell interpolation, TLS verified, secrets kept (issue 6).
#
# One private dockerd (dockerd2.sh) listens on its unix socket and, with
# --tlsverify, on tcp://127.0.0.1:PORT with certificates this test makes
# (openssl). Through TLS fuse builds an image whose every string field and
# option holds shell metacharacters, and the values are read back literally.
# A wrong CA, and plain HTTP, are refused. A sensitive File's contents never
# show in progress, errors, -v or -n output.
# shellcheck disable=SC2016 # single-quoted $(...) and `...` are the data here
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/dockerd2.sh
. "$(dirname "$0")/dockerd2.sh"

on_exit d2_stop

# ---- certificates -------------------------------------------------------------
C=$WORK/certs
mkdir -p "$C/good" "$C/wrong" "$C/server"
ossl() { openssl "$@" >/dev/null 2>&1; }
make_ca() { # make_ca DIR
    ossl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=fuse test CA" \
        -keyout "$1/ca-key.pem" -out "$1/ca.pem"
}
# sign DIR NAME CN EXT: a key and a certificate signed by DIR's CA.
sign() {
    ossl req -newkey rsa:2048 -nodes -subj "/CN=$3" -keyout "$C/$2-key.pem" -out "$C/$2.csr" &&
        printf '%s\n' "$4" >"$C/$2.ext" &&
        ossl x509 -req -in "$C/$2.csr" -CA "$1/ca.pem" -CAkey "$1/ca-key.pem" -CAcreateserial \
            -days 2 -extfile "$C/$2.ext" -out "$C/$2.pem"
}
if make_ca "$C/good" && make_ca "$C/wrong" &&
    sign "$C/good" server 127.0.0.1 "subjectAltName=IP:127.0.0.1
extendedKeyUsage=serverAuth" &&
    sign "$C/good" client client "extendedKeyUsage=clientAuth"; then
    ok "certificates made"
else
    not_ok "certificates made"
    exit 1
fi
cp "$C/client.pem" "$C/good/cert.pem"
cp "$C/client-key.pem" "$C/good/key.pem"
# The client's own certificate is fine; only the CA it trusts is wrong.
cp "$C/client.pem" "$C/wrong/cert.pem"
cp "$C/client-key.pem" "$C/wrong/key.pem"

# A port of our own: 20000-29999, picked by pid, moved on while taken.
PORT=$((20000 + $$ % 10000))
while (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do PORT=$((PORT + 1)); done
TCP=tcp://127.0.0.1:$PORT

if d2_start "$(mktemp -d /tmp/fuse-fault.XXXXXX)" --tlsverify --tlscacert "$C/good/ca.pem" \
    --tlscert "$C/server.pem" --tlskey "$C/server-key.pem" -H "$TCP" && d2_busybox; then
    ok "private dockerd with --tlsverify starts"
else
    not_ok "private dockerd with --tlsverify starts"
    exit 1
fi
tls() { DOCKER_HOST=$TCP DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$C/good "$@"; }

# ---- shell metacharacters everywhere --------------------------------------------------
mkdir -p "$WORK/meta" && cd "$WORK/meta" || exit 1
cat >fusefile.lua <<'EOF'
-- M holds every character a shell would act on; N is M without the
-- newline and ":" (passwd, Dockerfile ENV/LABEL lines and Line cannot hold those).
-- In paths, P is M without "/" (a separator there, not data) and Q is N
-- without it.
M = "; rm -rf / $(x) `y` | & > < ' \" \n*?~#!{a,b}[c]\\"
N = "; rm -rf / $(x) `y` | & > < ' \" *?~#!{a,b}[c]\\"
P = M:gsub("/", "")
Q = N:gsub("/", "")
meta = docker_container {
  from_image = "fuse-test/busybox",
  tag = "fuse-sec/meta",
  env = { META = N },
  labels = { meta = N },
  maintainer = N,
  workdir = "/w" .. Q,
  volumes = { "/v" .. Q },
  cmd = { "/bin/echo", M },
  params = { p = "default" },
} (function (bundle, args)
  yield(Directory { name = "/d" .. P })
  yield(File { name = "/d" .. P .. "/f" .. P, contents = M .. args.p, mode = "0644", owner = "root", group = "root" })
  yield(Link { name = "/l" .. P, to = "/d" .. P .. "/f" .. P })
  yield(Group { name = "metagroup" })
  yield(User { name = "metauser", fullname = N, home = "/home/h" .. Q, shell = "/bin/sh" .. Q, group = "metagroup" })
  yield(File { name = "/lines", contents = "keep\n" })
  yield(Line { name = "/lines", line = N, match = "^x$" })
  yield(Execute {
    name = "exec" .. M,
    command = 'printf "%s" "$META_E" > ./exec.out',
    environment = { META_E = M },
    cwd = "/d" .. P,
    creates = "/never" .. P,
    touch = "/touched" .. P,
  })
end)
EOF
tls "$FUSE" "meta:p=$(printf 'arg\\;; $(z) `w` | & > <')" >"$WORK/meta.out" 2>&1
st=$?
expect_eq "metachars: the build over TLS succeeds" 0 $st
[ "$st" = 0 ] || sed 's/^/    /' "$WORK/meta.out"
M=$'; rm -rf / $(x) `y` | & > < \' " \n*?~#!{a,b}[c]\\'
N=$'; rm -rf / $(x) `y` | & > < \' " *?~#!{a,b}[c]\\'
P=${M//\//} Q=${N//\//}
# got CMD...: the output of a command in the image, exec form (no shell);
# the x keeps trailing newlines.
got() { d2 run --rm fuse-sec/meta "$@" 2>&1; echo x; }
expect_eq "metachars: File name and contents arrive literally" "$M"'arg;; $(z) `w` | & > <x' \
    "$(got cat "/d$P/f$P")"
expect_eq "metachars: Link name and target" "/d$P/f$P"$'\n'x "$(got readlink "/l$P")"
expect_eq "metachars: Execute environment reaches the command as data, cwd honoured" "$M"x \
    "$(got cat "/d$P/exec.out")"
expect_eq "metachars: Execute touch" yes$'\n'x \
    "$(got sh -c 'test -e "$1" && echo yes' sh "/touched$P")"
expect_eq "metachars: User fields in /etc/passwd" "metauser:$N:/home/h$Q:/bin/sh$Q"$'\n'x \
    "$(got sh -c 'grep ^metauser: /etc/passwd | cut -d: -f1,5-')"
expect_eq "metachars: Line" "keep"$'\n'"$N"$'\n'x "$(got cat /lines)"
expect_eq "metachars: the container's cmd (exec form)" "$M"$'\n'x "$(d2 run --rm fuse-sec/meta 2>&1; echo x)"
expect_eq "metachars: env" "META=$N" "$(d2 image inspect -f '{{range .Config.Env}}{{if eq (slice . 0 4) "META"}}{{.}}{{end}}{{end}}' fuse-sec/meta)"
expect_eq "metachars: label and maintainer" "$N|$N" \
    "$(d2 image inspect -f '{{index .Config.Labels "meta"}}|{{index .Config.Labels "maintainer"}}' fuse-sec/meta)"
expect_eq "metachars: workdir" "/w$Q" "$(d2 image inspect -f '{{.Config.WorkingDir}}' fuse-sec/meta)"
tls "$FUSE" -n meta >"$WORK/meta.df" 2>&1
shell_lines=$(grep -E '^(RUN|CMD|ENTRYPOINT|SHELL) ' "$WORK/meta.df" | grep -v '^[A-Z]* \[' | head -3)
expect_eq "metachars: every RUN/CMD/ENTRYPOINT of the Dockerfile is exec form" "" "$shell_lines"
expect_eq "metachars: nothing ran outside the container (no file x or y here)" "" \
    "$(find "$WORK/meta" -maxdepth 1 \( -name x -o -name y -o -name w -o -name z \) )"

# ---- TLS ---------------------------------------------------------------------------
DOCKER_HOST=$TCP DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$C/wrong "$FUSE" -q meta >/dev/null 2>"$WORK/err"
expect_eq "TLS: a wrong CA is refused (exit 1)" 1 $?
check "TLS: a wrong CA is refused with a clear first line" \
    grep -q "^fuse: TLS with the Docker daemon at $TCP failed: " <(head -n 1 "$WORK/err")
DOCKER_HOST=$TCP DOCKER_CERT_PATH=$C/wrong "$FUSE" -q meta >/dev/null 2>"$WORK/err"
expect_eq "TLS: verification is on without DOCKER_TLS_VERIFY too (exit 1)" 1 $?
check "TLS: ... with the same first line" \
    grep -q "^fuse: TLS with the Docker daemon at $TCP failed: " <(head -n 1 "$WORK/err")
mkdir -p "$C/noclient" && cp "$C/good/ca.pem" "$C/noclient/"
DOCKER_HOST=$TCP DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$C/noclient "$FUSE" -q meta >/dev/null 2>"$WORK/err"
expect_eq "TLS: no client certificate, the daemon refuses (exit 1)" 1 $?
DOCKER_HOST=$TCP "$FUSE" -q meta >/dev/null 2>"$WORK/err"
expect_eq "TLS: plain HTTP to the TLS port fails (exit 1)" 1 $?
expect_eq "TLS: plain HTTP to the TLS port: first line" \
    "fuse: Docker: HTTP 400: Client sent an HTTP request to an HTTPS server." "$(head -n 1 "$WORK/err")"

# ---- sensitive contents -------------------------------------------------------------
mkdir -p "$WORK/sens" && cd "$WORK/sens" || exit 1
cat >fusefile.lua <<'EOF'
secret = docker_container { from_image = "fuse-test/busybox", tag = "fuse-sec/secret" } (function ()
  yield(File { name = "/nodir/secret", contents = "s3cr3t-VALUE", sensitive = true, mode = "4600" })
end)
EOF
# mode 4600 keeps the File on fuse-apply (a set-user-ID mode is never a
# plain COPY, fuse-resources(7)), whose failure output is what is checked.
tls "$FUSE" secret >"$WORK/sens.out" 2>&1
expect_eq "sensitive: the failing step fails (exit 1)" 1 $?
expect_eq "sensitive: the error names the resource" \
    "fuse: build failed at [1/1] File[/nodir/secret] (fusefile.lua:2): parent directory /nodir does not exist" \
    "$(grep '^fuse:' "$WORK/sens.out" | head -n 1)"
tls "$FUSE" -v secret >>"$WORK/sens.out" 2>&1
tls "$FUSE" -n secret >>"$WORK/sens.out" 2>&1
check "sensitive: the outputs were captured" grep -q 'nodir/secret' "$WORK/sens.out"
expect_eq "sensitive: contents never in progress, errors, -v or -n" "" "$(grep -c 's3cr3t-VALUE' "$WORK/sens.out" | grep -v '^0$')"

#!/bin/bash
# test_blueprint.sh -- blueprints (fusefile(5) BLUEPRINTS) against real sshd
# hosts: containers of an image that fuse itself builds (openssh-server,
# a login "deploy" with passwordless sudo and one, "plain", whose sudo asks
# for a password), each with its own address on the engine's bridge. The
# test's own key, known_hosts and ssh_config (FUSE_SSH="ssh -F ..."); this
# machine itself is never a target. What the hosts hold afterwards is read
# back with docker exec: files, modes, users, lines, the state directory and
# the cached fuse-apply.
# Faults, each one line for its host, exit 1, the other hosts applied:
# unreachable, login refused, host key unknown and changed, sudo asking for a
# password, another architecture, a full disk, the connection cut mid-apply
# (the rerun finishes and fires the pending watch), --timeout (no ssh left,
# the next run finishes); a host whose /tmp is not writable works.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

IMG=fuse-it/ssh-sshd-$$
PREFIX=fuse-it-ssh-$$
NAMES=()
cleanup() {
    local n
    for n in "${NAMES[@]}"; do docker rm -f "$n" >/dev/null 2>&1; done
    docker rmi -f "$IMG" >/dev/null 2>&1
}
on_exit cleanup

# ---- the hosts: containers of an image fuse builds (tests/integration/sshd/) ----

# shellcheck source=tests/integration/sshd/hosts.sh
. "$ROOT/tests/integration/sshd/hosts.sh"
sshd_setup "$WORK/ssh"
if ! sshd_image "$WORK" "$IMG" >"$WORK/build.out" 2>&1; then
    not_ok "the sshd image builds"
    sed 's/^/    /' "$WORK/build.out"
    exit 1
fi
ok "the sshd image builds (a docker_container task)"

# host NAME [docker run options]: starts a host; sets IP.
host() {
    NAMES+=("$PREFIX-$1")
    sshd_host "$PREFIX-$1" "$IMG" "${@:2}"
}

host a && A=$IP
host b && B=$IP
host c && C=$IP
host d && D=$IP
host e --tmpfs /srv/full:size=64k && E=$IP
KNOWN=$WORK/ssh/known_hosts
# shellcheck disable=SC2086 # FUSE_SSH is a word list
check "the hosts answer over ssh" $FUSE_SSH -o BatchMode=yes "$A" true

# on NAME CMD: runs CMD in host NAME.
on() { docker exec "$PREFIX-$1" sh -c "$2"; }

# ---- the site -------------------------------------------------------------

P=$WORK/ssh-site
mkdir -p "$P"
printf 'from the project\n' >"$P/data.txt"
mkdir -p "$P/tree/sub" "$P/tree/skip"
printf 'top\n' >"$P/tree/top.txt"
printf '#!/bin/sh\n' >"$P/tree/sub/run.sh"
chmod 0750 "$P/tree/sub/run.sh"
printf 'left out\n' >"$P/tree/skip/x"
ln -s sub/run.sh "$P/tree/link"
cat >"$P/fusefile.lua" <<'EOF'
local function site(bundle, args)
  yield(Directory { name = "/srv/site", mode = "0755" })
  yield(File { name = "/srv/site/index.html", contents = "HELLO " .. args.greeting .. "\n" })
  yield(File { name = "/srv/site/data.txt", source = "data.txt", mode = "0640" })
  yield(User { name = "svc" })
  yield(Directory { name = "/srv/tree", source = "tree", exclude = { "skip" }, owner = "svc",
                    group = "users", mode = "0750" })
  yield(Line { name = "/etc/environment", line = "SITE=" .. args.greeting })
  yield(Execute { name = "reload", command = "echo reloaded >> /srv/site/reloads",
                  watches = { "File[/srv/site/index.html]" } })
end
image = docker_container { tag = "fuse-it/ssh-never-built" } (site)
web = blueprint { sudo = true, params = { greeting = "world" }, description = "the site" } (site)

-- A user's own files: no sudo, the state in the login's cache.
mine = blueprint { user = "plain" } (function ()
  yield(File { name = "/home/plain/hello", contents = "hi\n" })
end)

-- Fills a 64 KiB disk.
full = blueprint { sudo = true } (function ()
  yield(Directory { name = "/srv/full" })
  yield(File { name = "/srv/full/small", contents = "small\n" })
  yield(File { name = "/srv/full/big", contents = string.rep("x", 200000) })
end)

-- The connection is cut while slow runs; reload watches conf.
cut = blueprint { sudo = true, params = { v = "1" } } (function (_, args)
  yield(Directory { name = "/srv/cut" })
  yield(File { name = "/srv/cut/conf", contents = args.v .. "\n" })
  yield(Execute { name = "slow", command = "touch /srv/cut/started; sleep 3; rm /srv/cut/started",
                  watches = { "File[/srv/cut/conf]" } })
  yield(Execute { name = "reload", command = "echo reloaded >> /srv/cut/reloads",
                  watches = { "File[/srv/cut/conf]" } })
end)
EOF
cd "$P" || exit 1

# run ARGS...: fuse in the project; output in $WORK/out, sets ERR, RC.
run() {
    "$FUSE" "$@" >"$WORK/out" 2>"$WORK/err"
    RC=$?
    ERR=$(cat "$WORK/err")
}

# summary HOST: the host's summary line (its last line).
summary() { grep "^$1: " "$WORK/out" | tail -n 1; }

run -l
check "-l lists blueprints" grep -q "^    web  *the site$" "$WORK/out"
run -d web
check "-d names a blueprint and its arguments" grep -q "blueprint, defined at fusefile.lua:13" "$WORK/out"
check "-d lists hosts, simulate, sudo, user" grep -q "arguments: greeting, hosts, simulate, sudo, user" "$WORK/out"

run -n web:hosts="$A;no-such-host.invalid"
expect_eq "-n: exit 0" 0 "$RC"
check "-n names the hosts" grep -q "^# fuse -n: would apply to $A, no-such-host.invalid with sudo" "$WORK/out"
check "-n prints the bundle" grep -q '"name": "/srv/site/index.html"' "$WORK/out"
expect_eq "-n touches no host" "absent" "$(on a 'test -e /srv/site && echo there || echo absent')"

run web
expect_eq "no hosts: exit 2" 2 "$RC"
expect_eq "no hosts: one line" \
    'fuse: web: blueprint: no hosts: give hosts = { "web1", ... } or hosts=web1;web2' "$ERR"
run web:hosts=-oProxyCommand=x
expect_eq "a host word that is an ssh option: exit 2" 2 "$RC"

# ---- first apply, three hosts at once -----------------------------------------

run -j 3 web:hosts="$A;$B;$C"
expect_eq "first apply: exit 0" 0 "$RC"
for ip in "$A" "$B" "$C"; do
    check "first apply $ip: summary" sh -c "grep -Eq '^$ip: 11 changed, 0 unchanged, [0-9.]+ s$' '$WORK/out'"
done
check "first apply: the host's lines are prefixed" grep -q "^$A: File\[/srv/site/index.html\] created$" "$WORK/out"
check "-j 3: every line is one host's whole line" \
    sh -c "! grep -Ev '^($A|$B|$C): ' '$WORK/out'"
expect_eq "first apply: index.html" "HELLO world" "$(on b 'cat /srv/site/index.html')"
expect_eq "first apply: a source travels" "from the project" "$(on b 'cat /srv/site/data.txt')"
expect_eq "first apply: modes and owners" "640 root:root" "$(on b 'stat -c "%a %U:%G" /srv/site/data.txt')"
check "first apply: the user exists" on c "id svc >/dev/null"
expect_eq "first apply: a tree travels (modes, owner, link, exclude)" \
    "750 svc:users|644 svc:users top.txt|750 svc:users run.sh|sub/run.sh|absent" \
    "$(on b 'cd /srv/tree && stat -c "%a %U:%G" . && stat -c "%a %U:%G %n" top.txt &&
        stat -c "%a %U:%G %n" sub/run.sh | sed "s|sub/||" && readlink link &&
        (test -e skip && echo there || echo absent)' | paste -sd'|')"
expect_eq "first apply: the line" "SITE=world" "$(on c 'tail -n 1 /etc/environment')"
expect_eq "first apply: the watch fired" "reloaded" "$(on a 'cat /srv/site/reloads')"
check "the watches' state is on the host" on a "test -f /var/lib/fuse/state/serial"
expect_eq "fuse-apply is cached under its version, checksummed" \
    "$(sha256sum <"$FUSE_APPLY" | cut -c1-64)" \
    "$(on a 'cat /home/deploy/.cache/fuse/fuse-apply-* | sha256sum | cut -c1-64')"
expect_eq "the bundle is removed" "" "$(on a 'ls -d /home/deploy/.cache/fuse/run.* 2>/dev/null')"
expect_eq "nothing in /tmp" "" "$(on a 'ls -A /tmp')"

# ---- rerun: nothing to change ---------------------------------------------

run web:hosts="$A;$B"
expect_eq "rerun: exit 0" 0 "$RC"
check "rerun: nothing changed" sh -c "grep -Eq '^$A: 0 changed, 11 unchanged' '$WORK/out'"
expect_eq "rerun: no line but the summaries" 2 "$(wc -l <"$WORK/out")"
expect_eq "rerun: the watch did not fire" 1 "$(on a 'wc -l < /srv/site/reloads')"

# A damaged cached copy is replaced, not run.
on a "echo damage >> /home/deploy/.cache/fuse/fuse-apply-$("$FUSE" --version | head -n 1 | cut -d' ' -f2)"
run web:hosts="$A"
expect_eq "damaged cache: exit 0" 0 "$RC"
expect_eq "damaged cache: replaced" "$(sha256sum <"$FUSE_APPLY" | cut -c1-64)" \
    "$(on a 'cat /home/deploy/.cache/fuse/fuse-apply-* | sha256sum | cut -c1-64')"

# ---- simulate, a change -----------------------------------------------------

run web:hosts="$A",greeting=there,simulate=true
expect_eq "simulate: exit 0" 0 "$RC"
check "simulate: says what would change (the File, the Line, their watch)" \
    sh -c "grep -Eq '^$A: 3 would change, 8 unchanged' '$WORK/out'"
expect_eq "simulate: changes nothing" "HELLO world" "$(on a 'cat /srv/site/index.html')"
expect_eq "simulate: runs no watch" 1 "$(on a 'wc -l < /srv/site/reloads')"

run web:hosts="$A",greeting=there
check "a change: 3 changed (the File, the Line, the watch)" \
    sh -c "grep -Eq '^$A: 3 changed, 8 unchanged' '$WORK/out'"
expect_eq "a change: the watch fired" 2 "$(on a 'wc -l < /srv/site/reloads')"

# ---- without sudo ------------------------------------------------------------

run mine:hosts="$B"
expect_eq "a login's own files, no sudo: exit 0" 0 "$RC"
expect_eq "no sudo: written as the login" "plain hi" "$(on b 'stat -c %U /home/plain/hello; cat /home/plain/hello' | tr '\n' ' ' | sed 's/ $//')"

# ---- faults -------------------------------------------------------------------

# fault NAME HOST LINE ARGS...: exit 1, HOST's summary starts with LINE, and
# the good host ($C) was applied all the same.
fault() {
    local name=$1 bad=$2 want=$3
    shift 3
    run "$@"
    expect_eq "$name: exit 1" 1 "$RC"
    local got
    got=$(summary "$bad")
    if [[ $got == "$bad: $want"* ]]; then ok "$name: one line for the host"; else
        not_ok "$name: one line for the host"
        printf '    expected: %s: %s...\n    actual:   %s\n' "$bad" "$want" "$got"
    fi
    check "$name: the other host is applied" sh -c "grep -Eq '^$C: [0-9]+ changed, [0-9]+ unchanged' '$WORK/out'"
    check "$name: the failure is named" grep -q "^fuse: blueprint: 1 of 2 hosts failed: $bad$" "$WORK/err"
}

fault "unreachable" "127.0.0.1:1" "unreachable: ssh: connect to host 127.0.0.1 port 1: Connection refused" \
    web:hosts="127.0.0.1:1;$C"
fault "login refused" "nosuch@$A" "authentication refused (nosuch@$A: Permission denied (publickey" \
    web:hosts="nosuch@$A;$C"
fault "sudo asks for a password" "plain@$B" \
    "sudo asks for a password: give the login passwordless sudo (NOPASSWD), or log in as root" \
    web:hosts="plain@$B;$C"

ssh-keygen -q -R "$D" -f "$KNOWN" >/dev/null 2>&1
fault "host key unknown" "$D" \
    "the host key is unknown: check it, then add it with: ssh-keyscan $D >> ~/.ssh/known_hosts" \
    web:hosts="$D;$C"
expect_eq "host key unknown: the host is untouched" "absent" \
    "$(on d 'test -e /srv/site && echo there || echo absent')"

cat "$WORK/ssh/keys.$D" >>"$KNOWN"
on d 'rm -f /etc/ssh/ssh_host_* && ssh-keygen -q -A >/dev/null && kill -HUP 1'
# sshd re-executes on SIGHUP: wait until it answers with its new keys.
for _ in $(seq 1 50); do
    NEW=$(ssh-keyscan -T 2 "$D" 2>/dev/null | grep -v '^#' | sort)
    [ -n "$NEW" ] && [ "$NEW" != "$(sort "$WORK/ssh/keys.$D")" ] && break
    sleep 0.2
done
fault "host key changed" "$D" "the host key has CHANGED (another machine, or it was reinstalled): check it, then remove the old one with: ssh-keygen -R $D" \
    web:hosts="$D;$C"

# shellcheck disable=SC2016 # expanded by the host's sh
on b 'printf "#!/bin/sh\n[ \"\$1\" = -m ] && echo aarch64 || exec /bin/uname \"\$@\"\n" > /usr/local/bin/uname && chmod 755 /usr/local/bin/uname'
fault "another architecture" "$B" "the host is aarch64 (uname -m) and this fuse-apply runs on $(uname -m) only" \
    web:hosts="$B;$C"
on b 'rm /usr/local/bin/uname'

fault "a full disk" "$E" "failed at File[/srv/full/big]: cannot write /srv/full/big: No space left on device (" \
    full:hosts="$E;$C"
expect_eq "a full disk: what was applied stays, nothing half-written" "small" \
    "$(on e 'ls -A /srv/full')"

# /tmp not writable for the login: nothing of a blueprint goes there.
on c 'chmod 0555 /tmp'
run web:hosts="$C"
expect_eq "/tmp not writable: still applies" 0 "$RC"
on c 'chmod 1777 /tmp'

# ---- the connection cut mid-apply --------------------------------------------

run cut:hosts="$A"
expect_eq "cut: first run" 0 "$RC"
expect_eq "cut: reload ran once" 1 "$(on a 'wc -l < /srv/cut/reloads')"
"$FUSE" cut:hosts="$A",v=2 >"$WORK/out" 2>"$WORK/err" &
FPID=$!
for _ in $(seq 1 100); do on a 'test -e /srv/cut/started' && break; sleep 0.1; done
SSHPID=$(pgrep -f -- "-F $WORK/ssh/ssh_config .*$A exec" | head -n 1)
[ -n "$SSHPID" ] && kill "$SSHPID"
wait "$FPID"
RC=$?
expect_eq "cut: exit 1" 1 "$RC"
check "cut: one line says the connection was lost" \
    sh -c "grep -q '^$A: the connection was lost during the apply (.*): run again to finish$' '$WORK/out'"
# The host finishes what it was doing: wait for its fuse-apply to end.
for _ in $(seq 1 100); do on a 'pgrep fuse-apply >/dev/null' || break; sleep 0.1; done
expect_eq "cut: the file was written whole" "2" "$(on a 'cat /srv/cut/conf')"
expect_eq "cut: the watch after the cut did not run" 1 "$(on a 'wc -l < /srv/cut/reloads')"
run cut:hosts="$A",v=2
expect_eq "cut: the rerun succeeds" 0 "$RC"
expect_eq "cut: the rerun fires the pending watch" 2 "$(on a 'wc -l < /srv/cut/reloads')"
expect_eq "cut: nothing left in the cache but fuse-apply" "" \
    "$(on a 'ls -d /home/deploy/.cache/fuse/run.* 2>/dev/null')"

# --timeout ends every host's ssh, each host says so, and the next run finishes.
run --timeout 1 cut:hosts="$A",v=3
expect_eq "timeout: exit 1" 1 "$RC"
check "timeout: the host says it stopped" \
    grep -q "^$A: stopped before the end (interrupted or timed out): run again to finish$" "$WORK/out"
expect_eq "timeout: no ssh left running" "" "$(pgrep -f -- "-F $WORK/ssh/ssh_config .*$A exec")"
for _ in $(seq 1 100); do on a 'pgrep fuse-apply >/dev/null' || break; sleep 0.1; done
run cut:hosts="$A",v=3
expect_eq "timeout: the next run finishes" 0 "$RC"
expect_eq "timeout: the next run fired the watch" 3 "$(on a 'wc -l < /srv/cut/reloads')"

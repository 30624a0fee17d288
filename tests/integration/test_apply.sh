#!/bin/bash
# tests/integration/test_apply.sh -- fuse-apply in real containers.
#
# The static binary is copied into a debootstrapped debian:bookworm and into
# the busybox image, applies bundles there, and the result is inspected from
# outside with docker exec (stat, id, getent, dpkg -s). Runs after engine_up.
. "$(dirname "$0")/lib.sh"

NAMES=()
cleanup_containers() {
    local n
    for n in "${NAMES[@]}"; do docker rm -f "$n" >/dev/null 2>&1; done
}
on_exit cleanup_containers

# start_with IMAGE NAME: a container that idles, with fuse-apply and the
# bundles of $WORK copied in under /.fuse.
start_with() {
    local image=$1 name=$2
    NAMES+=("$name")
    docker rm -f "$name" >/dev/null 2>&1
    docker create --name "$name" "$image" sleep 600 >/dev/null || return 1
    docker cp "$FUSE_APPLY" "$name:/fuse-apply" || return 1
    docker cp "$WORK/." "$name:/b" || return 1
    docker start "$name" >/dev/null
}

# apply NAME ARGS...: runs fuse-apply in the container; sets OUT, ERR, RC.
apply() {
    local name=$1
    shift
    OUT=$(docker exec "$name" /fuse-apply "$@" 2>"$WORK/err")
    RC=$?
    ERR=$(cat "$WORK/err")
}

# file(1) says "statically linked"; without it, a static ELF has no interpreter.
if command -v file >/dev/null; then
    check "fuse-apply is statically linked" sh -c "file -L '$FUSE_APPLY' | grep -q 'statically linked'"
else
    check "fuse-apply is statically linked" sh -c "! readelf -l '$FUSE_APPLY' | grep -q INTERP"
fi
echo "# fuse-apply: $(stat -c %s "$FUSE_APPLY") bytes"

cat >"$WORK/debian.json" <<'JSON'
{"version": 1, "resources": [
  {"Package": {"name": ["less", "file"]}},
  {"Group": {"name": "web", "gid": 2500}},
  {"User": {"name": "app", "uid": 2501, "group": "web", "groups": ["users"],
            "home": "/home/app", "shell": "/bin/bash", "fullname": "App User"}},
  {"Directory": {"name": "/srv/www", "parents": true, "owner": "app", "group": "web", "mode": "0750"}},
  {"File": {"name": "/srv/www/index.html", "contents": "HELLO WORLD!",
            "owner": "app", "group": "web", "mode": "0640"}},
  {"Link": {"name": "/srv/current", "to": "/srv/www"}},
  {"Line": {"name": "/etc/profile", "line": "export GREETING=hello", "match": "^export GREETING="}},
  {"Execute": {"name": "whoami", "command": "id -un > /srv/www/whoami", "user": "app",
               "creates": "/srv/www/whoami"}},
  {"Execute": {"name": "reload", "command": "echo reloaded >> /srv/www/reloads",
               "watches": ["File[/srv/www/index.html]"]}}
]}
JSON
cat >"$WORK/fail.json" <<'JSON'
{"Execute": {"name": "false", "command": "echo broken-output; false"}}
JSON
cat >"$WORK/bad.json" <<'JSON'
[{"File": {"name": "/ok"}}, {"File": {"name": "relative/path"}}]
JSON

D=fuse-it-apply-debian
if start_with debian:bookworm "$D"; then
    apply "$D" /b/debian.json
    expect_eq "debian: first run exits 0" 0 "$RC"
    [ "$RC" = 0 ] || printf '%s\n%s\n' "$OUT" "$ERR" | sed 's/^/    /'
    check "debian: a line per change" grep -q '^File\[/srv/www/index.html\] created$' <<<"$OUT"
    check "debian: package reported" grep -q '^Package\[less,file\] installed$' <<<"$OUT"
    expect_eq "debian: file owner, group, mode" "app:web 640" \
        "$(docker exec "$D" stat -c '%U:%G %a' /srv/www/index.html)"
    expect_eq "debian: file contents" "HELLO WORLD!" "$(docker exec "$D" cat /srv/www/index.html)"
    expect_eq "debian: directory owner and mode" "app:web 750" \
        "$(docker exec "$D" stat -c '%U:%G %a' /srv/www)"
    expect_eq "debian: user" "uid=2501(app) gid=2500(web) groups=2500(web),100(users)" \
        "$(docker exec "$D" id app)"
    expect_eq "debian: passwd entry" "app:x:2501:2500:App User:/home/app:/bin/bash" \
        "$(docker exec "$D" getent passwd app)"
    expect_eq "debian: group" "web:x:2500:" "$(docker exec "$D" getent group web)"
    expect_eq "debian: packages installed" "install ok installed
install ok installed" "$(docker exec "$D" dpkg-query -W -f='${Status}\n' less file)"
    expect_eq "debian: downloaded packages cleaned" "" \
        "$(docker exec "$D" sh -c 'ls /var/cache/apt/archives | grep "\.deb$"')"
    expect_eq "debian: link" "/srv/www" "$(docker exec "$D" readlink /srv/current)"
    expect_eq "debian: line" "export GREETING=hello" \
        "$(docker exec "$D" grep '^export GREETING' /etc/profile)"
    expect_eq "debian: execute as user" "app" "$(docker exec "$D" cat /srv/www/whoami)"
    expect_eq "debian: watcher ran once" "reloaded" "$(docker exec "$D" cat /srv/www/reloads)"

    apply "$D" /b/debian.json
    expect_eq "debian: second run exits 254" 254 "$RC"
    expect_eq "debian: second run prints nothing" "" "$OUT$ERR"
    expect_eq "debian: watcher did not run again" "reloaded" "$(docker exec "$D" cat /srv/www/reloads)"

    apply "$D" /b/fail.json
    expect_eq "debian: failing Execute exits 1" 1 "$RC"
    check "debian: failing Execute named" grep -q '^fuse-apply: Execute\[false\]: command exited with status 1$' <<<"$ERR"
    check "debian: failing Execute output shown" grep -q 'broken-output' <<<"$ERR"

    apply "$D" /b/bad.json
    expect_eq "debian: malformed bundle exits 2" 2 "$RC"
    check "debian: malformed resource named" grep -q 'resource 2 (File): name' <<<"$ERR"
    expect_eq "debian: nothing applied from a malformed bundle" "no" \
        "$(docker exec "$D" sh -c 'test -e /ok && echo yes || echo no')"

    # fuselage's defaults for a new user; a home only when given, and not
    # even then with create_home = false.
    apply "$D" --json '{"version": 1, "resources": [{"User": {"name": "alice"}},
        {"User": {"name": "carol", "home": "/home/carol"}},
        {"User": {"name": "web", "home": "/srv/web", "create_home": false}}]}'
    expect_eq "debian: users created" 0 "$RC"
    expect_eq "debian: a new user is a system user in users, with bash" "users /bin/bash yes" \
        "$(docker exec "$D" sh -c 'echo $(id -gn alice) $(getent passwd alice | cut -d: -f7) \
            $([ "$(id -u alice)" -lt 1000 ] && echo yes)')"
    expect_eq "debian: no home unless given" "none none skel" \
        "$(docker exec "$D" sh -c 'for d in /home/alice /srv/web; do [ -e $d ] && echo made || echo none; done
            [ -e /home/carol/.bashrc ] && echo skel' | tr '\n' ' ' | sed 's/ $//')"
    expect_eq "debian: a home not made is still recorded" "/srv/web" \
        "$(docker exec "$D" sh -c 'getent passwd web | cut -d: -f6')"

    # The Dockerfile's way: one resource per invocation, state between them.
    apply "$D" --no-changes-ok --state /.fuse/state --json \
        '{"File": {"name": "/srv/www/index.html", "contents": "NEW", "owner": "app", "group": "web", "mode": "0640"}}'
    expect_eq "debian: --json step changes the file" "0 File[/srv/www/index.html] contents changed" "$RC $OUT"
    apply "$D" --no-changes-ok --state /.fuse/state --json \
        '{"Execute": {"name": "reload", "command": "echo reloaded >> /srv/www/reloads", "watches": ["File[/srv/www/index.html]"]}}'
    expect_eq "debian: watcher in a later step runs" "0 Execute[reload] executed" "$RC $OUT"
    docker exec "$D" cp /fuse-apply /.fuse/fuse-apply
    OUT=$(docker exec "$D" /.fuse/fuse-apply --cleanup /.fuse 2>&1)
    expect_eq "debian: --cleanup removes /.fuse, binary included" "0 gone" \
        "$? $(docker exec "$D" sh -c 'test -e /.fuse && echo there || echo gone')"
else
    not_ok "debian: container started"
fi

cat >"$WORK/busybox.json" <<'JSON'
{"version": 1, "resources": [
  {"Directory": {"name": "/srv/data", "parents": true, "mode": "0700"}},
  {"File": {"name": "/srv/data/hello.txt", "contents": "hi\n", "mode": "0600"}},
  {"Group": {"name": "svc", "gid": 3000}},
  {"User": {"name": "svc", "uid": 3000, "group": "svc", "home": "/home/svc"}}
]}
JSON
# As fuselage writes bundles: integer modes, env for environment, nulls.
cat >"$WORK/fuselage.json" <<'JSON'
{"version": 1, "resources": [
  {"Directory": {"name": "/tmp/app", "mode": 493, "owner": "root", "policy": null}},
  {"File": {"name": "/tmp/app/settings", "contents": "DEBUG = False\n", "mode": 420}},
  {"Execute": {"name": "configure", "command": "echo $TARGET > /tmp/app/target",
               "env": {"TARGET": "production"}, "creates": "/tmp/app/target"}}
]}
JSON
B=fuse-it-apply-busybox
if start_with fuse-test/busybox "$B"; then
    apply "$B" /b/busybox.json
    expect_eq "busybox: static binary applies a bundle" 0 "$RC"
    [ "$RC" = 0 ] || printf '%s\n%s\n' "$OUT" "$ERR" | sed 's/^/    /'
    expect_eq "busybox: file" "600 hi" \
        "$(docker exec "$B" sh -c 'stat -c %a /srv/data/hello.txt; cat /srv/data/hello.txt' | tr '\n' ' ' | sed 's/ $//')"
    expect_eq "busybox: directory mode" "700" "$(docker exec "$B" stat -c %a /srv/data)"
    expect_eq "busybox: user by adduser" "uid=3000(svc) gid=3000(svc) groups=3000(svc) home" \
        "$(docker exec "$B" sh -c 'echo $(id svc) $(test -d /home/svc && echo home)')"
    apply "$B" /b/busybox.json
    expect_eq "busybox: second run exits 254 silently" "254 " "$RC $OUT$ERR"
    # No tools: the files edited with fuselage's defaults; no bash, so /bin/sh.
    apply "$B" --json '{"User": {"name": "bob"}}'
    expect_eq "busybox: default user" "0 bob:x:999:100::/home/bob:/bin/sh no-home" \
        "$RC $(docker exec "$B" sh -c 'grep ^bob: /etc/passwd; test -e /home/bob || echo no-home' | paste -sd' ')"

    apply "$B" /b/fuselage.json
    expect_eq "busybox: fuselage bundle applies" 0 "$RC"
    [ "$RC" = 0 ] || printf '%s\n%s\n' "$OUT" "$ERR" | sed 's/^/    /'
    expect_eq "busybox: fuselage bundle result" "644 production" \
        "$(docker exec "$B" sh -c 'stat -c %a /tmp/app/settings; cat /tmp/app/target' | tr '\n' ' ' | sed 's/ $//')"
    apply "$B" /b/fuselage.json
    expect_eq "busybox: fuselage bundle second run 254" 254 "$RC"
else
    not_ok "busybox: container started"
fi

# tests/integration/ports.sh -- sourced by lib.sh and bench/cases_ship.sh.
# shellcheck shell=bash

# free_port: a TCP port nothing listens on (bash's /dev/tcp connect fails).
free_port() {
    local p
    for _ in $(seq 1 100); do
        p=$((20000 + RANDOM % 20000))
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
    done
    return 1
}

# shellcheck shell=bash
# bench/cases_blueprint.sh -- case 14: a blueprint applied to 4 live hosts
# over SSH, against Ansible applying the equivalent playbook to the same
# kind of hosts in the same run (sourced by bench/run.sh; see README.md).
#
# The hosts are containers of tests/integration/sshd/fusefile.lua (built by
# fuse, with python3, which Ansible needs on every host and fuse does not),
# reached with a key of the bench's own. A first apply needs hosts that
# have never seen the site, so each first-apply run gets 4 new containers
# (their start is not timed). Ansible runs as a skilled person would set it
# up: pipelining on, its default 5 forks (so the 4 hosts at once), facts
# not gathered, the same ssh_config.
# Knobs: BENCH_BP_REPS (3) runs of each timed command.

BP_REPS=${BENCH_BP_REPS:-3}
BP_IMG=$P-sshd
BP_N=0

# shellcheck source=tests/integration/sshd/hosts.sh
. "$ROOT/tests/integration/sshd/hosts.sh"

bp_cleanup() {
    local n
    for n in $(docker ps -aq --filter "name=fuse-bench-ssh-$$-"); do
        docker rm -f "$n" >/dev/null 2>&1
    done
}

# The site of the issue: a Package, a Directory tree, 20 Files, a User, a
# Line, an Execute watching a File; the same in fuse and in Ansible.
setup_blueprint() {
    local d=$WORK/bp i
    mkdir -p "$d/site"
    sshd_setup "$d/ssh"
    run sshd_image "$d" "$BP_IMG" python=yes
    {
        echo 'site = blueprint { sudo = true } (function ()'
        echo '  yield(Package { name = "tree" })'
        echo '  yield(Directory { name = "/srv/bench" })'
        echo '  yield(Directory { name = "/srv/bench/conf" })'
        echo '  yield(Directory { name = "/srv/bench/data" })'
        for i in $(seq 1 20); do
            printf '  yield(File { name = "/srv/bench/data/f%s", contents = "file %s\\n", mode = "0644" })\n' \
                "$i" "$i"
        done
        cat <<'EOF'
  yield(User { name = "benchsvc" })
  yield(Line { name = "/etc/environment", line = "BENCH=1" })
  yield(File { name = "/srv/bench/conf/app.conf", contents = "port = 8080\n" })
  yield(Execute { name = "reload", command = "echo reloaded >> /srv/bench/reloads",
                  watches = { "File[/srv/bench/conf/app.conf]" } })
end)
EOF
    } >"$d/site/fusefile.lua"
    cat >"$d/site.yml" <<'EOF'
- hosts: all
  become: true
  gather_facts: false
  tasks:
    - apt: { name: tree, update_cache: true, cache_valid_time: 3600 }
    - file: { path: "{{ item }}", state: directory, mode: "0755" }
      loop: [/srv/bench, /srv/bench/conf, /srv/bench/data]
    - copy: { dest: "/srv/bench/data/f{{ item }}", content: "file {{ item }}\n", mode: "0644" }
      loop: "{{ range(1, 21) | list }}"
    - user: { name: benchsvc, system: true }
    - lineinfile: { path: /etc/environment, line: BENCH=1 }
    - copy: { dest: /srv/bench/conf/app.conf, content: "port = 8080\n", mode: "0644" }
      notify: reload
  handlers:
    - name: reload
      shell: echo reloaded >> /srv/bench/reloads
EOF
    printf '%s\n' "[defaults]" "host_key_checking = True" "retry_files_enabled = False" \
        "[ssh_connection]" "pipelining = True" \
        "ssh_args = -C -o ControlMaster=auto -o ControlPersist=60s -F $d/ssh/ssh_config" \
        >"$d/ansible.cfg"
}

# bp_hosts: 4 new hosts; sets BP_HOSTS (a;b;c;d) and the inventory file.
bp_hosts() {
    local i ips=()
    for i in 1 2 3 4; do
        BP_N=$((BP_N + 1))
        sshd_host "fuse-bench-ssh-$$-$BP_N" "$BP_IMG" >>"$LOG" 2>&1 || {
            say "host $BP_N did not start"
            exit 1
        }
        ips+=("$IP")
    done
    BP_HOSTS=$(
        IFS=';'
        echo "${ips[*]}"
    )
    printf '%s ansible_user=deploy\n' "${ips[@]}" >"$WORK/bp/inventory"
}

bp_fuse() { (cd "$WORK/bp/site" && secs "$FUSE" -q "$@" site:hosts="$BP_HOSTS"); }
bp_ansible() {
    ANSIBLE_CONFIG=$WORK/bp/ansible.cfg secs ansible-playbook -i "$WORK/bp/inventory" \
        "$WORK/bp/site.yml"
}

case_blueprint() {
    if ! command -v ansible-playbook >/dev/null; then
        say "case 14 skipped: ansible-playbook is missing (apt-get install ansible)"
        return
    fi
    say "case 14: a blueprint on 4 hosts vs ansible-playbook, $BP_REPS runs each"
    # The hosts go before the images (run.sh's cleanup), whatever ends the bench.
    trap 'bp_cleanup; cleanup' EXIT
    setup_blueprint
    local i f1=() a1=() f2=() a2=() j1=()
    for ((i = 1; i <= BP_REPS; i++)); do
        bp_hosts
        f1+=("$(bp_fuse -j 4)")
        f2+=("$(bp_fuse -j 4)")
        j1+=("$(bp_fuse -j 1)")
        bp_hosts
        a1+=("$(bp_ansible)")
        a2+=("$(bp_ansible)")
        say "blueprint run $i: first fuse ${f1[-1]} s, ansible ${a1[-1]} s;" \
            "rerun fuse ${f2[-1]} s (-j 1 ${j1[-1]} s), ansible ${a2[-1]} s"
        bp_cleanup
    done
    local fm am rm_ jm
    fm=$(median "${f1[@]}") am=$(median "${a1[@]}")
    row "14a blueprint, 4 hosts: first apply" "$(fmt_s "$fm")" "$(fmt_s "$am") (ansible)" \
        "$(ratio "$fm" "$am")" "<= 0.5" "$(verdict "$(ratio "$fm" "$am")" 0.5)"
    rm_=$(median "${f2[@]}") am=$(median "${a2[@]}")
    row "14b blueprint, 4 hosts: rerun, no change" "$(fmt_s "$rm_")" "$(fmt_s "$am") (ansible)" \
        "$(ratio "$rm_" "$am")" "<= 0.1" "$(verdict "$(ratio "$rm_" "$am")" 0.1)"
    jm=$(median "${j1[@]}")
    row "14c blueprint rerun: -j 4 vs -j 1" "$(fmt_s "$rm_")" "$(fmt_s "$jm") (-j 1)" \
        "$(ratio "$rm_" "$jm")" "<= 0.4" "$(verdict "$(ratio "$rm_" "$jm")" 0.4)"
}

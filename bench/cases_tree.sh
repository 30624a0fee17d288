# bench/cases_tree.sh -- sourced by bench/run.sh: copying a host tree with
# one Directory { source }, and a multi-stage build (issue 13's targets).
#
# Knobs: BENCH_TREE_FILES (20000), BENCH_TREE_MB (500) size the generated
# tree; BENCH_TREE_REPS (2) runs of each build. The multi-stage case uses
# BENCH_REPS_COLD and BENCH_COLD_TIMEOUT, as the other cold cases.
# shellcheck shell=bash

TREE_FILES=${BENCH_TREE_FILES:-20000}
TREE_MB=${BENCH_TREE_MB:-500}
TREE_REPS=${BENCH_TREE_REPS:-2}

# setup_tree: $WORK/tree/df (a Dockerfile with one COPY, a .dockerignore and
# the tree app/) and $WORK/tree/fuse (a fusefile with one Directory, the same
# tree hard-linked, so a file changed in one is changed in the other). The
# tree: directories of 100 files of random data, TREE_MB in all, plus what
# both sides exclude: a .git/ and a *.log beside every 100 files.
setup_tree() {
    local dir=$WORK/tree per ndirs d n left=$TREE_FILES
    per=$(((TREE_MB << 20) / TREE_FILES))
    ndirs=$(((TREE_FILES + 99) / 100))
    mkdir -p "$dir/df/app/.git" "$dir/fuse"
    for ((d = 0; d < ndirs; d++)); do
        n=$((left < 100 ? left : 100))
        left=$((left - n))
        mkdir -p "$dir/df/app/d$d"
        head -c "$((n * per))" /dev/urandom | split -b "$per" -a 3 -d - "$dir/df/app/d$d/f"
        echo "excluded" >"$dir/df/app/d$d/build.log"
    done
    for ((n = 0; n < 50; n++)); do echo "object $n" >"$dir/df/app/.git/o$n"; done
    chmod -R u=rwX,go=rX "$dir/df/app"
    printf 'FROM fuse-test/busybox\nCOPY app /dst\n' >"$dir/df/Dockerfile"
    printf 'app/.git\napp/**/*.log\n' >"$dir/df/.dockerignore"
    cp -al "$dir/df/app" "$dir/fuse/app"
    cat >"$dir/fuse/fusefile.lua" <<'EOF'
tree = docker_container { from_image = "fuse-test/busybox" } (function ()
  yield(Directory { name = "/dst", source = "app", exclude = { ".git/", "**/*.log" } })
end)
EOF
    say "tree: $TREE_FILES files in $ndirs directories, $TREE_MB MiB (+ $((ndirs + 50)) excluded)"
}

# tree_pair NAME FUSEARGS BASEARGS: TREE_REPS alternating runs, fuse under
# /usr/bin/time -v; sets F_MED, B_MED and RSS_MED (fuse's max RSS, KiB).
tree_pair() {
    local name=$1 fargs=$2 bargs=$3 i f=() b=() rss=()
    for ((i = 1; i <= TREE_REPS; i++)); do
        # shellcheck disable=SC2086 # the argument strings are word lists
        f+=("$(cd "$WORK/tree/fuse" && secs "$TIME" -v -o "$WORK/tree/time" "$FUSE" -q $fargs)")
        rss+=("$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$WORK/tree/time")")
        # shellcheck disable=SC2086
        b+=("$(secs "$DOCKER" build -q $bargs "$WORK/tree/df")")
        say "tree $name run $i: fuse ${f[-1]} s (max RSS ${rss[-1]} KiB), docker build ${b[-1]} s"
    done
    F_MED=$(median "${f[@]}")
    B_MED=$(median "${b[@]}")
    RSS_MED=$(median "${rss[@]}")
}

case_tree() {
    say "case 8: a tree of $TREE_FILES files, $TREE_MB MiB, one Directory vs one COPY; $TREE_REPS runs each"
    setup_tree
    local r
    tree_pair cold "--no-cache tree:tag=$P-tree-fuse" "--no-cache -t $P-tree-df"
    r=$(ratio "$F_MED" "$B_MED")
    row "8a tree: cold copy" "$(fmt_s "$F_MED")" "$(fmt_s "$B_MED")" "$r" "<= 1.10" "$(verdict "$r" 1.10)"
    row "8b tree: fuse max RSS" "$((RSS_MED / 1024)) MiB" "-" "-" "<= 32 MiB" \
        "$(verdict "$RSS_MED" $((32 * 1024)))"
    tree_pair warm "tree:tag=$P-tree-fuse" "-t $P-tree-df"
    r=$(ratio "$F_MED" "$B_MED")
    row "8c tree: rebuild, nothing changed" "$(fmt_s "$F_MED")" "$(fmt_s "$B_MED")" "$r" "<= 1.20" \
        "$(verdict "$r" 1.20)"
    # One file's contents changed: fuse's tree step is made again, every step
    # before it comes from the cache (counted in Docker's stream, -v).
    local i f=() b=() out steps cached s
    for ((i = 1; i <= TREE_REPS; i++)); do
        echo "change $i" >>"$WORK/tree/df/app/d0/f000"
        out=$WORK/tree/touched.$i
        s=$EPOCHREALTIME
        (cd "$WORK/tree/fuse" && "$FUSE" -v "tree:tag=$P-tree-fuse") >"$out" 2>&1 ||
            { say "failed: fuse -v tree"; tail -n 20 "$out" >&2; exit 1; }
        f+=("$(awk -v s="$s" -v e="$EPOCHREALTIME" 'BEGIN { printf "%.4f\n", e - s }')")
        b+=("$(secs "$DOCKER" build -q -t "$P-tree-df" "$WORK/tree/df")")
        steps=$(grep -c '^Step [0-9]*/' "$out")
        cached=$(grep -c 'Using cache' "$out")
        say "tree touched run $i: fuse ${f[-1]} s ($cached of $steps steps from the cache), docker build ${b[-1]} s"
    done
    F_MED=$(median "${f[@]}")
    B_MED=$(median "${b[@]}")
    r=$(ratio "$F_MED" "$B_MED")
    row "8d tree: one file changed" "$(fmt_s "$F_MED")" "$(fmt_s "$B_MED")" "$r" "-" "-"
    # ok when the tree's COPY ran and every step before it came from the
    # cache (Docker reruns every step after a changed one, as for COPY).
    local ran verdict
    ran=$(awk '/^Step [0-9]+\// { n++ } /Using cache/ { c[n] = 1 }
        /^Step [0-9]+\/[0-9]+ : COPY .*\.fuse\/trees\// { t = n }
        END { ok = t && !c[t]; for (i = 2; i < t; i++) if (!c[i]) ok = 0
              for (i = 2; i <= n; i++) if (!c[i]) r = r " " i
              print (ok ? "ok" : "MISSED") r }' "$out")
    verdict=${ran%% *}
    row "8e   steps run (last run, of $steps)" "${ran#* }" "-" "-" "tree's on" "$verdict"
    rm -rf "$WORK/tree"
}

# setup_multistage: examples/multistage as it is, and the Dockerfile a skilled
# person writes for it: the same builder stage, the binary, the pages with a
# .dockerignore for the same excludes, the configuration rendered by hand.
setup_multistage() {
    local src=$ROOT/examples/multistage df=$WORK/ms-df
    cp -r "$src" "$WORK/ms"
    mkdir -p "$df"
    cp -r "$src/src" "$src/www" "$df/"
    sed -e 's/{{ port }}/8080/' -e 's|{{ site.root }}|/srv/www|' -e 's/{{ site.name }}/multistage/' \
        "$src/site.conf.tmpl" >"$df/site.conf"
    printf 'www/drafts\nwww/**/*.bak\nwww/README.md\nwww/.fuseignore\n' >"$df/.dockerignore"
    cat >"$df/Dockerfile" <<'EOF'
FROM debian:bookworm AS builder
RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends gcc libc6-dev && apt-get clean && rm -rf /var/lib/apt/lists/*
COPY src /build/src
WORKDIR /build
RUN gcc -std=c11 -Os -static -s -o /build/site src/site.c

FROM fuse-test/busybox
COPY --from=builder /build/site /usr/local/bin/site
COPY www /srv/www
COPY site.conf /etc/site/site.conf
EXPOSE 8080
USER 65534:65534
CMD ["/usr/local/bin/site"]
HEALTHCHECK --interval=5s --timeout=3s --retries=3 CMD ["/usr/local/bin/site", "--check"]
EOF
}

case_multistage() {
    say "case 9: examples/multistage cold, $REPS_COLD runs each, against DOCKER_BUILDKIT=1 docker build"
    setup_multistage
    local i f=() b=() r
    for ((i = 1; i <= REPS_COLD; i++)); do
        # Not -q: the builder's image is untagged, and its ID (new with
        # --no-cache, so ours alone) is read from "fuse: built sha256:..."
        # to remove it at the end.
        f+=("$(cd "$WORK/ms" && secs_cold "$FUSE" --no-cache "site:tag=$P-ms-fuse")")
        b+=("$(DOCKER_BUILDKIT=1 secs_cold "$DOCKER" build -q --no-cache -t "$P-ms-df" "$WORK/ms-df")")
        say "multistage run $i: fuse ${f[-1]} s, DOCKER_BUILDKIT=1 docker build ${b[-1]} s"
    done
    sed -n 's/^fuse: built \(sha256:[0-9a-f]*\)$/\1/p' "$LOG" | xargs -r "$DOCKER" rmi >/dev/null 2>&1 || true
    F_MED=$(median "${f[@]}")
    B_MED=$(median "${b[@]}")
    r=$(ratio "$F_MED" "$B_MED")
    row "9 multi-stage cold (examples/multistage)" "$(fmt_s "$F_MED")" "$(fmt_s "$B_MED") (BuildKit)" \
        "$r" "<= 1.00" "$(verdict "$r" 1.00)"
    rm -rf "$WORK/ms" "$WORK/ms-df"
}

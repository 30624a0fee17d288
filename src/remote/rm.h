/* rm.h -- blueprints: a bundle applied to live hosts over SSH (docs/ARCHITECTURE.md,
 * fusefile(5) BLUEPRINTS).
 *
 * One `ssh` process per host (the system's OpenSSH client, so ~/.ssh/config,
 * the agent and known_hosts apply) carries everything: its remote command is
 * a small sh script (rm_ship.c) that says the host's architecture and whether
 * its cached fuse-apply matches, then unpacks one tar from stdin (fuse-apply
 * when needed, the bundle, its sources), runs fuse-apply, removes the
 * bundle. rm_apply.c runs up to -j hosts at once, each in a forked worker,
 * and prints one summary line per host. rm_host.c holds the text formats
 * (host words, the summary line) without I/O, so they can be fuzzed. */
#ifndef FUSE_RM_H
#define FUSE_RM_H

#include "bundle.h"
#include "fv.h"
#include "strbuf.h"

#include <stdio.h>

/* One word of hosts: "web1", "deploy@10.0.0.7:2222", "[fe80::1]:22". */
typedef struct rm_host {
    char *user; /* or NULL */
    char *name; /* host name, address or ssh_config alias, without brackets */
    char *port; /* digits, or NULL */
} rm_host;

/* Parses one host word. ssh would read a word starting with '-' as an option,
 * so neither the user nor the host may start with one; whitespace and
 * control characters are refused too. Returns 0, or -1 with the reason in
 * err ("\"-oProxyCommand=x\" is not a host: ..."). */
int rm_host_parse(const char *word, rm_host *h, strbuf *err);
void rm_host_free(rm_host *h);

/* Checks a blueprint's hosts option (a non-empty list of host words), and
 * its user (NULL: none). Return 0, or -1 with one line in err. */
int rm_hosts_check(const fv *hosts, strbuf *err);
int rm_user_check(const char *user, strbuf *err);

/* fuse-apply --summary's last line (ap.h, AP_SUMMARY_TAG). */
typedef struct rm_summary {
    unsigned long changed, same, total;
    strbuf failed; /* the failed resource's identity, empty when none failed */
    strbuf why;    /* its first error line */
} rm_summary;

/* Parses a line (without its newline). Returns 1 when it is a summary line,
 * filling s (whose strbufs are reset first), else 0. */
int rm_summary_parse(const char *line, size_t len, rm_summary *s);

/* What a blueprint run is told. */
typedef struct rm_opts {
    const fv *hosts;  /* FV_LIST of host words, checked */
    const char *user; /* login for hosts that name none, or NULL */
    int sudo;         /* sudo -n when the login is not root */
    int simulate;     /* fuse-apply --simulate */
    int verbose, quiet;
    unsigned jobs; /* hosts at once, >= 1 */
} rm_opts;

/* Applies b to every host. Streams "host: line" to out, then one summary line
 * per host. Returns 0, 1 (some host failed: err says how many and which) or
 * 130 (interrupted). */
int rm_apply(const rm_opts *o, const bundle *b, FILE *out, strbuf *err);

/* -n: what rm_apply would do, touching no host: the hosts, then the bundle
 * as fuse-apply would get it (a tree as one resource per entry, sources
 * named as they travel, sensitive contents redacted). Returns 0 or 2. */
int rm_dry_run(const rm_opts *o, const bundle *b, FILE *out, strbuf *err);

#endif

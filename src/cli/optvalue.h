/* optvalue.h -- the checks and CLI conversions of options.c's richer values:
 * tag lists, healthcheck, stopsignal (fusefile(5)). Internal to options.c,
 * which owns the table of options; split out to keep each file small.
 *
 * Every check returns 0, or -1 with one reason appended to err that starts
 * with the option's key ("healthcheck.interval: ..."), without the
 * "docker_container: " the declaration path puts in front. */
#ifndef FUSE_OPTVALUE_H
#define FUSE_OPTVALUE_H

#include "fv.h"
#include "strbuf.h"

#include <stdint.h>

/* tag: a string, or a non-empty list of strings (the first is the primary
 * tag); each a plain image reference. */
int opt_check_tags(const fv *v, strbuf *err);
/* CLI "app:1.4;app:latest": one item stays a string, several make a list. */
fv *opt_conv_tags(const char *value, strbuf *err);

/* healthcheck: false (HEALTHCHECK NONE) or { cmd = list|string, interval,
 * timeout, start_period = durations, retries = integer >= 1 }. */
int opt_check_health(const fv *v, strbuf *err);

/* stopsignal: a signal name ("SIGTERM", "term", "RTMIN+3") or number 1-64.
 * CLI: digits become a number, anything else stays a string. */
int opt_check_signal(const fv *v, strbuf *err);
fv *opt_conv_signal(const char *value, strbuf *err);

/* Splits s into words with POSIX-ish quoting: '...', "...", backslash (no
 * expansion). Appends each word to list. Returns 0, or -1 with the reason
 * appended to err (optwords.c). */
int opt_shell_words(const char *s, fv *list, strbuf *err);

/* A Go duration of the subset Docker's HEALTHCHECK takes: one or more
 * NUMBER UNIT pairs, units ms, s, m, h ("30s", "1m30s", "500ms"). Sets *ms
 * and returns 0, or -1 for anything else (a bare number, "1.5s", "", a
 * value over 2562047h). */
int opt_duration(const char *s, uint64_t *ms);

#endif

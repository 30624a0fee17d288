/* cli.h -- fuse's command line (fuse(1), fabric 1.x grammar).
 *
 *   fuse [OPTIONS] TASK[:KEY=VALUE[,KEY=VALUE...]] [TASK[:...] ...]
 *
 * ',' separates arguments, the first '=' separates key from value, ';'
 * separates list items (split later, by the option's type), and \, \= \; \\
 * escape. A key-less argument is an error. */
#ifndef FUSE_CLI_H
#define FUSE_CLI_H

#include "strbuf.h"
#include "strvec.h"

#include <stddef.h>

typedef struct cli_kv {
    char *key;
    /* Unescaped, except that "\;" and "\\" stay as typed, so a list can
     * still split on ';' (cli_split_list); cli_unescape gives a scalar's text. */
    char *value;
} cli_kv;

typedef struct cli_task {
    char *name;
    cli_kv *args;
    size_t nargs, args_alloc;
} cli_task;

typedef struct cli_opts {
    int list;           /* -l, --list */
    int shortlist;      /* --shortlist */
    char *display;      /* -d, --display TASK */
    char *fusefile;     /* -f, --fusefile PATH */
    int dry_run;        /* -n, --dry-run */
    int no_cache;       /* --no-cache */
    int plan;           /* --plan: what would be built, and why */
    int no_keep_failed; /* --no-keep-failed: no fuse-failed/TASK:STEP image */
    int pull;           /* --pull */
    int push;           /* --push */
    int verbose;        /* -v */
    int quiet;          /* -q */
    int version;        /* --version */
    int help;           /* -h, --help */
    unsigned timeout;   /* --timeout SECONDS, 0 = none */
    char *iidfile;      /* --iidfile FILE: the built image's ID goes there */
    int prune_caches;   /* --prune-caches: empty the tasks' caches instead of building */
    unsigned jobs;      /* -j, --jobs N: 0 = not given (one task after another) */
    strvec engines;     /* --engine URL-or-CONTEXT, repeated: where -j may build */
    char *host;         /* -H, --host URL: the engine */
    char *context;      /* --context NAME: the engine, a docker context */
    cli_task *tasks;
    size_t ntasks;
} cli_opts;

/* Parses argv. Returns 0, or 2 with one line in err naming the argument. */
int cli_parse(int argc, char **argv, cli_opts *o, strbuf *err);
/* Parses one "TASK:k=v,..." word. Returns 0 or 2 (err set). */
int cli_parse_task(const char *word, cli_task *t, strbuf *err);
/* Splits a list value on unescaped ';' and unescapes "\;" and "\\" in each
 * item. An empty value has no items; "a;" has two, the second empty. */
void cli_split_list(const char *value, void (*each)(const char *item, void *ud), void *ud);
/* A value as plain text, for options that are not lists: "\;" -> ";",
 * "\\" -> "\". Returns a new string. */
char *cli_unescape(const char *value);
void cli_task_free(cli_task *t);
void cli_opts_free(cli_opts *o);

#endif

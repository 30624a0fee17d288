/* taskfile.h -- the Lua host: loads task files and runs tasks (fusefile(5)).
 *
 * One lua_State holds every task file. Discovery walks up from the current
 * directory to the first one holding fusefile.lua or tasks/NAME.lua; fusefile.lua
 * loads first, then tasks/NAME.lua in name order, each in its own environment so
 * tasks of tasks/web.lua are named web.NAME. */
#ifndef FUSE_TASKFILE_H
#define FUSE_TASKFILE_H

#include "cli.h"
#include "strbuf.h"

#include <stdio.h>

typedef struct tf_host tf_host;

typedef struct tf_info {
    const char *name;        /* "app_server", "web.api" */
    const char *description; /* or NULL */
    const char *where;       /* "fusefile.lua:3" */
    int kind;                /* opt_kind: task, docker_container or blueprint */
} tf_info;

typedef struct tf_flags {
    int dry_run, verbose, quiet, no_cache, pull, push;
    const char *iidfile; /* --iidfile, or NULL */
    int plan;            /* --plan */
    int no_keep_failed;  /* --no-keep-failed */
    unsigned jobs;       /* -j N: hosts at once (0: 1) */
    int prune_caches;    /* --prune-caches: each build empties its task's caches instead */
} tf_flags;

/* Discovers (fusefile == NULL) or loads exactly fusefile. Returns 0, or 2
 * with one line in err: "fusefile.lua:12: ..." / "no fusefile.lua or tasks/ found
 * in /x or any parent directory". */
int tf_open(tf_host **out, const char *fusefile, strbuf *err);
void tf_close(tf_host *h);

/* Tasks sorted by name. */
size_t tf_count(const tf_host *h);
const tf_info *tf_get(const tf_host *h, size_t i);
const tf_info *tf_find(const tf_host *h, const char *name);

/* Appends the one message for a task name that names no task: 'unknown
 * task "x"', then "did you mean ..." or how to list them. Returns 2. */
int tf_unknown_task(const tf_host *h, const char *name, strbuf *err);

/* Checks a task word of the command line without running anything: the
 * task exists and its arguments are accepted. Returns 0, or 2 with err set
 * exactly as tf_run would set it. */
int tf_check(const tf_host *h, const cli_task *t, strbuf *err);

/* -d: prints the task's name, description, where, and accepted arguments. */
int tf_display(tf_host *h, const char *name, FILE *out, strbuf *err);

/* Runs one task with its CLI arguments. Returns 0, 1 (task failed), 2 (bad
 * arguments or task-file error) or 130 (interrupted), err set on non-zero. */
int tf_run(tf_host *h, const cli_task *t, const tf_flags *f, FILE *out, strbuf *err);

/* fuse -j: every task of the command line (names, or patterns such as
 * "web.*" matching docker_container tasks) and what they depend on, built
 * by up to o->jobs processes at once (jobs.c), ending with one summary line
 * per task. Returns 0, 1 (a task failed or was not started), 2 (a task
 * word or file is wrong) or 130, err set on non-zero. */
/* Whether -j means tf_jobs_run for these task words: not when one names a
 * blueprint (its -j is for its hosts, fusefile(5) BLUEPRINTS). */
int tf_jobs_applies(const tf_host *h, const cli_opts *o);
int tf_jobs_run(tf_host *h, const cli_opts *o, const tf_flags *f, FILE *out, strbuf *err);

#endif

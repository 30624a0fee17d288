/* jobs.h -- what the files of fuse -j (jobs.c, jobs_sum.c) share; not for
 * outside src/lua. */
#ifndef FUSE_LUA_JOBS_H
#define FUSE_LUA_JOBS_H

#include "graph.h"

#include <sys/types.h>

typedef enum tj_state {
    TJ_WAIT,     /* not started yet */
    TJ_RUN,      /* its child is building */
    TJ_BUILT,    /* built, iid known */
    TJ_UPTODATE, /* found up to date, iid known */
    TJ_FAILED,   /* its build failed, or was cancelled */
} tj_state;

typedef struct tj_job {
    tj_state state;
    pid_t pid;
    int fd;          /* the child's pipe, -1 once closed */
    int in_result;   /* past the NUL: the rest is the result */
    int signalled;   /* the cancel request was passed on */
    int cancelled;   /* failed because the run was cancelled */
    strbuf line;     /* output not ended by a newline yet */
    strbuf result;   /* the result record */
    strbuf status;   /* the last progress line, for the board */
    strbuf err;      /* a failure's message */
    const char *eng; /* where it builds: an engine name, or NULL for the environment's */
    double t0, secs;
} tj_job;

typedef struct tj_run {
    tf_graph *g;
    tj_job *jobs; /* one per node */
    unsigned max;
    size_t running;
    const strvec *engines; /* --engine */
    size_t *placed;        /* builds started on each --engine so far */
    int stop;              /* a build failed: start nothing new */
    FILE *out;
    int tty;
} tj_run;

/* On a terminal, the board: the status line of every running build. */
void tj_board(tj_run *r);
/* One whole line above the board (or in the log). */
void tj_print(tj_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One line per task, dependencies first; quiet keeps the failures only.
 * Returns how many did not end with an image. */
size_t tj_summary(tj_run *r, int quiet);
/* "failed: a, b; not started: c": the one error line of a failed run. */
void tj_failed_list(const tj_run *r, strbuf *err);

#endif

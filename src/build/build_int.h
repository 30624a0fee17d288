/* build_int.h -- what build.c shares with the other files of the build:
 * build_prog.c (the engine's events as progress and failure reports),
 * build_plan.c (--plan and -n) and secstep.c (a build whose steps with
 * secrets run in containers of their own is /build parts between them). */
#ifndef FUSE_BUILD_INT_H
#define FUSE_BUILD_INT_H

#include "build.h"
#include "dialect.h"
#include "docker.h"
#include "dockerfile.h"
#include "plan.h"

#include <stdio.h>

/* Which part of a build: the first pulls and clears --iidfile; the last is
 * tagged, reported and pushed; one before the last leaves its image's ID
 * in image. */
typedef struct build_part {
    int first, last;
    strbuf *image;
    const char *plan_label; /* the last part's fuse.plan label (plan.h), or NULL */
    /* The first part's base is not on the engine (build_base could not pull
     * it): the build pulls it, on the builder credentials reach. */
    int base_missing;
} build_part;

/* Output kept per step for the error report: the tail is what explains a
 * failure, so older output is dropped beyond this (build_keep_tail). */
#define BUILD_OUT_KEEP (64 * 1024)
/* Drops the head of out beyond BUILD_OUT_KEEP, before more is added. */
void build_keep_tail(strbuf *out);

/* One build's progress, as build_prog.c follows the engine's events. */
typedef struct build_prog {
    const bundle *b;
    const dockerfile *d;
    const build_flags *f;
    FILE *out;
    long step;        /* the engine's current instruction, 0-based; -1 before the first */
    long nsteps;      /* how many instructions */
    long shown;       /* resource last announced, or -1 */
    strbuf step_text; /* the current instruction as the engine printed it */
    strbuf step_out;  /* what the current step printed (the payload's output) */
    strbuf error;     /* the engine's error message, if any */
    int code;         /* the failed command's exit status, or -1 */
    strbuf image_id;  /* "sha256:..." */
    strbuf layer;     /* the image the last finished step left, or "" */
} build_prog;

/* The engine's events (dialect.h) for a build_prog: progress lines, the
 * payload's output kept for the report, the image and layers built. */
void build_on_event(const dk_event *e, void *ud);
/* -v: which builder runs the build, and why. */
void build_on_builder(const char *name, const char *why, int fallback, void *ud);
/* DockerBuilder's raw messages, passed on to its callback. */
void build_on_msg(const dk_msg *m, void *ud);
/* The failure report of the build p followed, msg the engine's error. */
void build_failure(build_prog *p, const char *msg, strbuf *err);
void build_prog_free(build_prog *p);
/* The resource whose step p is in, or -1. */
long build_cur_res(const build_prog *p);
/* A resource's identity: "File[/index.html]". */
void build_res_ident(const bundle_res *r, strbuf *out);
/* The keys of d on base (plan.h), into p. A BUILD_* status. */
int build_keys(const bundle *b, const dockerfile *d, const dk_image_info *base,
               const build_flags *f, plan *p, strbuf *err);

/* Builds part dp of b through /build on a base whose USER is user (NULL:
 * root). Returns a BUILD_* status with err set on failure. */
int build_part_run(dk_client *dk, const fv *opts, const char *user, const bundle *b,
                   const df_part *dp, const build_flags *f, const build_part *part, FILE *out,
                   strbuf *err);
/* "File[/index.html]" -> "File /index.html", for progress lines. */
void build_res_label(const bundle_res *r, strbuf *out);
/* The failure report of resource res's step, as for a /build step: code is
 * fuse-apply's exit status, output what the step printed. */
void build_step_failed(const bundle *b, long res, const char *output, int code, strbuf *err);

/* secstep.c: builds b, whose units listing secrets run as containers (see
 * secstep.c), on a base whose USER is user (base_missing as build_part's);
 * the final image gets the plan label plan_label (plan.h). */
int ss_build(dk_client *dk, const fv *opts, const char *user, int base_missing, const bundle *b,
             const build_flags *f, const char *plan_label, FILE *out, strbuf *err);

#endif

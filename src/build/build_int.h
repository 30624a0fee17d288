/* build_int.h -- what build.c shares with secstep.c: a build whose steps
 * with secrets run in containers of their own is /build parts between
 * them. */
#ifndef FUSE_BUILD_INT_H
#define FUSE_BUILD_INT_H

#include "build.h"
#include "docker.h"
#include "dockerfile.h"

/* Which part of a build: the first pulls and clears --iidfile; the last is
 * tagged, reported and pushed; one before the last leaves its image's ID
 * in image. */
typedef struct build_part {
    int first, last;
    strbuf *image;
    const char *plan_label; /* the last part's fuse.plan label (plan.h), or NULL */
} build_part;

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
 * secstep.c), on a base whose USER is user; the final image gets the plan
 * label plan_label (plan.h). */
int ss_build(dk_client *dk, const fv *opts, const char *user, const bundle *b, const build_flags *f,
             const char *plan_label, FILE *out, strbuf *err);

#endif

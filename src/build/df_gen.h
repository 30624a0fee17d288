/* df_gen.h -- the Dockerfile generator's shared state, between dockerfile.c
 * (the steps of the resources) and df_words.c (quoting, and the
 * instructions that come from options: FROM, ENV, USER, VOLUME, ...). */
#ifndef FUSE_DF_GEN_H
#define FUSE_DF_GEN_H

#include "dockerfile.h"

typedef struct df_gen {
    dockerfile *d;
    size_t cap_steps, cap_blobs, cap_trees;
    int watches; /* some resource of the bundle watches another */
    /* The task's caches (a list of paths) mounted in every resource step,
     * keyed by cache_key; NULL when the builder cannot mount them. */
    const fv *caches;
    const char *cache_key;
} df_gen;

/* Records that the instruction about to be written belongs to resource res
 * (-1: to no resource). */
void df_step(df_gen *g, long res);

/* FROM, then USER root when the steps would otherwise not run as root. */
int df_from(df_gen *g, const fv *opts, const char *base_user, strbuf *err);
int df_env(df_gen *g, const fv *env, strbuf *err);
/* What comes after the steps: VOLUME, EXPOSE, LABEL, USER, WORKDIR,
 * ENTRYPOINT, CMD, HEALTHCHECK, STOPSIGNAL. */
int df_metadata(df_gen *g, const fv *opts, const char *base_user, strbuf *err);

#endif

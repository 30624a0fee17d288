/* df_stages.h -- artifacts from other images: the multi-stage part of the
 * Dockerfile (File/Directory { from = ..., source = ... }). */
#ifndef FUSE_DF_STAGES_H
#define FUSE_DF_STAGES_H

#include "bundle.h"
#include "strbuf.h"

/* The stage number (1-based) of resource i's `from`: the order in which
 * distinct images first appear in the bundle. 0 when it has none. */
long df_stage_of(const bundle *b, size_t i);
/* Appends "FROM <image> AS fuse-from-N", N = df_stage_of(b, i). Returns 0,
 * or -1 with err set when the image is no valid reference. */
int df_stage_line(const bundle *b, size_t i, strbuf *t, strbuf *err);
/* Appends resource i's "COPY --from=fuse-from-N [--chown=U:G] [src, dest]".
 * Returns 0, or -1 with err set. */
int df_from_step(const bundle *b, size_t i, strbuf *t, strbuf *err);

#endif

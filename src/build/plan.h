/* plan.h -- what the last build of a task recorded, and what changed since
 * (fuse(1), --plan; docs/ARCHITECTURE.md).
 *
 * Each build labels its image with the key of every resource step and the
 * task's whole key (PLAN_LABEL). A step's key covers the Dockerfile lines
 * of the resource (its canonical JSON), the hash of its source's contents
 * and of each of its fields; the task's key covers those, the options'
 * lines before and after the steps, the base image's ID, fuse-apply's
 * bytes and the task's cache key (build_flags.cache_key). The label holds
 * hashes only, versioned:
 *
 *   1 W=WHOLE64 B=BASEID64 T=8 P=8 O=8 M=8 S=STEP;STEP;...
 *   STEP = KEY16,TYPE4,SRC8|-,FIELDS   FIELDS = IDX:HASH6.IDX:HASH6... | -
 *
 * (IDX a field's index in its type's table, restype.c). A label of another
 * version, or malformed anywhere, is no label: every step is "never built"
 * and nothing is up to date. */
#ifndef FUSE_PLAN_H
#define FUSE_PLAN_H

#include "bundle.h"
#include "dockerfile.h"
#include "hashcache.h"
#include "sha256.h"
#include "strbuf.h"

#include <stdio.h>

#define PLAN_LABEL "fuse.plan"
#define PLAN_VERSION "1"

typedef struct plan_step {
    char key[17];  /* hex */
    char type[5];  /* hex of the type name's hash */
    char src[9];   /* hex of the source's contents hash, or "-" */
    strbuf fields; /* "IDX:HASH.IDX:HASH", or "-" */
    size_t unit;   /* the first resource of its Dockerfile step (not in the label) */
} plan_step;

typedef struct plan {
    plan_step *steps; /* one per resource */
    size_t n;
    char t[9], p[9], o[9], m[9]; /* task key, payload, options before, after */
    strbuf base;                 /* the base image's ID without "sha256:", or "" */
    char whole[SHA256_HEX + 1];
    long no_cache; /* the first resource with cache = false, or -1 */
} plan;

/* The keys of d (generated for b) on the base image base_id (NULL or "":
 * not known), for the task named by task_key. Sources are hashed through
 * hc. Returns 0, or -1 with one line in err (a source cannot be read). */
int plan_compute(plan *p, const bundle *b, const dockerfile *d, const char *base_id,
                 const char *task_key, hc_cache *hc, strbuf *err);
/* plan_label.c: parses a label's value into p; -1 (p left empty) when it is not one of
 * this version, whole and well-formed. */
int plan_parse(plan *p, const char *label);
void plan_free(plan *p);
/* The label's value for p. */
void plan_label(const plan *p, strbuf *out);
/* 1 when the image labelled label is what p would build: same whole key,
 * and no resource has cache = false. */
int plan_fresh(const plan *p, const char *label);
/* The plan's lines: one per resource ("[2/3] File /x: build: fields
 * changed: mode"), then the image's settings, each prefixed by lead. */
void plan_print(const plan *now, const char *label, const bundle *b, const char *lead, FILE *out);

#endif

/* dockerfile.h -- the generated Dockerfile of a docker_container task.
 *
 * One instruction per resource, so Docker's layer cache reuses every
 * unchanged prefix:
 *
 *   FROM debian:bookworm
 *   USER root                                  (only when the base's USER is
 *                                               not root, or the task sets user)
 *   ENV A="1" B="2"
 *   COPY fuse /.fuse/                          (fuse-apply, and the cache key)
 *   RUN ["/.fuse/fuse-apply","--no-changes-ok","--state","/.fuse/state","--json","{...}"]
 *   COPY .fuse/blobs/3 /.fuse/blobs/3          (a File with a source)
 *   RUN [... "{\"File\":{\"name\":\"/y\",\"source\":\"/.fuse/blobs/3\"}}"]
 *   COPY .fuse/steps/4 /.fuse/steps/4          (contents that cannot go on a line,
 *   RUN [... "/.fuse/steps/4/bundle.json"]      or a batch of resources)
 *   RUN ["/.fuse/fuse-apply","--cleanup","/.fuse"]
 *   VOLUME, EXPOSE, LABEL, USER, WORKDIR, ENTRYPOINT, CMD
 *
 * Exec form everywhere; every value is escaped for the instruction that
 * holds it, so no resource field or option is ever interpreted by a shell or
 * by Dockerfile variable expansion. */
#ifndef FUSE_DOCKERFILE_H
#define FUSE_DOCKERFILE_H

#include "bundle.h"
#include "fv.h"
#include "strbuf.h"

/* File contents above this size travel in a bundle file, not inline. */
#define DF_INLINE_MAX (16 * 1024)

/* The context directory copied to /.fuse by the first step: fuse-apply, and
 * "key", which names the task. The classic builder reuses the newest child
 * of an image whose instruction and files match: without the key every
 * task's first step would be one shared layer, and a --no-cache build of
 * one task would make that layer new and every other task miss its cache. */
#define DF_PAYLOAD_DIR "fuse"

/* A file of the build context besides the Dockerfile and fuse-apply: the
 * bundle file of a step (in memory, owned) or the source of a File (on
 * disk, streamed when the context is sent). */
typedef struct df_blob {
    char *name;       /* ".fuse/blobs/3" (context path; in the image under "/") */
    const char *data; /* borrowed in-memory contents, or NULL */
    size_t len;
    char *path;    /* absolute path on the host, or NULL */
    char *own;     /* data owned by the blob (a batch's bundle), or NULL */
    unsigned mode; /* of its tar entry */
} df_blob;

/* A Directory with a source: its tree goes into the context under dir (see
 * dockerfile_tree.c); what it holds is only known when the context is
 * written (tree.c), the step only names it. */
typedef struct df_tree {
    size_t res;         /* the resource's index in the bundle */
    char *dir;          /* ".fuse/trees/N": holds the tree as base */
    char *base;         /* the last component of the Directory's name */
    const char *source; /* the tree on the host (borrowed from the bundle) */
    const fv *exclude;  /* borrowed, or NULL */
    unsigned mode;      /* of the top directory */
} df_tree;

typedef struct dockerfile {
    strbuf text;    /* the Dockerfile */
    df_blob *blobs; /* in step order */
    size_t nblobs;
    df_tree *trees; /* in step order */
    size_t ntrees;
    long *step_res; /* instruction index (0-based) -> resource index, or -1 */
    size_t nsteps;  /* number of instructions */
    int payload;    /* it copies DF_PAYLOAD_DIR: the context must hold it */
} dockerfile;

/* A part of the build, for a bundle whose steps with secrets run outside
 * it (secstep.c): resources [from, to) of the bundle. The first part
 * (from_id NULL) starts as the whole Dockerfile does; a later one starts
 * FROM from_id, the image of the step before, and, when entrypoint is set,
 * gives the image that ENTRYPOINT (unless "") and CMD again (JSON arrays;
 * "" for none, CMD []). Only the last has the cleanup and the options'
 * instructions. */
typedef struct df_part {
    size_t from, to;
    const char *from_id;
    const char *entrypoint, *cmd;
    int last;
    /* The last part's one extra label (name and value of safe characters:
     * secstep.c's record of its steps), or NULL. */
    const char *label, *label_value;
    /* Not NULL: the task's caches option is mounted in every resource step
     * (RUN --mount=type=cache, which only BuildKit and Podman read) under
     * ids made from this key (df_cache_id). */
    const char *cache_key;
} df_part;

/* Generates the Dockerfile of opts (the options of fusefile(5), as merged
 * by opt_merge) and b, on a base image whose config says USER base_user
 * (NULL: root, or not known). Returns 0, or -1 with one line in err naming
 * the option or resource whose value a Dockerfile cannot hold (a newline in
 * an ENV value...). */
int df_generate_on(const fv *opts, const char *base_user, const bundle *b, dockerfile *out,
                   strbuf *err);
/* The Dockerfile of part p of b (df_generate_on is the whole as one part). */
int df_generate_part(const fv *opts, const char *base_user, const bundle *b, const df_part *p,
                     dockerfile *out, strbuf *err);
/* The engine's name of a task's cache: "fuse-cache-" and 16 hex digits
 * from the task's cache key and the cache's path, appended to out. */
void df_cache_id(const char *key, const char *path, strbuf *out);
/* df_generate_on with base_user NULL. */
int df_generate(const fv *opts, const bundle *b, dockerfile *out, strbuf *err);
/* 1 when the Dockerfile depends on the base image's USER: the task does not
 * set user (when it does, the steps run as root and the image ends as that
 * user whoever the base's USER is). */
int df_base_user_needed(const fv *opts);
void df_free(dockerfile *d);
/* The first resource with cache = false, or -1. Before its step the
 * Dockerfile declares ARG DF_BUST_ARG: a build giving it a value no build
 * had makes that step and every later one miss the cache. */
long df_first_no_cache(const bundle *b);
#define DF_BUST_ARG "FUSE_CACHE_BUST"
/* Appends LABEL "key"="value" (UTF-8 without NUL or newline, as a label
 * of plan.h is) as one more instruction of no resource. */
void df_add_label(dockerfile *d, const char *key, const char *value);

/* Appends s (len bytes) as a JSON string literal. s must be valid UTF-8
 * without NUL. */
void df_json_str(strbuf *out, const char *s, size_t len);
/* Appends list (an FV_LIST of such strings) as a JSON array. */
void df_json_list(strbuf *out, const fv *list);
/* 1 when s is valid UTF-8 (fvjson's check) without NUL bytes: what a
 * Dockerfile line can hold. */
int df_utf8_ok(const char *s, size_t len);

/* Where the unit (a resource, or the consecutive resources of one layer)
 * starting at i ends. */
size_t df_unit_end(const bundle *b, size_t i);
/* 1 when some resource of [from, to) lists secrets. */
int df_unit_secrets(const bundle *b, size_t from, size_t to);
/* 1 when a File's data cannot go on a Dockerfile line (a source, sensitive,
 * large or binary contents): it travels in the context. */
int df_needs_blob(const bundle_res *r);
/* The start of every resource step's fuse-apply command line. */
struct strvec;
void df_apply_argv(int watches, struct strvec *argv);

/* Shared by the dockerfile*.c files. */
/* Backslash-escapes every byte of s found in set (for the Dockerfile lexer). */
void df_escape(strbuf *out, const char *s, size_t len, const char *set);
/* 1 when an owner or group can be written in COPY --chown=U:G. */
int df_chown_id_ok(const fv *v);
/* Appends an owner or group for --chown (0 when v is NULL). */
void df_chown_id(strbuf *t, const fv *v);
/* 1 when COPY can write to name as a path of that very name. */
int df_copy_dest_ok(const char *name, size_t len);
/* 1 when some resource of b watches r (an item of b). */
int df_is_watched(const bundle *b, const bundle_res *r);
/* Checks an image reference for FROM; what names it in the message. */
int df_image_ok(const char *what, const fv *v, strbuf *err);

/* dockerfile_tree.c: a Directory with a source (a tree). */
int df_is_tree(const bundle_res *r);
/* Appends the tree's COPY to d->text and the tree to d->trees (alloc is
 * its capacity). Returns 0, or -1 with one line in err. */
int df_tree_step(dockerfile *d, size_t *alloc, const bundle *b, size_t i, strbuf *err);
void df_tree_free(dockerfile *d);

#endif

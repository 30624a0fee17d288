/* build.h -- from a docker_container task's options and bundle to an image.
 *
 * The Lua host (taskfile.c) collects the options (an FV_MAP of the keys
 * fuse(1), DOCKER_CONTAINER OPTIONS, lists: from_image, tag, env, volumes,
 * ports, cmd, maintainer, entrypoint, user, workdir, labels, no_cache) and
 * the bundle, then hands both here. Relative File.source paths are already
 * absolute. */
#ifndef FUSE_BUILD_H
#define FUSE_BUILD_H

#include "bundle.h"
#include "cancel.h"
#include "fv.h"
#include "strbuf.h"

#include <stdio.h>

typedef struct build_flags {
    int verbose;         /* -v: the engine's full output */
    int quiet;           /* -q: errors only */
    int no_cache;        /* --no-cache, or opts.no_cache */
    const char *iidfile; /* --iidfile: the image ID is written there, or NULL */
    int pull;            /* --pull (opts.pull is read by build_run itself) */
    int push;            /* --push, or opts.push: every tag pushed after the build */
    /* Names what is built (project and task): builds with different keys
     * never share their first layer, so one's --no-cache build leaves the
     * other's cache alone. NULL: "". */
    const char *cache_key;
    /* When set, every JSON message of Docker's response stream is passed
     * here as it arrives (DockerBuilder:build() collects them). */
    void (*on_chunk)(const char *json, size_t len, void *ud);
    void *ud;
    strbuf *iid; /* when set, gets the built image's ID ("sha256:...") */
    /* The values of the task's secrets (resources name them in their
     * secrets field; see secstep.h), or NULL. */
    const struct sec_set *secrets;
    /* The task's name: a failed step's state is kept as
     * fuse-failed/NAME:STEP. NULL, or no_keep_failed, keeps nothing. */
    const char *task;
    int no_keep_failed; /* --no-keep-failed */
    /* -j: the task's name, put in each progress head ("[api 2/7]"); NULL
     * for "[2/7]". */
    const char *label;
    /* When set, build_run sets it to 1 when it found the image up to date
     * and sent no build (the summary of -j then says "up to date"). */
    int *uptodate;
} build_flags;

/* Exit statuses of build_run(). */
enum {
    BUILD_OK = FUSE_EXIT_OK,
    BUILD_FAILED = FUSE_EXIT_FAILED,
    BUILD_INTERRUPTED = FUSE_EXIT_INTERRUPTED
};

/* Builds the image. Progress goes to out; on failure a one-line error
 * (without the "fuse: " prefix) is left in err, detail on following lines.
 * The tags (opts.tag, a string or a list) are only moved by a successful
 * build, all of them. */
int build_run(const fv *opts, const bundle *b, const build_flags *f, FILE *out, strbuf *err);

/* 1 when the first tag's image is what build_run would build (the keys
 * of plan.h recorded on it are the build's, no resource has cache =
 * false): its ID ("sha256:...") is appended to iid. 0 otherwise, also when
 * the engine cannot say. build_run makes the same check before it builds
 * (but with --no-cache) and then prints "fuse: TAG is up to date (ID)". */
int build_up_to_date(const fv *opts, const bundle *b, const build_flags *f, strbuf *iid,
                     strbuf *err);

/* --plan: the tags, the base image and its ID, then one line per resource
 * saying whether its step is cached or why it would run (plan.h), each
 * line prefixed by lead. Builds nothing, pulls nothing. */
int build_plan(const fv *opts, const bundle *b, const build_flags *f, const char *lead, FILE *out,
               strbuf *err);

/* The i-th tag of opts: opts.tag is one string or a list whose first is
 * the primary. NULL past the last (and for an empty string: no tag). */
const char *build_tag(const fv *opts, size_t i);
/* Prints every tag of opts, joined with ", " (nothing when there is none). */
void build_print_tags(FILE *out, const fv *opts);

/* -n: writes exactly the Dockerfile the build would send, then the bundle
 * JSON (sensitive contents redacted), then one line per tree (Directory
 * with a source) with what it copies; verbose lists every entry too.
 * Touches nothing. */
/* --prune-caches: empties the task's caches on the engine (a BuildKit
 * build mounting them, FROM scratch, that runs fuse-apply --empty; its
 * image is removed). Prints one line; a task without caches, or a classic
 * builder (which keeps none), has nothing to prune. */
int build_prune_caches(const fv *opts, const build_flags *f, FILE *out, strbuf *err);

int build_dry_run(const fv *opts, const bundle *b, int verbose, FILE *out, strbuf *err);

#endif

/* dkbuild.h -- one image build on the engine, reported as typed events.
 *
 * The build (src/build/build.c) says what to build: the tar context, the
 * tag, whether to use the cache. This module turns that into the engine's
 * request (POST /build and its query) and the engine's answer into
 * dialect.h's events, so no engine grammar leaves src/engine/. */
#ifndef FUSE_DKBUILD_H
#define FUSE_DKBUILD_H

#include "dialect.h"
#include "docker.h"
#include "strbuf.h"

/* Which builder runs a build. */
typedef enum dkb_builder { DKB_CLASSIC, DKB_BUILDKIT } dkb_builder;

/* What the builder is chosen from: the engine and DOCKER_BUILDKIT. */
typedef struct dkb_engine {
    int podman;      /* the engine is Podman: its compat API has no BuildKit */
    const char *api; /* the settled API version, "1.41" */
    int containerd;  /* the engine keeps images in containerd's store */
    const char *env; /* DOCKER_BUILDKIT, NULL when unset */
    int raw;         /* the caller reads the messages themselves (on_msg) */
    int by_id;       /* the Dockerfile names a local image by its ID (dkb_names_id) */
} dkb_engine;

/* The docker CLI's rule: DOCKER_BUILDKIT=1 or 0 (any of Go's booleans)
 * decides; unset, BuildKit where the engine has it (API 1.39 or newer).
 * Podman always gets the classic request, which is what its compat API
 * implements. A caller reading the engine's messages itself
 * (DockerBuilder:build()) gets the classic builder's, which fusefile(5)
 * documents, unless DOCKER_BUILDKIT=1 asks for BuildKit's trace.
 * BuildKit on containerd's image store refuses a build
 * without a session (a tar body), so it falls back to classic as well.
 * Returns the builder with why (a phrase for -v) and fallback set when the
 * user's BuildKit could not be had; -1 with one line in err for a
 * DOCKER_BUILDKIT that is no boolean. */
int dkb_choose(const dkb_engine *e, dkb_builder *b, const char **why, int *fallback, strbuf *err);

/* What dkb_select settled: the builder, why (a phrase for -v), fallback
 * (BuildKit was wanted and cannot be had), the engine's API version. */
typedef struct dkb_choice {
    dkb_builder builder;
    const char *why;
    int fallback;
    const char *api;
    int mounts; /* RUN --mount=type=cache works: BuildKit, or Podman's builder */
    int asked;  /* DOCKER_BUILDKIT chose the builder, not the engine's default */
} dkb_choice;

/* The build must pull an image the engine lacks. BuildKit without a
 * session is handed no registry credentials (X-Registry-Config is read by
 * the classic builder only), so a private base would not pull: ch becomes
 * the classic builder, unless DOCKER_BUILDKIT asked for BuildKit. */
void dkb_for_pull(dk_client *c, dkb_choice *ch);

/* Asks the engine (API version, image store) and chooses with dkb_choose
 * for dockerfile (NULL: none yet); raw: the caller reads the engine's
 * messages itself. -1 with one line in err, -2 when interrupted. */
int dkb_select(dk_client *c, int raw, const char *dockerfile, dkb_choice *ch, strbuf *err);

/* 1 when the Dockerfile builds FROM (or copies --from) a local image by its
 * ID, "sha256:...": a task dependency does. BuildKit on Docker's graph
 * driver store looks such a name up in a registry. */
int dkb_names_id(const char *dockerfile);

/* The builder a build on c would use, as "BuildKit (why)", for fuse
 * --version -v. -1 with one line in err when the engine cannot be asked. */
int dkb_describe(dk_client *c, strbuf *out, strbuf *err);

/* Told which builder a build uses, before it starts: name "BuildKit" or
 * "classic", why a phrase, fallback 1 when BuildKit was wanted but the
 * engine cannot run it (worth a line even without -v). */
typedef void (*dkb_builder_fn)(const char *name, const char *why, int fallback, void *ud);

typedef struct dkb_request {
    const char *dockerfile;    /* the Dockerfile in the context, for BuildKit's step numbers */
    dkb_builder_fn on_builder; /* optional */
    /* The builder dkb_select chose for the Dockerfile (its cache mounts
     * depend on it); NULL: dkb_build chooses. */
    const dkb_choice *choice;
    const char *const *tags; /* the image's new names, NULL-terminated; NULL for none */
    int no_cache;
    int pull; /* look for a newer base image first */
    /* The build arguments as a JSON object ({"A":"1"}), or NULL. */
    const char *buildargs;
    dk_read_fn read; /* the tar context, pulled as it is sent */
    void *read_ud;
    dk_event_fn on_event; /* every event of the build, in order */
    void *ud;
    /* Optional: each message of the engine's stream as well, as it came
     * (DockerBuilder:build() hands Docker's messages to Lua). */
    dk_msg_fn on_msg;
    void *msg_ud;
} dkb_request;

/* Appends the query of r's request, URL-encoded:
 * "rm=1&forcerm=1&t=x%3A1&t=x%3Alatest&nocache=1&pull=1". rm/forcerm: no
 * container is left behind, even by a failed step. Docker applies every
 * t= only when the build succeeds: a failed build moves none. */
void dkb_query(const dkb_request *r, strbuf *q);

/* Builds on c. Returns 0 when the engine reported no error, -1 with one
 * line in err otherwise (the DK_EV_ERROR event's text when the engine sent
 * one, else the transfer's error: "Docker: <message>", a lost connection),
 * -2 when interrupted (a cancel request, cancel.h). */
int dkb_build(dk_client *c, const dkb_request *r, strbuf *err);

#endif

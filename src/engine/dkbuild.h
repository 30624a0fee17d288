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

typedef struct dkb_request {
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

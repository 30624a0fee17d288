/* dkstream.h -- the incremental parser of Docker's JSON response stream.
 *
 * Docker answers POST /build (and /images/create, /images/push) with a
 * stream of JSON objects, one per message, e.g.
 *   {"stream":"Step 1/2 : FROM busybox\n"}
 *   {"aux":{"ID":"sha256:..."}}
 *   {"errorDetail":{"message":"..."},"error":"..."}
 * Objects arrive split across network reads and several in one read, with
 * whitespace between them. dks_feed() takes the bytes as they come (yajl's
 * incremental parser, yajl_allow_multiple_values) and calls on_msg once per
 * complete top-level object, with its exact bytes and the fields of
 * interest. Memory is bounded by the largest single object (capped at
 * DKS_MAX_OBJECT). Separate from docker.c so it can be tested and fuzzed
 * alone. */
#ifndef FUSE_DKSTREAM_H
#define FUSE_DKSTREAM_H

#include "docker.h"
#include "strbuf.h"

#include <stddef.h>

/* A single message larger than this is treated as a broken stream. */
#define DKS_MAX_OBJECT (64u << 20)

typedef struct dks dks;

dks *dks_new(dk_msg_fn on_msg, void *ud);
void dks_free(dks *s);

/* Parses the next len bytes. Returns 0, or -1 with "bad JSON from Docker: ..."
 * in err; after an error every further call fails the same way. */
int dks_feed(dks *s, const char *data, size_t len, strbuf *err);

/* The stream ended: -1 with a message when it stopped inside an object. */
int dks_finish(dks *s, strbuf *err);

/* Lowers the cap on one message's size (DKS_MAX_OBJECT by default). */
void dks_set_limit(dks *s, size_t max);

/* How many messages were delivered so far. */
size_t dks_count(const dks *s);

#endif

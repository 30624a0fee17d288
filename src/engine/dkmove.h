/* dkmove.h -- an image moved from one engine to another by the engine API
 * (fuse -j, when a task needs an image built on another engine). */
#ifndef FUSE_DKMOVE_H
#define FUSE_DKMOVE_H

#include "strbuf.h"

/* Makes the image id ("sha256:...") that the engine named from has (NULL:
 * the environment's, ep_engine.h) present on engine to (the same), with the
 * same ID and no tag: GET /images/{id}/get there streamed into POST
 * /images/load here, in bounded memory. Does nothing when to already has
 * it. Returns 1 when it moved it, 0 when it was there, -1 with one line in
 * err, -2 when interrupted. Changes this process's engine to "to". */
int dkm_move(const char *id, const char *from, const char *to, strbuf *err);

#endif

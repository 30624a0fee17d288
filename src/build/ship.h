/* ship.h -- registries around a build: the credentials a build sends so
 * the engine can pull private base images, and the push of every tag of a
 * task after a successful build (fuse(1) SHIPPING). */
#ifndef FUSE_SHIP_H
#define FUSE_SHIP_H

#include "build.h"
#include "docker.h"
#include "fv.h"
#include "strbuf.h"

#include <stdio.h>

/* Before a build with push: every tag must name a registry (its first
 * component has a '.' or a ':' or is localhost), since the engine would
 * send one without to Docker Hub. Returns 0, or -1 with one line and a hint
 * in err. */
int ship_check(const fv *opts, strbuf *err);

/* Gives the next build every credential fuse can find (X-Registry-Config).
 * Returns 0, or -1 with one line in err (a malformed config.json, a failing
 * credential helper). Secrets never reach err. */
int ship_build_auth(dk_client *dk, strbuf *err);

/* Pushes every tag of opts, printing progress per layer and
 * "fuse: pushed REPO:TAG@sha256:..." per tag. Returns BUILD_OK, BUILD_FAILED
 * with "cannot push REF to REGISTRY: REASON" (and Docker's message on the
 * next line) in err, or BUILD_INTERRUPTED. */
int ship_push(dk_client *dk, const fv *opts, const build_flags *f, FILE *out, strbuf *err);

#endif

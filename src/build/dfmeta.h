/* dfmeta.h -- the HEALTHCHECK and STOPSIGNAL instructions of a
 * docker_container's options (fusefile(5)); used by dockerfile.c. */
#ifndef FUSE_DFMETA_H
#define FUSE_DFMETA_H

#include "fv.h"
#include "strbuf.h"

#include <stddef.h>

/* Appends the HEALTHCHECK and STOPSIGNAL lines that opts ask for to t and
 * sets *n to how many instructions it wrote. Returns 0, or -1 with one line
 * in err naming the option whose value a Dockerfile cannot hold. The values
 * were checked by options.c; this rechecks only what the text needs. */
int df_meta(strbuf *t, const fv *opts, size_t *n, strbuf *err);

#endif

/* ep_engine.h -- the engine names of -j: a task's engine = "..." and each
 * --engine of the command line.
 *
 * The one place that turns such a name into "the engine of this process":
 * a -j build runs in a process of its own, which calls ep_engine_use()
 * before its first request, so everything below (endpoint.c, docker.c)
 * settles the engine as it always does. A name is a URL or a docker
 * context's name (endpoint.h). */
#ifndef FUSE_EP_ENGINE_H
#define FUSE_EP_ENGINE_H

#include "strbuf.h"

/* Whether name can name an engine. Returns 0, or -1 with one line in err. */
int ep_engine_check(const char *name, strbuf *err);
/* Makes name (checked) this process's engine, as -H URL or --context NAME
 * would; NULL makes it the engine of the command line and environment
 * again. */
void ep_engine_use(const char *name);

#endif

/* ep_engine.c -- an engine name of -j as this process's engine (ep_engine.h). */
#include "ep_engine.h"

#include "endpoint.h"

#include <string.h>

int ep_engine_check(const char *name, strbuf *err)
{
    /* The engine it names must be one fuse can reach: a URL it speaks, or
     * a docker context that exists. */
    ep_endpoint e;
    memset(&e, 0, sizeof e);
    int rc = ep_resolve(&e, name, "engine", err);
    ep_release(&e);
    return rc;
}

/* The command line's own -H / --context, kept at the first change so that
 * NULL can bring them back (a process moving an image from the run's
 * engine to a named one needs both). */
static const char *ep_orig_host, *ep_orig_context;
static int ep_did_save;

void ep_engine_use(const char *name)
{
    if (!ep_did_save) {
        ep_get_cli(&ep_orig_host, &ep_orig_context);
        ep_did_save = 1;
    }
    if (!name)
        ep_set_cli(ep_orig_host, ep_orig_context);
    else if (strstr(name, "://"))
        ep_set_cli(name, NULL); /* as -H: before DOCKER_HOST and contexts */
    else
        ep_set_cli(NULL, name); /* as --context */
}

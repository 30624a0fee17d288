/* graph.h -- the task graph of deps.c, shared with the scheduler of -j
 * (jobs.c); not for outside src/lua.
 *
 * A node is a docker_container task with its effective options and, once
 * its generator ran, its bundle. deps[] are the nodes it names (from_image,
 * a resource's from); order[] lists every node dependencies first. */
#ifndef FUSE_LUA_GRAPH_H
#define FUSE_LUA_GRAPH_H

#include "host.h"
#include "secsrc.h"

typedef struct tf_node {
    tf_obj *obj;
    int oref;  /* registry reference to the task object */
    int bref;  /* registry reference to its bundle, once generated */
    fv *args;  /* the effective options */
    int state; /* 0 not visited, 1 collecting its dependencies, 2 ordered */
    strbuf iid;
    sec_set secrets; /* read before any node builds */
    size_t *deps;    /* indexes of the nodes it names, each once */
    size_t ndeps, depcap;
} tf_node;

typedef struct tf_graph {
    tf_host *h;
    lua_State *L;
    tf_node *nodes;
    size_t n, cap;
    size_t *order; /* node indexes, dependencies first */
    size_t norder;
    size_t *path; /* the nodes being collected, outermost first */
    size_t npath;
} tf_graph;

void tf_graph_free(tf_graph *g);
/* Adds the task object on top of L (popped) with args (taken) as a root,
 * unless it is a node already (args freed then), and collects it: runs the
 * generators, follows what they name. Returns 0, or 1/2 with err set. */
int tf_graph_add(tf_graph *g, fv *args, strbuf *err);
/* Reads every node's secrets (none with -n). Returns 0, or 2 with err set. */
int tf_read_secrets(tf_graph *g, strbuf *err);
const char *tf_node_name(const tf_graph *g, size_t i);
/* Builds (or dry-runs) node i, its markers replaced by the image IDs of
 * the nodes it names (which must have been built). */
int tf_build_node(tf_graph *g, size_t i, strbuf *err);

#endif

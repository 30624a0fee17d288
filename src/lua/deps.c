/* deps.c -- the task graph: a container task that names another as its
 * from_image, or as the `from` of a File or Directory, depends on it.
 *
 * Two passes. The first runs the generators, the task's and then, depth
 * first, those of the tasks it names (a `from` is only known once the
 * generator has yielded its resources), and orders the tasks dependencies
 * first; a task met again while its own dependencies are being collected is
 * a cycle. The second builds them in that order, each marker (taskref.h)
 * replaced by the image ID its task's build reported, so a dependent never
 * builds on a tag that something else may have moved meanwhile. */
#include "graph.h"

#include "options.h"
#include "secsrc.h"
#include "taskref.h"

#include <stdlib.h>
#include <string.h>

void tf_graph_free(tf_graph *g)
{
    for (size_t i = 0; i < g->n; i++) {
        luaL_unref(g->L, LUA_REGISTRYINDEX, g->nodes[i].oref);
        luaL_unref(g->L, LUA_REGISTRYINDEX, g->nodes[i].bref);
        fv_free(g->nodes[i].args);
        sb_release(&g->nodes[i].iid);
        sec_set_free(&g->nodes[i].secrets);
        free(g->nodes[i].deps);
    }
    free(g->nodes);
    free(g->order);
    free(g->path);
}

/* Adds the task object on top of the stack (popped) with args (taken). */
static size_t tf_node_add(tf_graph *g, fv *args)
{
    ALLOC_GROW(g->nodes, g->n + 1, g->cap);
    g->order = xrealloc(g->order, g->cap * sizeof *g->order);
    g->path = xrealloc(g->path, g->cap * sizeof *g->path);
    tf_node *nd = &g->nodes[g->n];
    memset(nd, 0, sizeof *nd);
    nd->obj = lua_touserdata(g->L, -1);
    nd->oref = luaL_ref(g->L, LUA_REGISTRYINDEX);
    nd->bref = LUA_NOREF;
    nd->args = args;
    sb_init(&nd->iid);
    return g->n++;
}

const char *tf_node_name(const tf_graph *g, size_t i)
{
    return tf_task_name(g->h, g->nodes[i].obj);
}

/* "cycle: a -> b -> a", from node back to itself along the path. */
static int tf_cycle(tf_graph *g, size_t node, strbuf *err)
{
    size_t k = 0;
    while (g->path[k] != node)
        k++;
    sb_adds(err, "cycle:");
    for (; k < g->npath; k++)
        sb_addf(err, " %s ->", tf_node_name(g, g->path[k]));
    sb_addf(err, " %s", tf_node_name(g, node));
    return 2;
}

static int tf_collect(tf_graph *g, size_t i, strbuf *err);

/* Records that node from names node to (once). */
static void tf_edge(tf_graph *g, size_t from, size_t to)
{
    tf_node *nd = &g->nodes[from];
    for (size_t k = 0; k < nd->ndeps; k++)
        if (nd->deps[k] == to)
            return;
    ALLOC_GROW(nd->deps, nd->ndeps + 1, nd->depcap);
    nd->deps[nd->ndeps++] = to;
}

/* The task a marker names, as a node: found, or added and collected.
 * what names the field for messages. Returns 0, or 1/2 with err set. */
static int tf_follow(tf_graph *g, size_t from, const fv *ref, const char *what, strbuf *err)
{
    long serial = taskref_serial(ref);
    if (serial <= 0)
        return 0;
    lua_State *L = g->L;
    tf_obj *o = tf_push_task(L, serial);
    if (!o || o->kind != OPT_CONTAINER) {
        lua_pop(L, 1);
        sb_addf(err, "%s: %s names %s, not a docker_container task", tf_node_name(g, from), what,
                o ? tf_task_name(g->h, o) : "no task");
        return 2;
    }
    for (size_t k = 0; k < g->n; k++) {
        if (g->nodes[k].obj != o)
            continue;
        lua_pop(L, 1);
        if (g->nodes[k].state == 1)
            return tf_cycle(g, k, err);
        tf_edge(g, from, k);
        return 0;
    }
    strbuf why = STRBUF_INIT;
    fv *args = opt_merge(o->decl, OPT_CONTAINER, NULL, 0, &why);
    if (!args) {
        lua_pop(L, 1);
        sb_addf(err, "%s: %s", tf_task_name(g->h, o), why.buf);
        sb_release(&why);
        return 2;
    }
    sb_release(&why);
    size_t k = tf_node_add(g, args);
    tf_edge(g, from, k);
    return tf_collect(g, k, err);
}

/* Runs node i's generator, then collects what it names, then orders it. */
static int tf_collect(tf_graph *g, size_t i, strbuf *err)
{
    lua_State *L = g->L;
    tf_host *h = g->h;
    if (!lua_checkstack(L, 4)) {
        sb_adds(err, "out of Lua stack");
        return 1;
    }
    g->nodes[i].state = 1;
    g->path[g->npath++] = i;
    lua_rawgeti(L, LUA_REGISTRYINDEX, g->nodes[i].oref);
    bundle *b = tf_newbundle(L);
    const tf_obj *outer = h->running;
    size_t made = h->made;
    h->running = g->nodes[i].obj; /* relative sources follow the task's file */
    h->made = 0;                  /* each generator counts its own constructions */
    int status = tf_generate(h, L, lua_gettop(L) - 1, lua_gettop(L), g->nodes[i].args, err);
    h->running = outer;
    h->made = made;
    g->nodes[i].bref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pop(L, 1);
    if (status != 0)
        return status;
    status = tf_follow(g, i, fv_get(g->nodes[i].args, "from_image"), "from_image", err);
    strbuf what = STRBUF_INIT;
    for (size_t r = 0; r < b->n && status == 0; r++) {
        sb_reset(&what);
        sb_addf(&what, "%s from", b->items[r].ident);
        status = tf_follow(g, i, fv_get(b->items[r].fields, "from"), what.buf, err);
    }
    sb_release(&what);
    if (status != 0)
        return status;
    g->npath--;
    g->nodes[i].state = 2;
    g->order[g->norder++] = i;
    return 0;
}

/* The node of a marker's task (collected, so always found). */
static const tf_node *tf_node_of(const tf_graph *g, long serial)
{
    for (size_t k = 0; k < g->n; k++)
        if (g->nodes[k].obj->serial == serial)
            return &g->nodes[k];
    return NULL;
}

/* Replaces the marker under key of map by the image of its task: the ID
 * its build reported, or with -n (nothing built) "fuse-dep/NAME". */
static void tf_resolve(const tf_graph *g, fv *map, const char *key, int dry)
{
    long serial = taskref_serial(fv_get(map, key));
    const tf_node *nd = serial > 0 ? tf_node_of(g, serial) : NULL;
    if (!nd)
        return;
    strbuf img = STRBUF_INIT;
    /* --plan of a dependency without a tagged image: no ID to plan on. */
    if (dry || nd->iid.len == 0)
        sb_addf(&img, "fuse-dep/%s", tf_task_name(g->h, nd->obj));
    else
        sb_add(&img, nd->iid.buf, nd->iid.len);
    fv_set(map, key, fv_str(img.buf, img.len));
    sb_release(&img);
}

int tf_build_node(tf_graph *g, size_t i, strbuf *err)
{
    tf_node *nd = &g->nodes[i];
    int dry = g->h->flags && g->h->flags->dry_run;
    lua_rawgeti(g->L, LUA_REGISTRYINDEX, nd->bref);
    bundle *b = lua_touserdata(g->L, -1);
    tf_resolve(g, nd->args, "from_image", dry);
    for (size_t r = 0; r < b->n; r++)
        tf_resolve(g, b->items[r].fields, "from", dry);
    if (dry && g->norder > 1)
        fprintf(g->h->out ? g->h->out : stdout, "# %s\n", tf_node_name(g, i));
    else if (!dry && g->h->flags && g->h->flags->plan)
        fprintf(g->h->out ? g->h->out : stdout, "%s:\n", tf_node_name(g, i));
    g->h->iid = &nd->iid;
    g->h->secrets = &nd->secrets;
    /* Built as itself: its cache key (tf_cache_key) and name are its own,
     * whichever task asked for it. */
    const tf_obj *outer = g->h->running;
    g->h->running = nd->obj;
    int status = tf_build(g->h, nd->args, b, 0, NULL, NULL, err);
    g->h->running = outer;
    g->h->iid = NULL;
    g->h->secrets = NULL;
    lua_pop(g->L, 1);
    return status;
}

/* Reads every node's secrets before the first build: a missing source is
 * a task-file error of its declaration, and nothing may be built first. -n
 * reads none (a command might prompt, or cost). */
int tf_read_secrets(tf_graph *g, strbuf *err)
{
    for (size_t k = 0; k < g->norder && !(g->h->flags && g->h->flags->dry_run); k++) {
        tf_node *nd = &g->nodes[g->order[k]];
        strbuf why = STRBUF_INIT;
        if (ssrc_load(fv_get(nd->args, "secrets"), nd->obj->dir, &nd->secrets, &why) < 0) {
            sb_addf(err, "%s: docker_container: %s", nd->obj->where, why.buf);
            sb_release(&why);
            return 2;
        }
        sb_release(&why);
    }
    return 0;
}

/* Builds in order; a failed dependency leaves its dependents unstarted and
 * says so on the first line, the dependency's own error after it. */
static int tf_build_all(tf_graph *g, strbuf *err, int *built)
{
    FILE *out = g->h->out ? g->h->out : stdout;
    if (g->h->flags && g->h->flags->dry_run && g->norder > 1) {
        fputs("build order:", out);
        for (size_t k = 0; k < g->norder; k++)
            fprintf(out, "%s %s", k ? "," : "", tf_node_name(g, g->order[k]));
        fputc('\n', out);
    }
    for (size_t k = 0; k < g->norder; k++) {
        strbuf why = STRBUF_INIT;
        int status = tf_build_node(g, g->order[k], &why);
        if (status == 0) {
            sb_release(&why);
            continue;
        }
        *built = 1;
        if (k + 1 < g->norder)
            sb_addf(err, "%s: not started: its dependency %s failed: ",
                    tf_node_name(g, g->order[g->norder - 1]), tf_node_name(g, g->order[k]));
        sb_add(err, why.buf, why.len);
        sb_release(&why);
        return status;
    }
    return 0;
}

int tf_graph_add(tf_graph *g, fv *args, strbuf *err)
{
    tf_obj *o = lua_touserdata(g->L, -1);
    for (size_t k = 0; k < g->n; k++) {
        if (g->nodes[k].obj == o) {
            lua_pop(g->L, 1);
            fv_free(args);
            return 0;
        }
    }
    return tf_collect(g, tf_node_add(g, args), err);
}

int tf_deps_exec(tf_host *h, lua_State *L, int objidx, const fv *args, strbuf *err, int *built)
{
    tf_graph g = {.h = h, .L = L};
    lua_pushvalue(L, objidx);
    int status = tf_graph_add(&g, fv_copy(args), err);
    if (status == 0)
        status = tf_read_secrets(&g, err);
    if (status == 0)
        status = tf_build_all(&g, err, built);
    tf_graph_free(&g);
    return status;
}

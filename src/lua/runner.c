/* runner.c -- runs a task: a container task's generator into a bundle, then
 * the build or the dry run; a plain task's function. The CLI (tf_run) and
 * other:run { ... } both come through tf_exec. */
#include "host.h"

#include "build.h"
#include "luaconv.h"
#include "options.h"

#include <string.h>

#if LUA_VERSION_RELEASE_NUM >= 50406
#define tf_closethread(co, from) lua_closethread(co, from)
#else
#define tf_closethread(co, from) ((void)(from), lua_resetthread(co))
#endif

#define TF_MAX_DEPTH 32 /* tasks running tasks */

/* Appends "fusefile.lua:3", where the function on top of L is defined. */
static void tf_defined_at(lua_State *L, strbuf *out)
{
    lua_Debug ar;
    lua_pushvalue(L, -1);
    if (lua_getinfo(L, ">S", &ar) && ar.linedefined > 0)
        sb_addf(out, "%s:%d: ", ar.short_src, ar.linedefined);
}

/* A generator that returned a value, or made resources and handed none
 * over, would otherwise build an image without them, silently. Stack of co:
 * the nres values the function returned. Returns 0, or 2 with err set. */
static int tf_check_finished(const tf_host *h, lua_State *co, int nres, const bundle *b,
                             const char *where, strbuf *err)
{
    if (nres > 0) {
        sb_addf(err,
                "%sdocker_container function returned a value (%s); hand resources over with "
                "yield(resource), not return",
                where, luaL_typename(co, -nres));
        return 2;
    }
    if (h->made > 0 && b->n == 0) {
        sb_addf(err,
                "%sdocker_container function made %zu resource%s but yielded none (a "
                "forgotten yield?)",
                where, h->made, h->made == 1 ? "" : "s");
        return 2;
    }
    return 0;
}

/* Stack of L: unchanged. */
int tf_generate(tf_host *h, lua_State *L, int objidx, int bidx, const fv *args, strbuf *err)
{
    bundle *b = lua_touserdata(L, bidx);
    lua_State *co = lua_newthread(L);
    lua_getiuservalue(L, objidx, 1);
    strbuf where = STRBUF_INIT;
    tf_defined_at(L, &where);
    lua_pushvalue(L, bidx);
    lc_push(L, args);
    lua_xmove(L, co, 3);
    int nargs = 2, status = 0;
    for (;;) {
        int nres = 0;
        int rc = lua_resume(co, L, nargs, &nres);
        if (rc == LUA_OK) {
            status = tf_check_finished(h, co, nres, b, where.buf, err);
            lua_pop(co, nres);
            break;
        }
        if (rc != LUA_YIELD) {
            /* Stack of co: the error value on top, the frames still there. */
            lua_xmove(co, L, 1);
            strbuf msg = STRBUF_INIT;
            tf_errtext(L, -1, co, 0, &msg);
            lua_pop(L, 1);
            if (h->flags && h->flags->verbose) {
                luaL_traceback(L, co, msg.buf, 0);
                sb_reset(&msg);
                sb_adds(&msg, lua_tostring(L, -1));
                lua_pop(L, 1);
            }
            status = tf_is_deferr(h, msg.buf) ? 2 : 1;
            sb_add(err, msg.buf, msg.len);
            sb_release(&msg);
            tf_closethread(co, L);
            break;
        }
        strbuf at = STRBUF_INIT, why = STRBUF_INIT;
        tf_where(co, 0, &at);
        int ok = tf_take(co, nres ? -nres : 1, b, "yield", at.buf, &why) == 0;
        sb_release(&at);
        lua_pop(co, nres);
        lua_pushboolean(co, ok);
        nargs = 1;
        if (!ok) {
            /* The prelude's yield raises it with the task file's position. */
            sb_reset(&h->deferr);
            sb_add(&h->deferr, why.buf, why.len);
            lua_pushlstring(co, why.buf, why.len);
            nargs = 2;
        }
        sb_release(&why);
    }
    sb_release(&where);
    lua_pop(L, 1); /* the thread */
    return status;
}

/* Runs a plain task's function with args. Stack of L: unchanged. */
static int tf_call(tf_host *h, lua_State *L, int objidx, const fv *args, strbuf *err)
{
    lua_pushcfunction(L, tf_msgh);
    lua_getiuservalue(L, objidx, 1);
    lc_push(L, args);
    if (lua_pcall(L, 1, 0, -3) == LUA_OK) {
        lua_pop(L, 1);
        return 0;
    }
    const char *msg = lua_tostring(L, -1);
    sb_adds(err, msg ? msg : "(error)");
    int status = tf_is_deferr(h, err->buf) ? 2 : 1;
    lua_pop(L, 2);
    return status;
}

/* The last component of the project root, then the running task's name
 * (where it was defined when it has none). Not the whole path: a copy or
 * another checkout of the same project (CI, a second clone) keeps sharing
 * the cache. */
void tf_cache_key(const tf_host *h, strbuf *out)
{
    const tf_obj *o = h->running;
    const char *slash = h->root ? strrchr(h->root, '/') : NULL;
    sb_addf(out, "%s\n", slash ? slash + 1 : h->root ? h->root : "");
    for (size_t i = 0; o && i < h->ntasks; i++) {
        if (h->tasks[i].obj == o) {
            sb_addf(out, "%s\n", h->tasks[i].info.name);
            return;
        }
    }
    if (o)
        sb_addf(out, "%s\n", o->where);
}

int tf_build_prepare(const tf_host *h, const fv *args, int quiet, build_flags *bf)
{
    static const tf_flags none = {0, 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0};
    const tf_flags *f = h->flags ? h->flags : &none;
    const fv *nc = fv_get(args, "no_cache"), *push = fv_get(args, "push");
    *bf = (build_flags){.verbose = f->verbose && !quiet,
                        .quiet = f->quiet || quiet,
                        /* the task's image, not one DockerBuilder makes */
                        .iidfile = quiet ? NULL : f->iidfile,
                        .no_cache = f->no_cache || (nc && nc->kind == FV_BOOL && nc->b),
                        .pull = f->pull,
                        .no_keep_failed = f->no_keep_failed,
                        .push = f->push || (push && push->kind == FV_BOOL && push->b),
                        .label = h->label};
    return f->dry_run;
}

int tf_build(tf_host *h, const fv *args, const bundle *b, int quiet,
             void (*on_chunk)(const char *json, size_t len, void *ud), void *ud, strbuf *err)
{
    FILE *out = h->out ? h->out : stdout;
    build_flags bf;
    strbuf key = STRBUF_INIT;
    tf_cache_key(h, &key);
    int dry = tf_build_prepare(h, args, quiet, &bf);
    bf.cache_key = key.buf;
    int plan = h->flags && h->flags->plan && !quiet;
    if (plan && !dry) {
        bf.iid = h->iid;
        int rc = build_plan(args, b, &bf, "  ", out, err);
        sb_release(&key);
        return rc == BUILD_OK ? 0 : rc == BUILD_INTERRUPTED ? 130 : 1;
    }
    if (dry) {
        strbuf why = STRBUF_INIT;
        /* -n --plan: the plan as comments, so the output stays a
         * Dockerfile; without an engine, the Dockerfile all the same. -n
         * alone asks no engine (it maps no libcurl, see lazy.h). */
        if (plan && build_plan(args, b, &bf, "# ", out, &why) != BUILD_OK)
            fprintf(out, "# fuse -n: no plan: %s\n", why.buf);
        sb_release(&why);
        sb_release(&key);
        /* A Dockerfile comment, so the output stays a Dockerfile. */
        if (build_tag(args, 0)) {
            fputs("# fuse -n: the image would be tagged ", out);
            build_print_tags(out, args);
            fputc('\n', out);
        } else {
            fprintf(out, "# fuse -n: the image would have no tag (give tag=NAME)\n");
        }
        return build_dry_run(args, b, bf.verbose, out, err) == BUILD_OK ? 0 : 1;
    }
    bf.on_chunk = on_chunk;
    bf.ud = ud;
    bf.iid = h->iid;
    bf.secrets = h->secrets;
    bf.task = quiet ? NULL : tf_task_name(h, h->running); /* not DockerBuilder's */
    bf.uptodate = &h->uptodate;
    int prune = h->flags && h->flags->prune_caches && !quiet;
    int rc = prune ? build_prune_caches(args, &bf, out, err) : build_run(args, b, &bf, out, err);
    sb_release(&key);
    return rc == BUILD_OK ? 0 : rc == BUILD_INTERRUPTED ? 130 : 1;
}

/* Runs the task object at objidx with args. Never raises. Returns 0, 1, 2
 * or 130 with err set; *built is set when the failure came from the build
 * (whose message carries no position). */
int tf_exec(tf_host *h, lua_State *L, int objidx, const fv *args, strbuf *err, int *built)
{
    tf_obj *o = lua_touserdata(L, objidx);
    const tf_obj *outer = h->running;
    *built = 0;
    if (h->depth >= TF_MAX_DEPTH) {
        sb_addf(err, "tasks run each other more than %d deep (a task running itself?)",
                TF_MAX_DEPTH);
        return 2;
    }
    if (!lua_checkstack(L, 8)) {
        sb_adds(err, "out of Lua stack");
        return 1;
    }
    /* Each task counts its own constructions; an inner task's do not count. */
    size_t made = h->made;
    h->made = 0;
    h->depth++;
    h->running = o;
    int status;
    if (o->kind == OPT_CONTAINER) {
        status = tf_deps_exec(h, L, objidx, args, err, built);
    } else if (o->kind == OPT_BLUEPRINT) {
        status = tf_blueprint_exec(h, L, objidx, args, err);
    } else {
        status = tf_call(h, L, objidx, args, err);
    }
    h->running = outer;
    h->made = made;
    h->depth--;
    return status;
}

/* The effective arguments of a task word: its declared options and params
 * with the command line's overrides, checked. NULL with err set (exit 2). */
static fv *tf_cli_args(const tf_host *h, const cli_task *t, const tf_task **tk, strbuf *err)
{
    *tk = tf_lookup(h, t->name);
    if (!*tk) {
        tf_unknown_task(h, t->name, err);
        return NULL;
    }
    strbuf why = STRBUF_INIT;
    fv *args = opt_merge((*tk)->obj->decl, (*tk)->obj->kind, t->args, t->nargs, &why);
    if (!args)
        sb_addf(err, "%s: %s", t->name, why.buf);
    sb_release(&why);
    return args;
}

int tf_check(const tf_host *h, const cli_task *t, strbuf *err)
{
    const tf_task *tk;
    fv *args = tf_cli_args(h, t, &tk, err);
    int ok = args != NULL;
    fv_free(args);
    return ok ? 0 : 2;
}

int tf_run(tf_host *h, const cli_task *t, const tf_flags *f, FILE *out, strbuf *err)
{
    const tf_task *tk;
    fv *args = tf_cli_args(h, t, &tk, err);
    if (!args)
        return 2;
    lua_State *L = h->L;
    h->flags = f;
    h->out = out;
    h->dry_sh = 0;
    sb_reset(&h->deferr);
    lua_settop(L, 0);
    lua_rawgeti(L, LUA_REGISTRYINDEX, tk->ref);
    int built;
    int status = tf_exec(h, L, 1, args, err, &built);
    lua_settop(L, 0);
    h->flags = NULL;
    h->out = NULL;
    fv_free(args);
    return status;
}

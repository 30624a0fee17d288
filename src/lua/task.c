/* task.c -- the Task object: docker_container { ... } (fn), task { ... } (fn),
 * and other:run { ... } with its arguments. */
#include "host.h"

#include "luaconv.h"
#include "options.h"
#include "rm.h"
#include "taskref.h"

#include <stdlib.h>
#include <string.h>

/* Converts an options table to a validated fv, or raises at the user's line. */
fv *tf_checkopts(lua_State *L, int idx, opt_kind kind)
{
    strbuf err = STRBUF_INIT, why = STRBUF_INIT;
    fv *decl = lc_tofv(L, idx, "options", &why);
    if (!decl) {
        sb_addf(&err, "%s: %s", opt_kind_name(kind), why.buf);
        sb_release(&why);
        tf_deferror(L, &err);
        return NULL; /* not reached: tf_deferror raises */
    }
    if (opt_check_decl(decl, kind, &err) < 0) {
        fv_free(decl);
        tf_deferror(L, &err);
        return NULL;
    }
    /* A blueprint's hosts may come from the command line alone; those it
     * declares are checked at the declaration's line. */
    const fv *hosts = kind == OPT_BLUEPRINT ? fv_get(decl, "hosts") : NULL;
    if (kind == OPT_BLUEPRINT && ((hosts && rm_hosts_check(hosts, &err) < 0) ||
                                  rm_user_check(fv_gets(decl, "user"), &err) < 0)) {
        fv_free(decl);
        tf_deferror(L, &err);
        return NULL;
    }
    return decl;
}

/* Appends s so that opt_merge's unescaping gives s back ("\;" and "\\"). */
static void tf_cli_escape(strbuf *out, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == ';' || s[i] == '\\')
            sb_addc(out, '\\');
        sb_addc(out, s[i]);
    }
}

typedef struct tf_kvs {
    cli_kv *kv;
    size_t n;
} tf_kvs;

static void tf_kvs_free(tf_kvs *k)
{
    for (size_t i = 0; i < k->n; i++) {
        free(k->kv[i].key);
        free(k->kv[i].value);
    }
    free(k->kv);
}

/* other:run { tag = "x", version = "2" }: options are merged as Lua values
 * (typed, checked like a declaration), params as strings through the same
 * path as the command line. Returns the args, or NULL with err set. */
static fv *tf_run_args(lua_State *L, int idx, const tf_obj *o, strbuf *err)
{
    const fv *params = o->decl->kind == FV_MAP ? fv_get(o->decl, "params") : NULL;
    strbuf bad = STRBUF_INIT;
    fv *eff = o->decl->kind == FV_MAP ? fv_copy(o->decl) : fv_map();
    tf_kvs kvs = {xcalloc(1, sizeof(cli_kv)), 0};
    fv *args = NULL;
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        /* Stack: key, value. */
        if (lua_type(L, -2) != LUA_TSTRING) {
            lua_pop(L, 2);
            sb_adds(err, "run: arguments are named (run { tag = \"x\" }), not positional");
            goto done;
        }
        const char *key = lua_tostring(L, -2);
        if (!opt_accepts(o->decl, o->kind, key)) {
            sb_addf(&bad, "%s%s", bad.len ? ", " : "", key);
        } else if (params && fv_get(params, key)) {
            int t = lua_type(L, -1);
            if (t != LUA_TSTRING && t != LUA_TNUMBER && t != LUA_TBOOLEAN) {
                sb_addf(err, "run: %s must be a string, number or boolean", key);
                lua_pop(L, 2);
                goto done;
            }
            size_t len;
            const char *s = luaL_tolstring(L, -1, &len);
            strbuf v = STRBUF_INIT;
            tf_cli_escape(&v, s, len);
            lua_pop(L, 1);
            kvs.kv = xrealloc(kvs.kv, (kvs.n + 1) * sizeof(cli_kv));
            kvs.kv[kvs.n].key = xstrdup(key);
            kvs.kv[kvs.n++].value = sb_detach(&v, NULL);
        } else {
            strbuf why = STRBUF_INIT;
            fv *v = lc_tofv(L, -1, key, &why);
            if (!v) {
                sb_addf(err, "run: %s", why.buf);
                sb_release(&why);
                lua_pop(L, 2);
                goto done;
            }
            fv_set(eff, key, v);
        }
        lua_pop(L, 1);
    }
    if (bad.len) {
        opt_not_understood(o->decl, o->kind, bad.buf, err);
        goto done;
    }
    if (opt_check_decl(eff, o->kind, err) == 0)
        args = opt_merge(eff, o->kind, kvs.kv, kvs.n, err);
done:
    sb_release(&bad);
    tf_kvs_free(&kvs);
    fv_free(eff);
    return args;
}

static tf_obj *tf_checktask(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, TF_TASK_MT);
}

/* other_task:run { ... } from Lua: runs it now, raising on failure. */
static int tf_task_run(lua_State *L)
{
    tf_host *h = tf_of(L);
    tf_obj *o = tf_checktask(L, 1);
    strbuf err = STRBUF_INIT;
    fv *args;
    if (lua_isnoneornil(L, 2)) {
        args = opt_merge(o->decl, o->kind, NULL, 0, &err);
    } else {
        luaL_checktype(L, 2, LUA_TTABLE);
        args = tf_run_args(L, 2, o, &err);
    }
    if (!args)
        return tf_deferror(L, &err);
    int built = 0;
    int status = tf_exec(h, L, 1, args, &err, &built);
    fv_free(args);
    if (status == 0) {
        sb_release(&err);
        lua_pushboolean(L, 1);
        return 1;
    }
    strbuf msg = STRBUF_INIT;
    if (built && tf_where(L, 1, &msg))
        sb_adds(&msg, ": ");
    sb_add(&msg, err.buf, err.len);
    sb_release(&err);
    if (status == 2)
        return tf_deferror_at(L, "", &msg);
    lua_pushlstring(L, msg.buf, msg.len);
    sb_release(&msg);
    return lua_error(L);
}

static int tf_task_gc(lua_State *L)
{
    tf_obj *o = tf_checktask(L, 1);
    fv_free(o->decl);
    free(o->where);
    free(o->dir);
    o->decl = NULL;
    o->where = o->dir = NULL;
    return 0;
}

static int tf_task_tostring(lua_State *L)
{
    tf_obj *o = tf_checktask(L, 1);
    lua_pushfstring(L, "%s task defined at %s",
                    o->kind == OPT_TASK ? "plain" : opt_kind_name(o->kind), o->where);
    return 1;
}

/* The registry's table of every task object by serial: a marker
 * (taskref.h) names a task by number, and this finds it again. */
#define TF_SERIALS "fuse.task_serials"

fv *tf_taskref(lua_State *L, int idx)
{
    tf_obj *o = luaL_testudata(L, idx, TF_TASK_MT);
    return o ? taskref_new(o->serial) : NULL;
}

tf_obj *tf_push_task(lua_State *L, long serial)
{
    lua_getfield(L, LUA_REGISTRYINDEX, TF_SERIALS);
    lua_rawgeti(L, -1, (lua_Integer)serial);
    lua_remove(L, -2);
    return luaL_testudata(L, -1, TF_TASK_MT);
}

const char *tf_task_name(const tf_host *h, const tf_obj *o)
{
    for (size_t i = 0; i < h->ntasks; i++)
        if (h->tasks[i].obj == o)
            return h->tasks[i].info.name;
    return o->where;
}

/* Makes the task object for the function at fnidx; takes decl. */
static int tf_newtask(lua_State *L, opt_kind kind, fv *decl, int fnidx)
{
    strbuf where = STRBUF_INIT;
    if (!tf_where(L, 1, &where))
        sb_adds(&where, "?");
    char *dir = tf_caller_dir(L, 1);
    tf_obj *o = lua_newuserdatauv(L, sizeof *o, 1);
    o->kind = kind;
    o->decl = decl;
    o->where = sb_detach(&where, NULL);
    o->dir = dir;
    o->serial = ++tf_of(L)->nserial;
    luaL_setmetatable(L, TF_TASK_MT);
    lua_pushvalue(L, fnidx);
    lua_setiuservalue(L, -2, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, TF_SERIALS);
    lua_pushvalue(L, -2);
    lua_rawseti(L, -2, (lua_Integer)o->serial);
    lua_pop(L, 1);
    return 1;
}

/* The function docker_container { ... } returns; upvalue 1 is the options
 * table, upvalue 2 the kind of task. Completes the task. */
static int tf_definer(lua_State *L)
{
    opt_kind kind = (opt_kind)lua_tointeger(L, lua_upvalueindex(2));
    const char *name = opt_kind_name(kind);
    if (lua_type(L, 1) != LUA_TFUNCTION)
        return tf_deferrorf(L, "%s { ... } expects a function: %s { ... } (function (%s) ... end)",
                            name, name, kind == OPT_TASK ? "args" : "bundle, args");
    fv *decl = tf_checkopts(L, lua_upvalueindex(1), kind);
    return tf_newtask(L, kind, decl, 1);
}

static int tf_define(lua_State *L, opt_kind kind)
{
    const char *name = opt_kind_name(kind);
    if (lua_type(L, 1) == LUA_TFUNCTION)
        return tf_newtask(L, kind, fv_map(), 1);
    if (lua_type(L, 1) != LUA_TTABLE)
        return tf_deferrorf(L, "%s expects an options table or a function, got %s", name,
                            luaL_typename(L, 1));
    /* Checked now, so a bad option is reported at its own line. */
    tf_miss_check(L, name);
    fv_free(tf_checkopts(L, 1, kind));
    lua_settop(L, 1);
    lua_pushinteger(L, kind);
    lua_pushcclosure(L, tf_definer, 2);
    return 1;
}

static int tf_docker_container(lua_State *L)
{
    return tf_define(L, OPT_CONTAINER);
}

static int tf_blueprint(lua_State *L)
{
    return tf_define(L, OPT_BLUEPRINT);
}

static int tf_plain_task(lua_State *L)
{
    return tf_define(L, OPT_TASK);
}

int tf_is_definer(lua_State *L, int idx)
{
    return lua_tocfunction(L, idx) == tf_definer;
}

void tf_task_open(lua_State *L)
{
    static const luaL_Reg meta[] = {
        {"__gc", tf_task_gc}, {"__tostring", tf_task_tostring}, {NULL, NULL}};
    static const luaL_Reg methods[] = {{"run", tf_task_run}, {NULL, NULL}};
    static const luaL_Reg core[] = {{"docker_container", tf_docker_container},
                                    {"blueprint", tf_blueprint},
                                    {"task", tf_plain_task},
                                    {NULL, NULL}};
    tf_newclass(L, TF_TASK_MT, meta, methods);
    luaL_setfuncs(L, core, 0);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, TF_SERIALS);
}

/* registry.c -- tasks by name: the per-file environments whose assignments
 * register tasks, lookups, unknown names and -d. */
#include "host.h"

#include "options.h"

#include <stdlib.h>
#include <string.h>

tf_task *tf_lookup(const tf_host *h, const char *name)
{
    for (size_t i = 0; i < h->ntasks; i++)
        if (strcmp(h->tasks[i].info.name, name) == 0)
            return &h->tasks[i];
    return NULL;
}

static void tf_task_release(tf_host *h, tf_task *t)
{
    luaL_unref(h->L, LUA_REGISTRYINDEX, t->ref);
    free((char *)t->info.name);
    free((char *)t->info.description);
    free((char *)t->info.where);
}

static void tf_unregister(tf_host *h, const char *name)
{
    tf_task *t = tf_lookup(h, name);
    if (!t)
        return;
    tf_task_release(h, t);
    size_t i = (size_t)(t - h->tasks);
    memmove(t, t + 1, (h->ntasks - i - 1) * sizeof *t);
    h->ntasks--;
}

/* Records the task at idx under name. Raises on a duplicate, naming both. */
static void tf_register(lua_State *L, tf_host *h, const char *name, int idx)
{
    tf_obj *o = lua_touserdata(L, idx);
    tf_task *old = tf_lookup(h, name);
    if (old && old->obj == o)
        return;
    if (old) {
        strbuf msg = STRBUF_INIT;
        sb_addf(&msg, "duplicate task \"%s\" (first defined at %s)", name, old->info.where);
        tf_deferror_at(L, o->where, &msg);
    }
    ALLOC_GROW(h->tasks, h->ntasks + 1, h->cap);
    const char *desc = fv_gets(o->decl, "description");
    tf_task *t = &h->tasks[h->ntasks++];
    t->info.name = xstrdup(name);
    t->info.description = desc ? xstrdup(desc) : NULL;
    t->info.where = xstrdup(o->where);
    t->info.kind = (int)o->kind;
    t->obj = o;
    lua_pushvalue(L, idx);
    t->ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

/* __index of a file's environment: upvalue 1 the file's tasks, upvalue 2
 * what the file falls back on (fusefile.lua's environment, or _G). */
static int tf_env_index(lua_State *L)
{
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
        return 1;
    lua_pushvalue(L, 2);
    int t = lua_gettable(L, lua_upvalueindex(2));
    /* For the check of names read as nil in a constructor's table (host.c). */
    if (t == LUA_TNIL && lua_type(L, 2) == LUA_TSTRING)
        tf_miss_note(L, lua_tostring(L, 2));
    else if (t == LUA_TFUNCTION)
        tf_miss_clear(L);
    return 1;
}

/* __newindex of a file's environment: upvalue 1 the file's tasks, upvalue 2
 * the name prefix ("" or "web."). Tasks are kept out of the environment
 * itself, so that every assignment to a task's name comes through here.
 * Stack: env, key, value. */
static int tf_env_newindex(lua_State *L)
{
    tf_host *h = tf_of(L);
    if (lua_type(L, 2) != LUA_TSTRING) {
        lua_rawset(L, 1);
        return 0;
    }
    lua_settop(L, 3);
    /* The full name stays on the stack (index 4) while it is in use. */
    lua_pushfstring(L, "%s%s", lua_tostring(L, lua_upvalueindex(2)), lua_tostring(L, 2));
    const char *full = lua_tostring(L, 4);
    if (tf_is_definer(L, 3))
        return tf_deferrorf(L,
                            "%s: the task has no function: write docker_container { ... } "
                            "(function (bundle, args) ... end)",
                            full);
    lua_pushvalue(L, 2);
    int had = lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL;
    lua_pop(L, 1);
    if (luaL_testudata(L, 3, TF_TASK_MT)) {
        if (h->loading)
            tf_register(L, h, full, 3);
        lua_pushvalue(L, 2);
        lua_pushvalue(L, 3);
        lua_rawset(L, lua_upvalueindex(1));
        return 0;
    }
    if (had) {
        if (h->loading)
            tf_unregister(h, full);
        lua_pushvalue(L, 2);
        lua_pushnil(L);
        lua_rawset(L, lua_upvalueindex(1));
    }
    lua_pushvalue(L, 2);
    lua_pushvalue(L, 3);
    lua_rawset(L, 1);
    return 0;
}

/* Pushes a new environment for one file: reads fall back on the value at
 * parent (an absolute index), assignments go through tf_env_newindex with
 * the task-name prefix. */
void tf_push_env(lua_State *L, int parent, const char *prefix)
{
    lua_newtable(L); /* env */
    lua_newtable(L); /* its metatable */
    lua_newtable(L); /* the file's tasks */
    lua_pushvalue(L, -1);
    lua_pushvalue(L, parent);
    lua_pushcclosure(L, tf_env_index, 2);
    lua_setfield(L, -3, "__index");
    lua_pushstring(L, prefix);
    lua_pushcclosure(L, tf_env_newindex, 2);
    lua_setfield(L, -2, "__newindex");
    lua_setmetatable(L, -2);
}

static int tf_cmp_task(const void *a, const void *b)
{
    return strcmp(((const tf_task *)a)->info.name, ((const tf_task *)b)->info.name);
}

void tf_sort_tasks(tf_host *h)
{
    if (h->ntasks)
        qsort(h->tasks, h->ntasks, sizeof *h->tasks, tf_cmp_task);
}

size_t tf_count(const tf_host *h)
{
    return h->ntasks;
}

const tf_info *tf_get(const tf_host *h, size_t i)
{
    return i < h->ntasks ? &h->tasks[i].info : NULL;
}

const tf_info *tf_find(const tf_host *h, const char *name)
{
    const tf_task *t = tf_lookup(h, name);
    return t ? &t->info : NULL;
}

/* Edit distance, for "did you mean". Names are short; two rows suffice. */
static size_t tf_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t *prev = xcalloc(lb + 1, sizeof *prev), *cur = xcalloc(lb + 1, sizeof *cur);
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        size_t *t = prev;
        prev = cur;
        cur = t;
    }
    size_t d = prev[lb];
    free(prev);
    free(cur);
    return d;
}

/* "api" for "web.api": a namespaced task typed without its namespace. */
static int tf_is_suffix(const char *name, const char *typed)
{
    const char *dot = strrchr(name, '.');
    return dot && strcmp(dot + 1, typed) == 0;
}

int tf_unknown_task(const tf_host *h, const char *name, strbuf *err)
{
    sb_addf(err, "unknown task \"%s\"", name);
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (size_t i = 0; i < h->ntasks; i++) {
        const char *cand = h->tasks[i].info.name;
        size_t d = tf_is_suffix(cand, name) ? 0 : tf_distance(cand, name);
        if (d < best_d) {
            best = cand;
            best_d = d;
        }
    }
    if (best && (best_d <= 2 || best_d * 3 <= strlen(name)))
        sb_addf(err, "\ndid you mean \"%s\"?", best);
    else if (h->ntasks)
        sb_adds(err, "\nfuse -l lists the tasks");
    else
        sb_adds(err, "\nno tasks are defined");
    return 2;
}

/* ---- the global tasks: every task of every file, read-only ---- */

/* tasks["web.api"]: the task, or the unknown-task error at the user's line
 * (exit 2, with its "did you mean"). Stack: proxy, key. */
static int tf_tasks_index(lua_State *L)
{
    tf_host *h = tf_of(L);
    if (lua_type(L, 2) != LUA_TSTRING)
        return tf_deferrorf(L, "tasks: a task name is a string like \"web.api\", not %s",
                            luaL_typename(L, 2));
    const tf_task *t = tf_lookup(h, lua_tostring(L, 2));
    if (!t) {
        strbuf msg = STRBUF_INIT;
        tf_unknown_task(h, lua_tostring(L, 2), &msg);
        return tf_deferror(L, &msg);
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, t->ref);
    return 1;
}

static int tf_tasks_newindex(lua_State *L)
{
    return tf_deferrorf(L, "tasks is read-only: a task is defined by assigning it to a name in "
                           "its task file");
}

/* pairs(tasks): over a fresh table of name -> task, so the proxy stays empty. */
static int tf_tasks_pairs(lua_State *L)
{
    tf_host *h = tf_of(L);
    lua_getglobal(L, "next");
    lua_createtable(L, 0, (int)h->ntasks);
    for (size_t i = 0; i < h->ntasks; i++) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, h->tasks[i].ref);
        lua_setfield(L, -2, h->tasks[i].info.name);
    }
    lua_pushnil(L);
    return 3;
}

void tf_tasks_open(lua_State *L)
{
    lua_newtable(L); /* the proxy, always empty */
    lua_newtable(L); /* its metatable */
    lua_pushcfunction(L, tf_tasks_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, tf_tasks_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, tf_tasks_pairs);
    lua_setfield(L, -2, "__pairs");
    lua_pushboolean(L, 0); /* getmetatable/setmetatable cannot undo it */
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_setglobal(L, "tasks");
}

/* The lines of -d after "arguments": what a container builds, and the
 * defaults of the params ("version=1.0"). */
static void tf_display_extra(const tf_obj *o, FILE *out)
{
    const fv *decl = o->decl && o->decl->kind == FV_MAP ? o->decl : NULL;
    if (o->kind == OPT_CONTAINER) {
        if (decl && build_tag(decl, 0)) {
            fputs("    tag: ", out);
            build_print_tags(out, decl);
            fputc('\n', out);
        } else {
            fprintf(out, "    tag: none (the image is known by its ID; give tag=NAME)\n");
        }
    }
    const fv *params = decl ? fv_get(decl, "params") : NULL;
    if (!params || params->kind != FV_MAP || params->n == 0)
        return;
    fprintf(out, "    param defaults:");
    for (size_t i = 0; i < params->n; i++) {
        const fv *v = params->items[i];
        fprintf(out, "%s %s=", i ? "," : "", params->keys[i]);
        if (v->kind == FV_STR)
            fprintf(out, "%s", v->str);
        else if (v->kind == FV_BOOL)
            fprintf(out, "%s", v->b ? "true" : "false");
        else if (v->kind == FV_NUM)
            fprintf(out, "%.14g", v->num);
    }
    fputc('\n', out);
}

int tf_display(tf_host *h, const char *name, FILE *out, strbuf *err)
{
    const tf_task *t = tf_lookup(h, name);
    if (!t)
        return tf_unknown_task(h, name, err);
    strbuf acc = STRBUF_INIT;
    opt_accepted(t->obj->decl, t->obj->kind, &acc);
    fprintf(out, "%s\n", t->info.name);
    for (const char *d = t->info.description; d && *d;) {
        size_t len = strcspn(d, "\n");
        fprintf(out, "    %.*s\n", (int)len, d);
        d += len + (d[len] == '\n');
    }
    fprintf(out, "\n    %s, defined at %s\n    arguments: %s\n", opt_kind_name(t->obj->kind),
            t->info.where, acc.buf);
    tf_display_extra(t->obj, out);
    sb_release(&acc);
    return 0;
}

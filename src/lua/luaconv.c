/* luaconv.c -- Lua values to fv trees and back. */
#include "luaconv.h"

#include "host.h"
#include "taskref.h"

#include <lauxlib.h>
#include <math.h>
#include <string.h>

/* The conversion walks nested tables depth first. path names the field being
 * converted ("environment.PATH", "commands[2]") for messages; seen holds the
 * tables on the current path, so a table that contains itself is reported
 * instead of recursing forever. */
typedef struct lc_walk {
    lua_State *L;
    strbuf path;
    const void *seen[LC_MAX_DEPTH];
    int depth;
    strbuf *err;
} lc_walk;

static fv *lc_value(lc_walk *w, int idx);

static fv *lc_fail(lc_walk *w, const char *what)
{
    sb_addf(w->err, "%s %s", w->path.buf, what);
    return NULL;
}

/* Classifies a table's keys: a sequence 1..n (a list), only string keys (a
 * map), or something that fits neither, which is an error. Returns 1 for a
 * list, 0 for a map, -1 on error; *n is the number of entries.
 * Stack: unchanged. */
static int lc_classify(lc_walk *w, int idx, size_t *n)
{
    lua_State *L = w->L;
    size_t count = 0, nint = 0, nstr = 0;
    lua_Integer max = 0;
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        lua_pop(L, 1);
        count++;
        if (lua_type(L, -1) == LUA_TSTRING) {
            size_t klen;
            const char *k = lua_tolstring(L, -1, &klen);
            if (memchr(k, '\0', klen)) {
                lua_pop(L, 1);
                lc_fail(w, "has a key with a NUL byte");
                return -1;
            }
            nstr++;
        } else if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1) {
            lua_Integer i = lua_tointeger(L, -1);
            if (i > max)
                max = i;
            nint++;
        } else {
            const char *tn = luaL_typename(L, -1);
            lua_pop(L, 1);
            sb_addf(w->err, "%s has a %s key; table keys must be strings (or a list 1..n)",
                    w->path.buf, tn);
            return -1;
        }
    }
    *n = count;
    if (nint && nstr) {
        lc_fail(w, "mixes list items and named fields");
        return -1;
    }
    if (nint && (size_t)max != nint) {
        lc_fail(w, "is a list with holes (nil items)");
        return -1;
    }
    return nint > 0 || count == 0;
}

static fv *lc_list(lc_walk *w, int idx, size_t n)
{
    fv *list = fv_list();
    size_t plen = w->path.len;
    for (size_t i = 1; i <= n; i++) {
        lua_rawgeti(w->L, idx, (lua_Integer)i);
        sb_addf(&w->path, "[%zu]", i);
        fv *item = lc_value(w, lua_gettop(w->L));
        sb_setlen(&w->path, plen);
        lua_pop(w->L, 1);
        if (!item) {
            fv_free(list);
            return NULL;
        }
        fv_push(list, item);
    }
    return list;
}

static fv *lc_map(lc_walk *w, int idx)
{
    lua_State *L = w->L;
    fv *map = fv_map();
    size_t plen = w->path.len;
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        /* Stack: key, value. lc_classify made sure every key is a string. */
        const char *k = lua_tostring(L, -2);
        sb_addf(&w->path, "%s%s", plen ? "." : "", k);
        fv *item = lc_value(w, lua_gettop(L));
        sb_setlen(&w->path, plen);
        lua_pop(L, 1);
        if (!item) {
            lua_pop(L, 1);
            fv_free(map);
            return NULL;
        }
        fv_set(map, k, item);
    }
    fv_sort_keys(map);
    return map;
}

static fv *lc_table(lc_walk *w, int idx)
{
    const void *p = lua_topointer(w->L, idx);
    for (int i = 0; i < w->depth; i++)
        if (w->seen[i] == p)
            return lc_fail(w, "is a cyclic table (it contains itself)");
    if (w->depth == LC_MAX_DEPTH)
        return lc_fail(w, "nests tables too deeply");
    /* Each level holds a key and a value on the stack. */
    if (!lua_checkstack(w->L, 4))
        return lc_fail(w, "nests tables too deeply");
    size_t n;
    int kind = lc_classify(w, idx, &n);
    if (kind < 0)
        return NULL;
    w->seen[w->depth++] = p;
    fv *v = kind ? lc_list(w, idx, n) : lc_map(w, idx);
    w->depth--;
    return v;
}

static fv *lc_value(lc_walk *w, int idx)
{
    lua_State *L = w->L;
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        return fv_null();
    case LUA_TBOOLEAN:
        return fv_bool(lua_toboolean(L, idx));
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            return fv_num((double)lua_tointeger(L, idx));
        if (!isfinite(lua_tonumber(L, idx)))
            return lc_fail(w, "is not a finite number");
        return fv_num(lua_tonumber(L, idx));
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        return fv_str(s, len);
    }
    case LUA_TTABLE:
        return lc_table(w, idx);
    case LUA_TUSERDATA: {
        /* A task object (from_image = base) becomes a marker. */
        fv *ref = tf_taskref(L, idx);
        if (ref)
            return ref;
    }
    /* fallthrough */
    default: {
        strbuf what = STRBUF_INIT;
        sb_addf(&what, "cannot be a %s", luaL_typename(L, idx));
        lc_fail(w, what.buf);
        sb_release(&what);
        return NULL;
    }
    }
}

fv *lc_tofv(lua_State *L, int idx, const char *label, strbuf *err)
{
    lc_walk w = {.L = L, .path = STRBUF_INIT, .depth = 0, .err = err};
    sb_adds(&w.path, label ? label : "value");
    fv *v = lc_value(&w, lua_absindex(L, idx));
    sb_release(&w.path);
    return v;
}

void lc_push(lua_State *L, const fv *v)
{
    luaL_checkstack(L, 3, "nesting too deep");
    switch (v->kind) {
    case FV_NULL:
        lua_pushnil(L);
        break;
    case FV_BOOL:
        lua_pushboolean(L, v->b);
        break;
    case FV_NUM:
        if (fv_is_int(v))
            lua_pushinteger(L, (lua_Integer)v->num);
        else
            lua_pushnumber(L, v->num);
        break;
    case FV_STR:
        lua_pushlstring(L, v->str, v->len);
        break;
    case FV_LIST:
        lua_createtable(L, (int)v->n, 0);
        for (size_t i = 0; i < v->n; i++) {
            lc_push(L, v->items[i]);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        break;
    case FV_MAP:
        if (taskref_serial(v) > 0) {
            tf_push_task(L, taskref_serial(v));
            break;
        }
        lua_createtable(L, 0, (int)v->n);
        for (size_t i = 0; i < v->n; i++) {
            lc_push(L, v->items[i]);
            lua_setfield(L, -2, v->keys[i]);
        }
        break;
    }
}

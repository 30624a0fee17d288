/* resbundle.c -- the ResourceBundle object of fuse.bundle. */
#include "host.h"

static bundle *tf_checkbundle(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, TF_BUNDLE_MT);
}

bundle *tf_newbundle(lua_State *L)
{
    bundle *b = lua_newuserdatauv(L, sizeof *b, 0);
    bundle_init(b);
    luaL_setmetatable(L, TF_BUNDLE_MT);
    return b;
}

static int tf_bundle_new(lua_State *L)
{
    tf_newbundle(L);
    return 1;
}

static int tf_bundle_gc(lua_State *L)
{
    bundle_free(tf_checkbundle(L, 1));
    return 0;
}

/* b:add(resource): the non-generator way to add. Returns the resource. */
static int tf_bundle_add(lua_State *L)
{
    bundle *b = tf_checkbundle(L, 1);
    strbuf where = STRBUF_INIT, err = STRBUF_INIT;
    tf_where(L, 1, &where);
    int rc = tf_take(L, 2, b, "add", where.buf, &err);
    sb_release(&where);
    if (rc < 0)
        return tf_deferror(L, &err);
    lua_settop(L, 2);
    return 1;
}

/* b:dumps([pretty]): the bundle as fuselage's JSON. */
static int tf_bundle_dumps(lua_State *L)
{
    bundle *b = tf_checkbundle(L, 1);
    strbuf out = STRBUF_INIT;
    if (bundle_dump(b, &out, lua_toboolean(L, 2) ? BUNDLE_PRETTY : 0) < 0) {
        lua_pushlstring(L, out.buf, out.len);
        sb_release(&out);
        return lua_error(L);
    }
    lua_pushlstring(L, out.buf, out.len);
    sb_release(&out);
    return 1;
}

static int tf_bundle_len(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)tf_checkbundle(L, 1)->n);
    return 1;
}

static int tf_bundle_tostring(lua_State *L)
{
    lua_pushfstring(L, "ResourceBundle (%d resources)", (int)tf_checkbundle(L, 1)->n);
    return 1;
}

void tf_bundle_open(lua_State *L)
{
    static const luaL_Reg meta[] = {{"__gc", tf_bundle_gc},
                                    {"__len", tf_bundle_len},
                                    {"__tostring", tf_bundle_tostring},
                                    {NULL, NULL}};
    static const luaL_Reg methods[] = {
        {"add", tf_bundle_add}, {"dumps", tf_bundle_dumps}, {NULL, NULL}};
    tf_newclass(L, TF_BUNDLE_MT, meta, methods);
    lua_pushcfunction(L, tf_bundle_new);
    lua_setfield(L, -2, "ResourceBundle");
}

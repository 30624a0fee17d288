/* builder.c -- DockerBuilder(bundle, opts):build(), the programmatic API of
 * fuse.docker. */
#include "host.h"

#include "build.h"
#include "fvjson.h"
#include "luaconv.h"
#include "options.h"

typedef struct tf_builder {
    fv *opts;
} tf_builder;

/* DockerBuilder(bundle, { from_image = ..., tag = ... }): the seed's
 * programmatic API. User value 1 keeps the bundle alive. */
static int tf_builder_new(lua_State *L)
{
    if (!luaL_testudata(L, 1, TF_BUNDLE_MT))
        return tf_deferrorf(L, "DockerBuilder expects a ResourceBundle, got %s",
                            luaL_typename(L, 1));
    fv *opts = lua_isnoneornil(L, 2) ? fv_map() : tf_checkopts(L, 2, 1);
    tf_builder *d = lua_newuserdatauv(L, sizeof *d, 1);
    d->opts = opts;
    luaL_setmetatable(L, TF_BUILDER_MT);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    return 1;
}

static int tf_builder_gc(lua_State *L)
{
    tf_builder *d = luaL_checkudata(L, 1, TF_BUILDER_MT);
    fv_free(d->opts);
    d->opts = NULL;
    return 0;
}

/* Keeps each JSON message of the build stream for the iterator. No Lua
 * call here: this runs inside libcurl's callbacks. */
static void tf_builder_chunk(const char *json, size_t len, void *ud)
{
    fv_push(ud, fv_str(json, len));
}

static int tf_builder_iter(lua_State *L)
{
    lua_Integer i = lua_tointeger(L, lua_upvalueindex(2)) + 1;
    lua_pushinteger(L, i);
    lua_replace(L, lua_upvalueindex(2));
    lua_rawgeti(L, lua_upvalueindex(1), i);
    return 1;
}

/* builder:build(): builds, then returns an iterator over Docker's messages,
 * each decoded into a table ({stream = "..."}, {aux = {ID = ...}}, ...).
 * Raises on failure. */
static int tf_builder_build(lua_State *L)
{
    tf_host *h = tf_of(L);
    tf_builder *d = luaL_checkudata(L, 1, TF_BUILDER_MT);
    lua_getiuservalue(L, 1, 1);
    const bundle *b = lua_touserdata(L, -1);
    strbuf err = STRBUF_INIT;
    fv *args = opt_merge(d->opts, 1, NULL, 0, &err);
    if (!args)
        return tf_deferror(L, &err);
    fv *msgs = fv_list();
    /* With -n, as a container task: print the Dockerfile and the bundle and
     * build nothing; the iterator then gives no message. */
    int rc = tf_build(h, args, b, 1, tf_builder_chunk, msgs, &err);
    fv_free(args);
    if (rc != 0) {
        fv_free(msgs);
        strbuf msg = STRBUF_INIT;
        if (tf_where(L, 1, &msg))
            sb_adds(&msg, ": ");
        sb_add(&msg, err.buf, err.len);
        sb_release(&err);
        lua_pushlstring(L, msg.buf, msg.len);
        sb_release(&msg);
        return lua_error(L);
    }
    lua_createtable(L, (int)msgs->n, 0);
    for (size_t i = 0; i < msgs->n; i++) {
        strbuf perr = STRBUF_INIT;
        fv *m = fvj_parse(msgs->items[i]->str, msgs->items[i]->len, &perr);
        if (m)
            lc_push(L, m);
        else
            lua_pushlstring(L, msgs->items[i]->str, msgs->items[i]->len);
        fv_free(m);
        sb_release(&perr);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    fv_free(msgs);
    sb_release(&err);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, tf_builder_iter, 2);
    return 1;
}

void tf_builder_open(lua_State *L)
{
    static const luaL_Reg meta[] = {{"__gc", tf_builder_gc}, {NULL, NULL}};
    static const luaL_Reg methods[] = {{"build", tf_builder_build}, {NULL, NULL}};
    tf_newclass(L, TF_BUILDER_MT, meta, methods);
    lua_pushcfunction(L, tf_builder_new);
    lua_setfield(L, -2, "DockerBuilder");
}

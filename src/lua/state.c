/* state.c -- the Lua state task files run in: the standard libraries, the
 * classes, fuse.core and the embedded prelude. */
#include "host.h"

#include "prelude.h"

#include <lualib.h>

void tf_newclass(lua_State *L, const char *name, const luaL_Reg *meta, const luaL_Reg *methods)
{
    luaL_newmetatable(L, name);
    luaL_setfuncs(L, meta, 0);
    if (methods) {
        lua_newtable(L);
        luaL_setfuncs(L, methods, 0);
        lua_setfield(L, -2, "__index");
    }
    lua_pop(L, 1);
}

/* package.preload loader of an embedded module: upvalue 1 is its entry. */
static int tf_preload(lua_State *L)
{
    const prelude_module *m = lua_touserdata(L, lua_upvalueindex(1));
    if (luaL_loadbufferx(L, m->src, m->len, m->chunk, "t") != LUA_OK)
        return lua_error(L);
    lua_pushstring(L, m->name);
    lua_call(L, 1, 1);
    return 1;
}

/* Runs in protected mode from tf_open: builds everything task files see. */
int tf_setup(lua_State *L)
{
    static const luaL_Reg none[] = {{NULL, NULL}};
    const char *root = lua_touserdata(L, 1);

    luaL_openlibs(L);
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    luaL_newlib(L, none);
    tf_resource_open(L);
    tf_bundle_open(L);
    tf_task_open(L);
    tf_sh_open(L);
    tf_builder_open(L);
    tf_paths_open(L);
    lua_setfield(L, -2, "fuse.core");
    lua_pop(L, 1);

    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    for (const prelude_module *m = prelude_modules; m->name; m++) {
        lua_pushlightuserdata(L, (void *)m);
        lua_pushcclosure(L, tf_preload, 1);
        lua_setfield(L, -2, m->name);
    }
    lua_pop(L, 1);

    /* Task files may require the project's own modules from lua/. */
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "path");
    lua_pushfstring(L, "%s/lua/?.lua;%s/lua/?/init.lua;%s", root, root, lua_tostring(L, -1));
    lua_setfield(L, -3, "path");
    lua_pop(L, 2);

    /* The prelude returns the globals; copy them into _G. */
    lua_pushglobaltable(L);
    lua_getglobal(L, "require");
    lua_pushliteral(L, "fuse.prelude");
    lua_call(L, 1, 1);
    lua_pushnil(L);
    while (lua_next(L, -2) != 0) {
        /* Stack: _G, prelude, key, value. */
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, -5);
    }
    tf_tasks_open(L);
    return 0;
}

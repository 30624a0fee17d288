/* luaconv.h -- Lua values to fv trees and back.
 *
 * Resources, options and task arguments cross between Lua and C as fv trees,
 * so the one resource table (restype.c) and the option table (options.c)
 * validate them the same way whatever their source. */
#ifndef FUSE_LUACONV_H
#define FUSE_LUACONV_H

#include "fv.h"
#include "strbuf.h"

#include <lua.h>

/* Tables nested deeper than this are refused (a resource never needs it). */
#define LC_MAX_DEPTH 32

/* Converts the value at idx: strings (any bytes), finite numbers, booleans,
 * sequences (-> FV_LIST), tables with string keys (-> FV_MAP, keys sorted).
 * An empty table becomes an empty FV_LIST; the validators accept it where a
 * map is expected. nil becomes FV_NULL. Never raises a Lua error: on a
 * function, userdata, thread, a cyclic or too deeply nested table, a
 * non-string key or a list with holes it returns NULL and appends one line
 * to err naming the field by label, e.g. "environment.PATH cannot be a
 * function". */
fv *lc_tofv(lua_State *L, int idx, const char *label, strbuf *err);

/* Pushes v as a Lua value (integral numbers as integers). Raises only on
 * memory or stack exhaustion. */
void lc_push(lua_State *L, const fv *v);

#endif

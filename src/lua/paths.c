/* paths.c -- here(rel), project_root and template(path, vars): paths and
 * files named relative to the task file that uses them (fusefile(5)),
 * whatever the current directory. The template syntax is template.c's. */
#include "host.h"

#include "template.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A template is a value of the task file, read whole; this bounds it. */
#define TF_TEMPLATE_MAX (16 * 1024 * 1024)

/* rel against dir: an absolute rel stays as it is, "" and "." give dir. */
static void tf_join(const char *dir, const char *rel, strbuf *out)
{
    if (rel[0] == '/') {
        sb_adds(out, rel);
        return;
    }
    sb_adds(out, dir);
    if (rel[0] && strcmp(rel, ".") != 0)
        sb_addf(out, "%s%s", out->len && out->buf[out->len - 1] == '/' ? "" : "/",
                strncmp(rel, "./", 2) == 0 ? rel + 2 : rel);
}

/* Pushes rel resolved against the directory of the user's file calling
 * (level 1). */
static void tf_push_here(lua_State *L, const char *rel)
{
    char *dir = tf_caller_dir(L, 1);
    strbuf path = STRBUF_INIT;
    tf_join(dir, rel, &path);
    free(dir);
    lua_pushlstring(L, path.buf, path.len);
    sb_release(&path);
}

/* here(rel): rel against the calling file's directory. */
static int tf_here(lua_State *L)
{
    if (lua_type(L, 1) != LUA_TSTRING)
        return tf_deferrorf(L, "here: expected a path string, got %s", luaL_typename(L, 1));
    tf_push_here(L, lua_tostring(L, 1));
    return 1;
}

/* ---- template ---- */

/* Reads path whole into out. Returns 0, or -1 with the reason in err. */
static int tf_read_all(const char *path, const char *shown, strbuf *out, strbuf *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        sb_addf(err, "template: cannot read %s: %s", shown, strerror(errno));
        return -1;
    }
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0 && out->len <= TF_TEMPLATE_MAX)
        sb_add(out, buf, n);
    int rc = 0;
    if (ferror(f)) {
        sb_addf(err, "template: cannot read %s: %s", shown, strerror(errno));
        rc = -1;
    } else if (out->len > TF_TEMPLATE_MAX) {
        sb_addf(err, "template: %s is larger than %d MiB", shown, TF_TEMPLATE_MAX >> 20);
        rc = -1;
    }
    fclose(f);
    return rc;
}

/* The value of one name part of len bytes in the table on top of L,
 * pushed; raw access, so no metamethod can raise in the middle. */
static int tf_tpl_field(lua_State *L, const char *part, size_t len)
{
    lua_pushlstring(L, part, len);
    return lua_rawget(L, -2);
}

/* tpl_lookup_fn: name in the vars table at index 2 of the Lua state. */
static int tf_tpl_lookup(const char *name, size_t len, strbuf *out, strbuf *why, void *ud)
{
    lua_State *L = ud;
    int top = lua_gettop(L), rc = 0;
    if (!lua_checkstack(L, 4)) {
        sb_adds(why, "out of Lua stack");
        return -1;
    }
    lua_pushvalue(L, 2);
    for (const char *p = name, *end = name + len; rc == 0;) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        const char *stop = dot ? dot : end;
        if (lua_type(L, -1) != LUA_TTABLE) {
            sb_addf(why, "%.*s is a %s, not a table", (int)(p - 1 - name), name,
                    luaL_typename(L, -1));
            rc = -1;
            break;
        }
        int t = tf_tpl_field(L, p, (size_t)(stop - p));
        lua_remove(L, -2);
        if (t == LUA_TNIL)
            rc = 1;
        if (!dot)
            break;
        p = dot + 1;
    }
    if (rc == 0) {
        int t = lua_type(L, -1);
        if (t == LUA_TSTRING || t == LUA_TNUMBER) {
            size_t n;
            const char *s = lua_tolstring(L, -1, &n); /* a number's own copy: on top */
            sb_add(out, s, n);
        } else if (t == LUA_TBOOLEAN) {
            sb_adds(out, lua_toboolean(L, -1) ? "true" : "false");
        } else {
            sb_addf(why, "the value is a %s, not a string, number or boolean",
                    luaL_typename(L, -1));
            rc = -1;
        }
    }
    lua_settop(L, top);
    return rc;
}

/* template(path, vars): the file at path (relative to the calling file's
 * directory) with its placeholders replaced from vars. Any error is a
 * task-file error at the caller's line naming the template's line. */
static int tf_template(lua_State *L)
{
    if (lua_type(L, 1) != LUA_TSTRING)
        return tf_deferrorf(L, "template: expected a path string, got %s", luaL_typename(L, 1));
    if (!lua_isnoneornil(L, 2) && lua_type(L, 2) != LUA_TTABLE)
        return tf_deferrorf(L, "template: vars must be a table, got %s", luaL_typename(L, 2));
    if (lua_isnoneornil(L, 2)) {
        lua_settop(L, 1);
        lua_newtable(L);
    }
    lua_settop(L, 2);
    const char *shown = lua_tostring(L, 1);
    tf_push_here(L, shown); /* index 3 */
    strbuf src = STRBUF_INIT, out = STRBUF_INIT, err = STRBUF_INIT;
    size_t line = 0;
    int rc = tf_read_all(lua_tostring(L, 3), shown, &src, &err);
    if (rc == 0 && tpl_render(src.buf, src.len, tf_tpl_lookup, L, &out, &line, &err) != 0) {
        strbuf msg = STRBUF_INIT;
        sb_addf(&msg, "template %s:%zu: ", shown, line);
        sb_addbuf(&msg, &err);
        sb_release(&err);
        err = msg;
        rc = -1;
    }
    sb_release(&src);
    if (rc != 0) {
        sb_release(&out);
        return tf_deferror(L, &err);
    }
    sb_release(&err);
    lua_pushlstring(L, out.buf, out.len);
    sb_release(&out);
    return 1;
}

void tf_paths_open(lua_State *L)
{
    lua_pushcfunction(L, tf_here);
    lua_setfield(L, -2, "here");
    lua_pushcfunction(L, tf_template);
    lua_setfield(L, -2, "template");
    lua_pushstring(L, tf_of(L)->root);
    lua_setfield(L, -2, "project_root");
}

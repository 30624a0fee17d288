/* resource.c -- the resource constructors (File { ... }, ...): Lua tables to
 * resources validated by the one resource table (restype.c), and taken into a bundle. */
#include "host.h"

#include "luaconv.h"
#include "tree.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The per-type metatable of resources, pushed on the stack. */
static void tf_push_resmt(lua_State *L, const rt_type *t)
{
    lua_pushfstring(L, "fuse.%s", t->name);
    lua_rawget(L, LUA_REGISTRYINDEX);
}

/* The type of the resource at idx (made by a constructor), or NULL. */
static const rt_type *tf_restype(lua_State *L, int idx)
{
    if (lua_type(L, idx) != LUA_TTABLE || !lua_getmetatable(L, idx))
        return NULL;
    lua_getfield(L, -1, "__fuse_type");
    const rt_type *t = lua_touserdata(L, -1);
    lua_pop(L, 2);
    for (size_t i = 0; t && rt_types[i]; i++)
        if (rt_types[i] == t)
            return t;
    return NULL;
}

/* Converts a constructor's table to fields: every key a field name, every
 * value convertible. Returns NULL with "File: ..." in err. */
static fv *tf_fields(lua_State *L, int idx, const rt_type *t, strbuf *err)
{
    fv *fields = fv_map();
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        if (lua_type(L, -2) != LUA_TSTRING) {
            sb_addf(err, "%s: fields are named (%s { name = ... }), not positional", t->name,
                    t->name);
            lua_pop(L, 2);
            fv_free(fields);
            return NULL;
        }
        const char *key = lua_tostring(L, -2);
        strbuf why = STRBUF_INIT;
        fv *v = lc_tofv(L, -1, key, &why);
        lua_pop(L, 1);
        if (!v) {
            sb_addf(err, "%s: %s", t->name, why.buf);
            sb_release(&why);
            lua_pop(L, 1);
            fv_free(fields);
            return NULL;
        }
        fv_set(fields, key, v);
    }
    return fields;
}

/* Makes a relative File.source or Directory.source absolute against dir;
 * returns 1 when it changed: relative paths belong to the file defining the
 * task (fusefile(5)). */
static int tf_resolve_source(const rt_type *t, fv *fields, const char *dir)
{
    const fv *src = fv_get(fields, "source");
    if ((strcmp(t->name, "File") != 0 && strcmp(t->name, "Directory") != 0) ||
        fv_get(fields, "from") || !src || src->kind != FV_STR || src->len == 0 ||
        src->str[0] == '/')
        return 0;
    const char *rel = src->str;
    while (rel[0] == '.' && rel[1] == '/')
        rel += 2;
    strbuf abs = STRBUF_INIT;
    sb_addf(&abs, "%s/%s", dir, rel);
    fv_set(fields, "source", fv_str(abs.buf, abs.len));
    sb_release(&abs);
    return 1;
}

/* The directory relative sources resolve against: the running task's, or
 * (outside any task) the calling file's. */
static char *tf_source_dir(lua_State *L)
{
    tf_host *h = tf_of(L);
    return h->running ? xstrdup(h->running->dir) : tf_caller_dir(L, 1);
}

/* File { ... }, Package { ... }: upvalue 1 is the rt_type. Validates the
 * table now, so a bad resource is reported where it was written, and marks
 * it with the type's metatable. Returns the same table. */
static int tf_construct(lua_State *L)
{
    const rt_type *t = lua_touserdata(L, lua_upvalueindex(1));
    if (lua_type(L, 1) != LUA_TTABLE)
        return tf_deferrorf(L, "%s expects a table of fields (%s { name = ... }), got %s", t->name,
                            t->name, luaL_typename(L, 1));
    lua_settop(L, 1);
    strbuf err = STRBUF_INIT;
    fv *fields = tf_fields(L, 1, t, &err);
    if (!fields)
        return tf_deferror(L, &err);
    char *dir = tf_source_dir(L);
    int moved = tf_resolve_source(t, fields, dir);
    free(dir);
    if (rt_validate(t, fields, &err) < 0) {
        fv_free(fields);
        return tf_deferror(L, &err);
    }
    if (moved) {
        const fv *src = fv_get(fields, "source");
        lua_pushlstring(L, src->str, src->len);
        lua_setfield(L, 1, "source");
    }
    fv_free(fields);
    tf_push_resmt(L, t);
    lua_setmetatable(L, 1);
    tf_of(L)->made++;
    return 1;
}

/* __tostring of resources: "File[/index.html]". */
static int tf_res_tostring(lua_State *L)
{
    const rt_type *t = tf_restype(L, 1);
    strbuf err = STRBUF_INIT, id = STRBUF_INIT;
    fv *fields = t ? tf_fields(L, 1, t, &err) : NULL;
    if (fields)
        rt_ident(t, fields, &id);
    else
        sb_adds(&id, t ? t->name : "resource");
    lua_pushlstring(L, id.buf, id.len);
    fv_free(fields);
    sb_release(&err);
    sb_release(&id);
    return 1;
}

/* A File.source must be a readable regular file, a Directory.source a
 * readable directory whose .fuseignore parses: anything else would pass
 * here and only fail in the build, without the yield's line. Under -n,
 * once sh() has printed a command instead of running it, a source that
 * does not exist yet is let through: the command may be what makes it. */
static int tf_check_source(const rt_type *t, const char *src, int dry_run, strbuf *err)
{
    struct stat st;
    if (!src)
        return 0;
    if (dry_run && lstat(src, &st) != 0 && errno == ENOENT)
        return 0;
    if (strcmp(t->name, "Directory") == 0) {
        /* A tree must be there and its .fuseignore parse when it is
         * yielded, so the error names this line; it is walked at the build. */
        size_t len = err->len;
        sb_adds(err, "Directory: ");
        if (tree_check(src, err) < 0)
            return -1;
        sb_setlen(err, len);
        return 0;
    }
    if (access(src, R_OK) != 0 || stat(src, &st) != 0) {
        sb_addf(err, "File: cannot read source %s: %s", src, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        sb_addf(err, "File: source %s is not a regular file", src);
        return -1;
    }
    return 0;
}

/* Every name of the resource's secrets field must be a secret the running
 * task declares: a typo would otherwise only show as a missing file in
 * the step. */
static int tf_check_secrets(const tf_host *h, const rt_type *t, const fv *fields, strbuf *err)
{
    const fv *names = fv_get(fields, "secrets");
    const fv *decl = h->running && h->running->decl ? fv_get(h->running->decl, "secrets") : NULL;
    for (size_t i = 0; names && names->kind == FV_LIST && i < names->n; i++) {
        const char *n = names->items[i]->str;
        if (decl && decl->kind == FV_MAP && fv_get(decl, n))
            continue;
        strbuf id = STRBUF_INIT;
        rt_ident(t, fields, &id);
        sb_addf(err, "%s: secret \"%s\" is not declared in the task's secrets", id.buf, n);
        sb_release(&id);
        return -1;
    }
    return 0;
}

/* Validates the value at idx of L (a resource made by a constructor) and
 * appends it to b. where names the line that handed it over. Returns 0, or
 * -1 with one line in err (no position: the caller adds it). */
int tf_take(lua_State *L, int idx, bundle *b, const char *what, const char *where, strbuf *err)
{
    const rt_type *t = tf_restype(L, idx);
    if (!t) {
        sb_addf(err, "%s expects a resource (File{...}, Package{...}, ...), got %s", what,
                lua_isnone(L, idx) ? "no value" : luaL_typename(L, idx));
        return -1;
    }
    fv *fields = tf_fields(L, lua_absindex(L, idx), t, err);
    if (!fields)
        return -1;
    char *dir = tf_source_dir(L);
    tf_resolve_source(t, fields, dir);
    free(dir);
    const tf_host *h = tf_of(L);
    int dry_run = h->flags && h->flags->dry_run && h->dry_sh > 0;
    /* With from, source is a path inside that image, not on this host. */
    const char *src = fv_get(fields, "from") ? NULL : fv_gets(fields, "source");
    if (tf_check_source(t, src, dry_run, err) < 0 || tf_check_secrets(h, t, fields, err) < 0) {
        fv_free(fields);
        return -1;
    }
    if (bundle_add(b, t, fields, where, err) < 0) {
        fv_free(fields);
        return -1;
    }
    return 0;
}

/* Stack: the core table. Adds core.resources = { File = ..., ... }, each
 * type with its metatable. */
void tf_resource_open(lua_State *L)
{
    lua_newtable(L);
    for (size_t i = 0; rt_types[i]; i++) {
        const rt_type *t = rt_types[i];
        tf_push_resmt(L, t);
        if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            lua_newtable(L);
            lua_pushfstring(L, "fuse.%s", t->name);
            lua_pushvalue(L, -2);
            lua_rawset(L, LUA_REGISTRYINDEX);
        }
        lua_pushlightuserdata(L, (void *)t);
        lua_setfield(L, -2, "__fuse_type");
        lua_pushstring(L, t->name);
        lua_setfield(L, -2, "__name");
        lua_pushcfunction(L, tf_res_tostring);
        lua_setfield(L, -2, "__tostring");
        lua_pop(L, 1);
        lua_pushlightuserdata(L, (void *)t);
        lua_pushcclosure(L, tf_construct, 1);
        lua_setfield(L, -2, t->name);
    }
    lua_setfield(L, -2, "resources");
}

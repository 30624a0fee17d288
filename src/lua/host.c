/* host.c -- the Lua host's core: where user code runs, errors raised into Lua
 * at the user's line, and the --timeout count hook. */
#include "host.h"

#include "cancel.h"
#include "prelude.h"

#include <stdlib.h>
#include <string.h>

static int tf_is_prelude(const char *source)
{
    for (const prelude_module *m = prelude_modules; m->name; m++)
        if (strcmp(m->chunk, source) == 0)
            return 1;
    return 0;
}

/* Finds the innermost frame of the user's own Lua code, from level on: C
 * functions and the prelude do not count, so messages point at task files. */
static int tf_user_frame(lua_State *L, int level, lua_Debug *ar)
{
    for (; lua_getstack(L, level, ar); level++) {
        if (!lua_getinfo(L, "Sl", ar))
            continue;
        if (ar->currentline > 0 && !tf_is_prelude(ar->source))
            return 1;
    }
    return 0;
}

/* Appends "fusefile.lua:7" for the user's frame, or nothing when there is none. */
int tf_where(lua_State *L, int level, strbuf *out)
{
    lua_Debug ar;
    if (!tf_user_frame(L, level, &ar))
        return 0;
    sb_addf(out, "%s:%d", ar.short_src, ar.currentline);
    return 1;
}

/* --timeout: fuse's SIGALRM handler records a cancel (cancel.h); the count
 * hook every task file runs under sees it within TF_HOOK_COUNT instructions
 * and raises the timeout at the user's line, so a runaway loop or a
 * coroutine that never yields ends like any other task error. */

int tf_timeout_error(lua_State *L)
{
    strbuf msg = STRBUF_INIT;
    if (tf_where(L, 0, &msg))
        sb_adds(&msg, ": ");
    sb_addf(&msg, "task timed out after %u s", cancel_timeout());
    cancel_timeout_reported();
    lua_pushlstring(L, msg.buf, msg.len);
    sb_release(&msg);
    return lua_error(L);
}

void tf_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    if (cancel_pending() != CANCEL_TIMEOUT)
        return;
    /* From now on every instruction raises it again, so a pcall in a loop
     * cannot swallow the timeout for more than one iteration. */
    lua_sethook(L, tf_hook, LUA_MASKCOUNT, 1);
    tf_timeout_error(L);
}

char *tf_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return xstrdup(".");
    if (slash == path)
        return xstrdup("/");
    return xmemdup(path, (size_t)(slash - path));
}

/* The directory of the file the user's code at level runs from: a task file,
 * a module of the project's lua/, or else the project root. */
char *tf_caller_dir(lua_State *L, int level)
{
    tf_host *h = tf_of(L);
    lua_Debug ar;
    if (tf_user_frame(L, level, &ar)) {
        for (size_t i = 0; i < h->nfiles; i++)
            if (strcmp(h->files[i].source, ar.source) == 0)
                return xstrdup(h->files[i].dir);
        if (ar.source[0] == '@') {
            char *real = realpath(ar.source + 1, NULL);
            if (real) {
                char *dir = tf_dirname(real);
                free(real);
                return dir;
            }
        }
    }
    return xstrdup(h->root);
}

/* Raises msg as a task-file error at the user's line (or at where when
 * given; "" for none) and remembers it, so a task that dies of it exits 2, not 1. The
 * message is copied onto the Lua stack first: nothing C-allocated may be
 * pending when lua_error unwinds. Consumes msg. */
int tf_deferror_at(lua_State *L, const char *where, strbuf *msg)
{
    tf_host *h = tf_of(L);
    strbuf full = STRBUF_INIT;
    if (!where) {
        if (tf_where(L, 1, &full))
            sb_adds(&full, ": ");
    } else if (*where) {
        sb_addf(&full, "%s: ", where);
    }
    sb_add(&full, msg->buf, msg->len);
    sb_release(msg);
    sb_reset(&h->deferr);
    sb_add(&h->deferr, full.buf, full.len);
    lua_pushlstring(L, full.buf, full.len);
    sb_release(&full);
    return lua_error(L);
}

int tf_deferror(lua_State *L, strbuf *msg)
{
    return tf_deferror_at(L, NULL, msg);
}

int tf_deferrorf(lua_State *L, const char *fmt, ...)
{
    strbuf msg = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    sb_vaddf(&msg, fmt, ap);
    va_end(ap);
    return tf_deferror(L, &msg);
}

/* ---- globals read as nil ----
 * A misspelt or not yet defined name in a resource's table
 * (File { from = builderr, ... }) is nil, and a nil field is no field at
 * all: the resource would silently be another one (a host file instead of
 * an artifact). Lua cannot tell the field was written; the read of the
 * name can: the file's environment (registry.c) notes every global read as
 * nil, and forgets it at every read of a function, since the constructor's
 * own name (File, docker_container) is read just before its table. A
 * constructor that finds a note of its caller's file, at or below the line
 * of its call, raises it. */

void tf_miss_note(lua_State *L, const char *name)
{
    tf_host *h = tf_of(L);
    lua_Debug ar;
    int found = 0;
    /* The first Lua frame is the reader: between it and us sits at most the
     * __index of a parent environment (tasks/web.lua falls back on
     * fusefile.lua's). */
    for (int level = 1; !found && lua_getstack(L, level, &ar) && lua_getinfo(L, "Sl", &ar); level++)
        found = ar.currentline > 0;
    h->miss_line = 0;
    if (!found || tf_is_prelude(ar.source))
        return;
    sb_reset(&h->miss_name);
    sb_adds(&h->miss_name, name);
    sb_reset(&h->miss_src);
    sb_adds(&h->miss_src, ar.source);
    h->miss_line = ar.currentline;
}

void tf_miss_clear(lua_State *L)
{
    tf_of(L)->miss_line = 0;
}

void tf_miss_check(lua_State *L, const char *what)
{
    tf_host *h = tf_of(L);
    lua_Debug ar;
    int line = h->miss_line;
    h->miss_line = 0;
    if (!line || !lua_getstack(L, 1, &ar) || !lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0 ||
        line < ar.currentline || strcmp(ar.source, h->miss_src.buf) != 0)
        return;
    strbuf msg = STRBUF_INIT, where = STRBUF_INIT;
    sb_addf(&where, "%s:%d", ar.short_src, line);
    sb_addf(&msg,
            "%s: %s is nil: no global of that name is defined (misspelt, or defined further "
            "down?)",
            what, h->miss_name.buf);
    /* where moves onto the Lua stack: nothing C-allocated may be pending
     * when the error unwinds. */
    lua_pushlstring(L, where.buf, where.len);
    sb_release(&where);
    tf_deferror_at(L, lua_tostring(L, -1), &msg);
}

/* Whether the error text that ended a task is a definition error raised
 * earlier: the prelude's yield adds its own position in front, so compare
 * the end. */
int tf_is_deferr(const tf_host *h, const char *msg)
{
    size_t n = strlen(msg), d = h->deferr.len;
    return d && n >= d && memcmp(msg + n - d, h->deferr.buf, d) == 0;
}

static int tf_tolstring(lua_State *L)
{
    luaL_tolstring(L, 1, NULL);
    return 1;
}

/* Appends the text of the error value at idx of L: strings and numbers as
 * they are, objects through __tostring, anything else as "(error object is a
 * table value)" placed at the user's line found on thread co. */
void tf_errtext(lua_State *L, int idx, lua_State *co, int level, strbuf *out)
{
    idx = lua_absindex(L, idx);
    int t = lua_type(L, idx);
    if (t == LUA_TSTRING || t == LUA_TNUMBER) {
        size_t len;
        lua_pushvalue(L, idx);
        const char *s = lua_tolstring(L, -1, &len);
        sb_add(out, s, len);
        lua_pop(L, 1);
        return;
    }
    if (luaL_getmetafield(L, idx, "__tostring") != LUA_TNIL) {
        lua_pop(L, 1);
        lua_pushcfunction(L, tf_tolstring);
        lua_pushvalue(L, idx);
        if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_type(L, -1) == LUA_TSTRING) {
            sb_adds(out, lua_tostring(L, -1));
            lua_pop(L, 1);
            return;
        }
        lua_pop(L, 1);
    }
    if (tf_where(co, level, out))
        sb_adds(out, ": ");
    sb_addf(out, "(error object is a %s value)", luaL_typename(L, idx));
}

/* The message handler of every pcall into task files: makes the error a
 * string and, with -v, appends a traceback as detail lines. */
int tf_msgh(lua_State *L)
{
    tf_host *h = tf_of(L);
    strbuf msg = STRBUF_INIT;
    tf_errtext(L, 1, L, 1, &msg);
    lua_pushlstring(L, msg.buf, msg.len);
    sb_release(&msg);
    if (h->flags && h->flags->verbose)
        luaL_traceback(L, L, lua_tostring(L, -1), 1);
    return 1;
}

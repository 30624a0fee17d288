/* taskfile.c -- the Lua host: loads task files and runs tasks (DESIGN §2).
 *
 * One lua_State holds every task file. Each file runs in its own environment
 * whose __newindex sees every global assignment: a task object assigned to a
 * global becomes the task of that name. A docker_container task runs as a
 * coroutine; each value it yields comes back here to be validated and
 * appended to the bundle, and the verdict is resumed into the coroutine,
 * where the prelude's yield raises a rejection at the user's line.
 *
 * Exit statuses: 2 for anything wrong with the task file itself (syntax, a
 * bad option or resource, a duplicate, bad arguments), 1 for a task that
 * failed while running (a Lua runtime error, sh, the build). A definition
 * error raised inside a running task is remembered (h->deferr) so the
 * error that ends the task can still be told apart. */
#include "taskfile.h"

#include "build.h"
#include "bundle.h"
#include "fvjson.h"
#include "luaconv.h"
#include "mem.h"
#include "options.h"
#include "prelude.h"
#include "restype.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define TF_TASK_MT "fuse.Task"
#define TF_BUNDLE_MT "fuse.ResourceBundle"
#define TF_BUILDER_MT "fuse.DockerBuilder"
#define TF_MAX_DEPTH 32 /* tasks running tasks */

#if LUA_VERSION_RELEASE_NUM >= 50406
#define tf_closethread(co, from) lua_closethread(co, from)
#else
#define tf_closethread(co, from) ((void)(from), lua_resetthread(co))
#endif

typedef struct tf_file {
    char *source; /* the chunk name, "@fusefile.lua" */
    char *dir;    /* absolute directory holding the file */
} tf_file;

/* A task object, the userdata docker_container/task return. User value 1
 * is the task's function. */
typedef struct tf_obj {
    int is_container;
    fv *decl;    /* the validated options (FV_MAP or empty FV_LIST) */
    char *where; /* "fusefile.lua:2" */
    char *dir;   /* relative File.source paths resolve against this */
} tf_obj;

typedef struct tf_task {
    tf_info info; /* the strings are owned */
    tf_obj *obj;
    int ref; /* registry reference keeping the object alive */
} tf_task;

struct tf_host {
    lua_State *L;
    char *root; /* absolute: the project root, or the -f file's directory */
    tf_file *files;
    size_t nfiles;
    tf_task *tasks;
    size_t ntasks, cap;
    int loading;           /* assignments register tasks only while files load */
    strbuf deferr;         /* the last definition error raised into Lua */
    int depth;             /* tasks currently running (other:run nests) */
    const tf_obj *running; /* the innermost running task, for relative paths */
    const tf_flags *flags; /* of the current tf_run */
    FILE *out;
    int interrupted;
};

typedef struct tf_builder {
    fv *opts;
} tf_builder;

static tf_host *tf_of(lua_State *L)
{
    return *(tf_host **)lua_getextraspace(L);
}

/* ---- where things happen ---- */

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
static int tf_where(lua_State *L, int level, strbuf *out)
{
    lua_Debug ar;
    if (!tf_user_frame(L, level, &ar))
        return 0;
    sb_addf(out, "%s:%d", ar.short_src, ar.currentline);
    return 1;
}

/* ---- --timeout ---- */

/* fuse's SIGALRM handler calls tf_expire(); the count hook every task file
 * runs under sees the flag within TF_HOOK_COUNT instructions and raises the
 * timeout at the user's line, so a runaway loop or a coroutine that never
 * yields ends like any other task error. */
#define TF_HOOK_COUNT 10000

static volatile sig_atomic_t tf_expired_flag;
static unsigned tf_limit; /* seconds, for the message; 0: no hook */

void tf_set_timeout(unsigned seconds)
{
    tf_limit = seconds;
}

void tf_expire(void)
{
    tf_expired_flag = 1;
}

int tf_expired(void)
{
    return tf_expired_flag;
}

static int tf_timeout_error(lua_State *L)
{
    strbuf msg = STRBUF_INIT;
    if (tf_where(L, 0, &msg))
        sb_adds(&msg, ": ");
    sb_addf(&msg, "task timed out after %u s", tf_limit);
    lua_pushlstring(L, sb_str(&msg), msg.len);
    sb_release(&msg);
    return lua_error(L);
}

static void tf_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    if (!tf_expired_flag)
        return;
    /* From now on every instruction raises it again, so a pcall in a loop
     * cannot swallow the timeout for more than one iteration. */
    lua_sethook(L, tf_hook, LUA_MASKCOUNT, 1);
    tf_timeout_error(L);
}

static char *tf_dirname(const char *path)
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
static char *tf_caller_dir(lua_State *L, int level)
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
static int tf_deferror_at(lua_State *L, const char *where, strbuf *msg)
{
    tf_host *h = tf_of(L);
    strbuf full = STRBUF_INIT;
    if (!where) {
        if (tf_where(L, 1, &full))
            sb_adds(&full, ": ");
    } else if (*where) {
        sb_addf(&full, "%s: ", where);
    }
    sb_add(&full, msg->buf ? msg->buf : "", msg->len);
    sb_release(msg);
    sb_reset(&h->deferr);
    sb_add(&h->deferr, sb_str(&full), full.len);
    lua_pushlstring(L, sb_str(&full), full.len);
    sb_release(&full);
    return lua_error(L);
}

static int tf_deferror(lua_State *L, strbuf *msg)
{
    return tf_deferror_at(L, NULL, msg);
}

static int tf_deferrorf(lua_State *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int tf_deferrorf(lua_State *L, const char *fmt, ...)
{
    strbuf msg = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    sb_vaddf(&msg, fmt, ap);
    va_end(ap);
    return tf_deferror(L, &msg);
}

/* Whether the error text that ended a task is a definition error raised
 * earlier: the prelude's yield adds its own position in front, so compare
 * the end. */
static int tf_is_deferr(const tf_host *h, const char *msg)
{
    size_t n = strlen(msg), d = h->deferr.len;
    return d && n >= d && memcmp(msg + n - d, h->deferr.buf, d) == 0;
}

/* ---- error values ---- */

static int tf_tolstring(lua_State *L)
{
    luaL_tolstring(L, 1, NULL);
    return 1;
}

/* Appends the text of the error value at idx of L: strings and numbers as
 * they are, objects through __tostring, anything else as "(error object is a
 * table value)" placed at the user's line found on thread co. */
static void tf_errtext(lua_State *L, int idx, lua_State *co, int level, strbuf *out)
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
static int tf_msgh(lua_State *L)
{
    tf_host *h = tf_of(L);
    strbuf msg = STRBUF_INIT;
    tf_errtext(L, 1, L, 1, &msg);
    lua_pushlstring(L, sb_str(&msg), msg.len);
    sb_release(&msg);
    if (h->flags && h->flags->verbose)
        luaL_traceback(L, L, lua_tostring(L, -1), 1);
    return 1;
}

/* ---- Lua tables to resources ---- */

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
            sb_addf(err, "%s: %s", t->name, sb_str(&why));
            sb_release(&why);
            lua_pop(L, 1);
            fv_free(fields);
            return NULL;
        }
        fv_set(fields, key, v);
    }
    return fields;
}

/* Makes a relative File.source absolute against dir; returns 1 when it
 * changed. DESIGN §2: relative paths belong to the file defining the task. */
static int tf_resolve_source(const rt_type *t, fv *fields, const char *dir)
{
    const fv *src = fv_get(fields, "source");
    if (strcmp(t->name, "File") != 0 || !src || src->kind != FV_STR || src->len == 0 ||
        src->str[0] == '/')
        return 0;
    const char *rel = src->str;
    while (rel[0] == '.' && rel[1] == '/')
        rel += 2;
    strbuf abs = STRBUF_INIT;
    sb_addf(&abs, "%s/%s", dir, rel);
    fv_set(fields, "source", fv_str(sb_str(&abs), abs.len));
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
    lua_pushlstring(L, sb_str(&id), id.len);
    fv_free(fields);
    sb_release(&err);
    sb_release(&id);
    return 1;
}

/* Validates the value at idx of L (a resource made by a constructor) and
 * appends it to b. where names the line that handed it over. Returns 0, or
 * -1 with one line in err (no position: the caller adds it). */
static int tf_take(lua_State *L, int idx, bundle *b, const char *what, const char *where,
                   strbuf *err)
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
    const char *src = fv_gets(fields, "source");
    if (src && access(src, R_OK) != 0) {
        sb_addf(err, "File: cannot read source %s: %s", src, strerror(errno));
        fv_free(fields);
        return -1;
    }
    if (bundle_add(b, t, fields, where, err) < 0) {
        fv_free(fields);
        return -1;
    }
    return 0;
}

/* ---- ResourceBundle ---- */

static bundle *tf_checkbundle(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, TF_BUNDLE_MT);
}

static bundle *tf_newbundle(lua_State *L)
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
    int rc = tf_take(L, 2, b, "add", sb_str(&where), &err);
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
        lua_pushlstring(L, sb_str(&out), out.len);
        sb_release(&out);
        return lua_error(L);
    }
    lua_pushlstring(L, sb_str(&out), out.len);
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

/* ---- options and arguments ---- */

/* Converts an options table to a validated fv, or raises at the user's line. */
static fv *tf_checkopts(lua_State *L, int idx, int is_container)
{
    strbuf err = STRBUF_INIT, why = STRBUF_INIT;
    fv *decl = lc_tofv(L, idx, "options", &why);
    if (!decl) {
        sb_addf(&err, "%s: %s", is_container ? "docker_container" : "task", sb_str(&why));
        sb_release(&why);
        tf_deferror(L, &err);
        return NULL; /* not reached: tf_deferror raises */
    }
    if (opt_check_decl(decl, is_container, &err) < 0) {
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

static int tf_accepts(const char *accepted, const char *key)
{
    size_t n = strlen(key);
    for (const char *p = accepted; (p = strstr(p, key)) != NULL; p += n)
        if ((p == accepted || p[-2] == ',') && (p[n] == '\0' || p[n] == ','))
            return 1;
    return 0;
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
    strbuf accepted = STRBUF_INIT, bad = STRBUF_INIT;
    opt_accepted(o->decl, o->is_container, &accepted);
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
        if (!tf_accepts(sb_str(&accepted), key)) {
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
                sb_addf(err, "run: %s", sb_str(&why));
                sb_release(&why);
                lua_pop(L, 2);
                goto done;
            }
            fv_set(eff, key, v);
        }
        lua_pop(L, 1);
    }
    if (bad.len) {
        sb_addf(err, "the following parameters were not understood: %s (accepted: %s)",
                sb_str(&bad), sb_str(&accepted));
        goto done;
    }
    if (opt_check_decl(eff, o->is_container, err) == 0)
        args = opt_merge(eff, o->is_container, kvs.kv, kvs.n, err);
done:
    sb_release(&accepted);
    sb_release(&bad);
    tf_kvs_free(&kvs);
    fv_free(eff);
    return args;
}

/* ---- running tasks ---- */

static tf_obj *tf_checktask(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, TF_TASK_MT);
}

/* Runs the generator of a docker_container task on a new coroutine, taking
 * each yielded resource into b. Stack of L: unchanged. Returns 0, or 1/2
 * with the error text in err. */
static int tf_generate(tf_host *h, lua_State *L, int objidx, int bidx, const fv *args, strbuf *err)
{
    bundle *b = lua_touserdata(L, bidx);
    lua_State *co = lua_newthread(L);
    lua_getiuservalue(L, objidx, 1);
    lua_pushvalue(L, bidx);
    lc_push(L, args);
    lua_xmove(L, co, 3);
    int nargs = 2, status = 0;
    for (;;) {
        int nres = 0;
        int rc = lua_resume(co, L, nargs, &nres);
        if (rc == LUA_OK)
            break;
        if (rc != LUA_YIELD) {
            /* Stack of co: the error value on top, the frames still there. */
            lua_xmove(co, L, 1);
            strbuf msg = STRBUF_INIT;
            tf_errtext(L, -1, co, 0, &msg);
            lua_pop(L, 1);
            if (h->flags && h->flags->verbose) {
                luaL_traceback(L, co, sb_str(&msg), 0);
                sb_reset(&msg);
                sb_adds(&msg, lua_tostring(L, -1));
                lua_pop(L, 1);
            }
            status = tf_is_deferr(h, sb_str(&msg)) ? 2 : 1;
            sb_add(err, sb_str(&msg), msg.len);
            sb_release(&msg);
            tf_closethread(co, L);
            break;
        }
        strbuf where = STRBUF_INIT, why = STRBUF_INIT;
        tf_where(co, 0, &where);
        int ok = tf_take(co, nres ? -nres : 1, b, "yield", sb_str(&where), &why) == 0;
        sb_release(&where);
        lua_pop(co, nres);
        lua_pushboolean(co, ok);
        nargs = 1;
        if (!ok) {
            /* The prelude's yield raises it with the task file's position. */
            sb_reset(&h->deferr);
            sb_add(&h->deferr, sb_str(&why), why.len);
            lua_pushlstring(co, sb_str(&why), why.len);
            nargs = 2;
        }
        sb_release(&why);
    }
    lua_pop(L, 1); /* the thread */
    return status;
}

/* Runs a plain task's function with args. Stack of L: unchanged. */
static int tf_call(tf_host *h, lua_State *L, int objidx, const fv *args, strbuf *err)
{
    lua_pushcfunction(L, tf_msgh);
    lua_getiuservalue(L, objidx, 1);
    lc_push(L, args);
    if (lua_pcall(L, 1, 0, -3) == LUA_OK) {
        lua_pop(L, 1);
        return 0;
    }
    const char *msg = lua_tostring(L, -1);
    sb_adds(err, msg ? msg : "(error)");
    int status = tf_is_deferr(h, sb_str(err)) ? 2 : 1;
    lua_pop(L, 2);
    return status;
}

/* Builds (or with -n prints) the image of a container task. */
static int tf_build(tf_host *h, const fv *args, const bundle *b, strbuf *err)
{
    static const tf_flags none = {0, 0, 0, 0};
    const tf_flags *f = h->flags ? h->flags : &none;
    FILE *out = h->out ? h->out : stdout;
    const fv *nc = fv_get(args, "no_cache");
    build_flags bf = {.verbose = f->verbose,
                      .quiet = f->quiet,
                      .no_cache = f->no_cache || (nc && nc->kind == FV_BOOL && nc->b)};
    int rc = f->dry_run ? build_dry_run(args, b, out, err) : build_run(args, b, &bf, out, err);
    if (rc == BUILD_INTERRUPTED)
        h->interrupted = 1;
    return rc == 0 ? 0 : rc == BUILD_INTERRUPTED ? 130 : 1;
}

/* Runs the task object at objidx with args. Never raises. Returns 0, 1, 2
 * or 130 with err set; *built is set when the failure came from the build
 * (whose message carries no position). */
static int tf_exec(tf_host *h, lua_State *L, int objidx, const fv *args, strbuf *err, int *built)
{
    tf_obj *o = lua_touserdata(L, objidx);
    const tf_obj *outer = h->running;
    *built = 0;
    if (h->depth >= TF_MAX_DEPTH) {
        sb_addf(err, "tasks run each other more than %d deep (a task running itself?)",
                TF_MAX_DEPTH);
        return 2;
    }
    if (!lua_checkstack(L, 8)) {
        sb_adds(err, "out of Lua stack");
        return 1;
    }
    h->depth++;
    h->running = o;
    int status;
    if (o->is_container) {
        tf_newbundle(L);
        status = tf_generate(h, L, objidx, lua_gettop(L), args, err);
        if (status == 0) {
            status = tf_build(h, args, lua_touserdata(L, -1), err);
            *built = status != 0;
        }
        lua_pop(L, 1);
    } else {
        status = tf_call(h, L, objidx, args, err);
    }
    h->running = outer;
    h->depth--;
    return status;
}

/* other_task:run { ... } from Lua: runs it now, raising on failure. */
static int tf_task_run(lua_State *L)
{
    tf_host *h = tf_of(L);
    tf_obj *o = tf_checktask(L, 1);
    strbuf err = STRBUF_INIT;
    fv *args;
    if (lua_isnoneornil(L, 2)) {
        args = opt_merge(o->decl, o->is_container, NULL, 0, &err);
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
    sb_add(&msg, sb_str(&err), err.len);
    sb_release(&err);
    if (status == 2)
        return tf_deferror_at(L, "", &msg);
    lua_pushlstring(L, sb_str(&msg), msg.len);
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
    lua_pushfstring(L, "%s task defined at %s", o->is_container ? "docker_container" : "plain",
                    o->where);
    return 1;
}

/* ---- docker_container and task ---- */

/* Makes the task object for the function at fnidx; takes decl. */
static int tf_newtask(lua_State *L, int is_container, fv *decl, int fnidx)
{
    strbuf where = STRBUF_INIT;
    if (!tf_where(L, 1, &where))
        sb_adds(&where, "?");
    char *dir = tf_caller_dir(L, 1);
    tf_obj *o = lua_newuserdatauv(L, sizeof *o, 1);
    o->is_container = is_container;
    o->decl = decl;
    o->where = sb_detach(&where, NULL);
    o->dir = dir;
    luaL_setmetatable(L, TF_TASK_MT);
    lua_pushvalue(L, fnidx);
    lua_setiuservalue(L, -2, 1);
    return 1;
}

/* The function docker_container { ... } returns; upvalue 1 is the options
 * table, upvalue 2 whether it is a container. Completes the task. */
static int tf_definer(lua_State *L)
{
    int is_container = (int)lua_tointeger(L, lua_upvalueindex(2));
    const char *kind = is_container ? "docker_container" : "task";
    if (lua_type(L, 1) != LUA_TFUNCTION)
        return tf_deferrorf(L, "%s { ... } expects a function: %s { ... } (function (%s) ... end)",
                            kind, kind, is_container ? "bundle, args" : "args");
    fv *decl = tf_checkopts(L, lua_upvalueindex(1), is_container);
    return tf_newtask(L, is_container, decl, 1);
}

static int tf_define(lua_State *L, int is_container)
{
    const char *kind = is_container ? "docker_container" : "task";
    if (lua_type(L, 1) == LUA_TFUNCTION)
        return tf_newtask(L, is_container, fv_map(), 1);
    if (lua_type(L, 1) != LUA_TTABLE)
        return tf_deferrorf(L, "%s expects an options table or a function, got %s", kind,
                            luaL_typename(L, 1));
    /* Checked now, so a bad option is reported at its own line. */
    fv_free(tf_checkopts(L, 1, is_container));
    lua_settop(L, 1);
    lua_pushinteger(L, is_container);
    lua_pushcclosure(L, tf_definer, 2);
    return 1;
}

static int tf_docker_container(lua_State *L)
{
    return tf_define(L, 1);
}

static int tf_plain_task(lua_State *L)
{
    return tf_define(L, 0);
}

/* ---- sh ---- */

/* sh(cmd): runs /bin/sh -c cmd with the terminal's stdin/stdout/stderr.
 * Returns true; raises "sh: command exited with status 3: false". With -n
 * it only prints the command. */
static int tf_sh(lua_State *L)
{
    tf_host *h = tf_of(L);
    const char *cmd = luaL_checkstring(L, 1);
    if (h->flags && h->flags->dry_run) {
        fprintf(h->out ? h->out : stdout, "sh: %s\n", cmd);
        lua_pushboolean(L, 1);
        return 1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return luaL_error(L, "sh: cannot fork: %s", strerror(errno));
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    int ws, killed = 0;
    while (waitpid(pid, &ws, 0) < 0) {
        if (errno != EINTR)
            return luaL_error(L, "sh: waitpid: %s", strerror(errno));
        /* --timeout expired while the command runs: end it, then the task. */
        if (tf_expired_flag && !killed)
            killed = kill(pid, SIGTERM) == 0;
    }
    if (tf_expired_flag && tf_limit)
        return tf_timeout_error(L);
    if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0) {
        lua_pushboolean(L, 1);
        return 1;
    }
    /* ^C reached the command too: the run was interrupted, not failed. */
    if (WIFSIGNALED(ws) && WTERMSIG(ws) == SIGINT)
        h->interrupted = 1;
    strbuf msg = STRBUF_INIT;
    if (tf_where(L, 1, &msg))
        sb_adds(&msg, ": ");
    if (WIFEXITED(ws))
        sb_addf(&msg, "sh: command exited with status %d: ", WEXITSTATUS(ws));
    else
        sb_addf(&msg, "sh: command killed by signal %d: ", WTERMSIG(ws));
    /* The command may span lines; the message's first line must stay one. */
    size_t len = strcspn(cmd, "\n");
    sb_add(&msg, cmd, len > 200 ? 200 : len);
    if (cmd[len] || len > 200)
        sb_adds(&msg, " ...");
    lua_pushlstring(L, sb_str(&msg), msg.len);
    sb_release(&msg);
    return lua_error(L);
}

/* ---- DockerBuilder ---- */

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
    const fv *nc = fv_get(args, "no_cache");
    build_flags bf = {.quiet = 1,
                      .no_cache = nc && nc->kind == FV_BOOL && nc->b,
                      .on_chunk = tf_builder_chunk,
                      .ud = msgs};
    /* With -n, as a container task: print the Dockerfile and the bundle and
     * build nothing; the iterator then gives no message. */
    FILE *out = h->out ? h->out : stdout;
    int rc = h->flags && h->flags->dry_run ? build_dry_run(args, b, out, &err)
                                           : build_run(args, b, &bf, out, &err);
    fv_free(args);
    if (rc != 0) {
        fv_free(msgs);
        strbuf msg = STRBUF_INIT;
        if (tf_where(L, 1, &msg))
            sb_adds(&msg, ": ");
        sb_add(&msg, sb_str(&err), err.len);
        sb_release(&err);
        lua_pushlstring(L, sb_str(&msg), msg.len);
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

/* ---- the state: metatables, fuse.core, the prelude ---- */

static void tf_newclass(lua_State *L, const char *name, const luaL_Reg *meta,
                        const luaL_Reg *methods)
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

static void tf_resource_types(lua_State *L)
{
    /* Stack: the core table. Adds core.resources = { File = ..., ... }. */
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
static int tf_setup(lua_State *L)
{
    static const luaL_Reg task_meta[] = {
        {"__gc", tf_task_gc}, {"__tostring", tf_task_tostring}, {NULL, NULL}};
    static const luaL_Reg task_methods[] = {{"run", tf_task_run}, {NULL, NULL}};
    static const luaL_Reg bundle_meta[] = {{"__gc", tf_bundle_gc},
                                           {"__len", tf_bundle_len},
                                           {"__tostring", tf_bundle_tostring},
                                           {NULL, NULL}};
    static const luaL_Reg bundle_methods[] = {
        {"add", tf_bundle_add}, {"dumps", tf_bundle_dumps}, {NULL, NULL}};
    static const luaL_Reg builder_meta[] = {{"__gc", tf_builder_gc}, {NULL, NULL}};
    static const luaL_Reg builder_methods[] = {{"build", tf_builder_build}, {NULL, NULL}};
    static const luaL_Reg core[] = {
        {"docker_container", tf_docker_container}, {"task", tf_plain_task},           {"sh", tf_sh},
        {"ResourceBundle", tf_bundle_new},         {"DockerBuilder", tf_builder_new}, {NULL, NULL}};
    const char *root = lua_touserdata(L, 1);

    luaL_openlibs(L);
    tf_newclass(L, TF_TASK_MT, task_meta, task_methods);
    tf_newclass(L, TF_BUNDLE_MT, bundle_meta, bundle_methods);
    tf_newclass(L, TF_BUILDER_MT, builder_meta, builder_methods);

    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    luaL_newlib(L, core);
    tf_resource_types(L);
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
    return 0;
}

/* ---- per-file environments and task registration ---- */

static tf_task *tf_lookup(const tf_host *h, const char *name)
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
    if (h->ntasks == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 16;
        h->tasks = xrealloc(h->tasks, h->cap * sizeof *h->tasks);
    }
    const char *desc = fv_gets(o->decl, "description");
    tf_task *t = &h->tasks[h->ntasks++];
    t->info.name = xstrdup(name);
    t->info.description = desc ? xstrdup(desc) : NULL;
    t->info.where = xstrdup(o->where);
    t->info.is_container = o->is_container;
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
    lua_gettable(L, lua_upvalueindex(2));
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
    if (lua_tocfunction(L, 3) == tf_definer)
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

/* ---- loading ---- */

static int tf_read(const char *path, strbuf *buf, strbuf *err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        sb_addf(err, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        sb_addf(err, "cannot open %s: %s", path, strerror(EISDIR));
        return -1;
    }
    if (sb_read_file(buf, path) < 0) {
        sb_addf(err, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static void tf_add_file(tf_host *h, const char *source, const char *dir)
{
    h->files = xrealloc(h->files, (h->nfiles + 1) * sizeof *h->files);
    h->files[h->nfiles].source = xstrdup(source);
    h->files[h->nfiles++].dir = xstrdup(dir);
}

/* Pushes a new environment for one file: reads fall back on the value at
 * parent (an absolute index), assignments go through tf_env_newindex with
 * the task-name prefix. */
static void tf_push_env(lua_State *L, int parent, const char *prefix)
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

/* Loads and runs one task file in its own environment. display is how
 * messages name it ("fusefile.lua:12: ..."), dir its absolute directory,
 * prefix the task-name prefix, parent the index of the environment it falls
 * back on. Leaves the new environment on the stack. Returns 0, or 2. */
static int tf_load(tf_host *h, const char *path, const char *display, const char *dir,
                   const char *prefix, int parent, strbuf *err)
{
    lua_State *L = h->L;
    strbuf src = STRBUF_INIT, chunk = STRBUF_INIT;
    if (tf_read(path, &src, err) < 0) {
        sb_release(&src);
        return 2;
    }
    /* A "#!" first line is skipped as lua(1) does, keeping line numbers. */
    if (src.len && src.buf[0] == '#')
        for (size_t i = 0; i < src.len && src.buf[i] != '\n'; i++)
            src.buf[i] = ' ';
    sb_addf(&chunk, "@%s", display);
    tf_add_file(h, sb_str(&chunk), dir);
    int rc = luaL_loadbufferx(L, sb_str(&src), src.len, sb_str(&chunk), "t");
    sb_release(&src);
    sb_release(&chunk);
    if (rc != LUA_OK) {
        sb_adds(err, lua_tostring(L, -1));
        lua_pop(L, 1);
        return 2;
    }
    tf_push_env(L, parent, prefix); /* Stack: chunk, env. */
    lua_insert(L, -2);              /* env, chunk */
    lua_pushvalue(L, -2);
    lua_setupvalue(L, -2, 1); /* the main chunk's only upvalue is _ENV */
    lua_pushcfunction(L, tf_msgh);
    lua_insert(L, -2); /* env, msgh, chunk */
    if (lua_pcall(L, 0, 0, -2) != LUA_OK) {
        sb_adds(err, lua_tostring(L, -1));
        lua_pop(L, 3);
        return 2;
    }
    lua_pop(L, 1);
    return 0;
}

static int tf_is_regular(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int tf_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.lua files of dir/tasks, sorted by name (byte order, not locale). */
static char **tf_task_files(const char *dir, size_t *n)
{
    strbuf path = STRBUF_INIT;
    sb_addf(&path, "%s/tasks", dir);
    DIR *d = opendir(sb_str(&path));
    char **names = NULL;
    *n = 0;
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            size_t len = strlen(e->d_name);
            if (e->d_name[0] == '.' || len <= 4 || strcmp(e->d_name + len - 4, ".lua") != 0)
                continue;
            strbuf file = STRBUF_INIT;
            sb_addf(&file, "%s/%s", sb_str(&path), e->d_name);
            int ok = tf_is_regular(sb_str(&file));
            sb_release(&file);
            if (!ok)
                continue;
            names = xrealloc(names, (*n + 1) * sizeof *names);
            names[(*n)++] = xstrdup(e->d_name);
        }
        closedir(d);
    }
    sb_release(&path);
    if (*n)
        qsort(names, *n, sizeof *names, tf_cmp_str);
    return names;
}

static void tf_free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static int tf_is_root(const char *dir)
{
    strbuf path = STRBUF_INIT;
    sb_addf(&path, "%s/fusefile.lua", dir);
    int yes = tf_is_regular(sb_str(&path));
    sb_release(&path);
    if (!yes) {
        size_t n;
        char **names = tf_task_files(dir, &n);
        tf_free_names(names, n);
        yes = n > 0;
    }
    return yes;
}

/* The project root: from the current directory upwards, the first one
 * holding fusefile.lua or tasks/NAME.lua. */
static char *tf_discover(strbuf *err)
{
    char *cwd = getcwd(NULL, 0);
    if (!cwd) {
        sb_addf(err, "cannot get the current directory: %s", strerror(errno));
        return NULL;
    }
    char *dir = xstrdup(cwd);
    for (;;) {
        if (tf_is_root(dir)) {
            free(cwd);
            return dir;
        }
        char *slash = strrchr(dir, '/');
        if (!slash || strcmp(dir, "/") == 0)
            break;
        if (slash == dir)
            slash[1] = '\0';
        else
            *slash = '\0';
    }
    sb_addf(err, "no fusefile.lua or tasks/ found in %s or any parent directory", cwd);
    free(cwd);
    free(dir);
    return NULL;
}

/* Loads fusefile.lua, then tasks/NAME.lua in name order; tasks files fall back
 * on fusefile.lua's globals, so they can use its helpers and tasks. */
static int tf_load_project(tf_host *h, strbuf *err)
{
    lua_State *L = h->L;
    int parent = lua_gettop(L); /* _G */
    strbuf path = STRBUF_INIT, dir = STRBUF_INIT;
    sb_addf(&path, "%s/fusefile.lua", h->root);
    int rc = 0;
    if (tf_is_regular(sb_str(&path))) {
        rc = tf_load(h, sb_str(&path), "fusefile.lua", h->root, "", parent, err);
        parent = lua_gettop(L);
    }
    size_t n;
    char **names = tf_task_files(h->root, &n);
    sb_addf(&dir, "%s/tasks", h->root);
    for (size_t i = 0; i < n && rc == 0; i++) {
        strbuf display = STRBUF_INIT, prefix = STRBUF_INIT;
        sb_reset(&path);
        sb_addf(&path, "%s/%s", sb_str(&dir), names[i]);
        sb_addf(&display, "tasks/%s", names[i]);
        sb_addf(&prefix, "%.*s.", (int)(strlen(names[i]) - 4), names[i]);
        rc =
            tf_load(h, sb_str(&path), sb_str(&display), sb_str(&dir), sb_str(&prefix), parent, err);
        if (rc == 0)
            lua_pop(L, 1);
        sb_release(&display);
        sb_release(&prefix);
    }
    tf_free_names(names, n);
    sb_release(&path);
    sb_release(&dir);
    return rc;
}

static int tf_cmp_task(const void *a, const void *b)
{
    return strcmp(((const tf_task *)a)->info.name, ((const tf_task *)b)->info.name);
}

int tf_open(tf_host **out, const char *fusefile, strbuf *err)
{
    *out = NULL;
    tf_host *h = xcalloc(1, sizeof *h);
    sb_init(&h->deferr);
    char *real = NULL;
    if (fusefile) {
        strbuf probe = STRBUF_INIT;
        int bad = tf_read(fusefile, &probe, err);
        sb_release(&probe);
        if (bad || !(real = realpath(fusefile, NULL))) {
            if (!bad)
                sb_addf(err, "cannot open %s: %s", fusefile, strerror(errno));
            free(h);
            return 2;
        }
        h->root = tf_dirname(real);
    } else if (!(h->root = tf_discover(err))) {
        free(h);
        return 2;
    }
    h->L = luaL_newstate();
    if (!h->L) {
        sb_adds(err, "cannot create the Lua state: out of memory");
        free(real);
        tf_close(h);
        return 2;
    }
    *(tf_host **)lua_getextraspace(h->L) = h;
    /* Threads made later (every task's coroutine) inherit the hook. */
    if (tf_limit)
        lua_sethook(h->L, tf_hook, LUA_MASKCOUNT, TF_HOOK_COUNT);
    lua_pushcfunction(h->L, tf_setup);
    lua_pushlightuserdata(h->L, h->root);
    if (lua_pcall(h->L, 1, 0, 0) != LUA_OK) {
        sb_addf(err, "cannot set up Lua: %s", lua_tostring(h->L, -1));
        free(real);
        tf_close(h);
        return 2;
    }
    h->loading = 1;
    lua_pushglobaltable(h->L);
    int rc =
        fusefile ? tf_load(h, fusefile, fusefile, h->root, "", 1, err) : tf_load_project(h, err);
    h->loading = 0;
    lua_settop(h->L, 0);
    free(real);
    if (rc != 0) {
        tf_close(h);
        return rc;
    }
    if (h->ntasks)
        qsort(h->tasks, h->ntasks, sizeof *h->tasks, tf_cmp_task);
    *out = h;
    return 0;
}

void tf_close(tf_host *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->ntasks; i++) {
        free((char *)h->tasks[i].info.name);
        free((char *)h->tasks[i].info.description);
        free((char *)h->tasks[i].info.where);
    }
    free(h->tasks);
    /* Closing runs the __gc of every task object, bundle and builder. */
    if (h->L)
        lua_close(h->L);
    for (size_t i = 0; i < h->nfiles; i++) {
        free(h->files[i].source);
        free(h->files[i].dir);
    }
    free(h->files);
    sb_release(&h->deferr);
    free(h->root);
    free(h);
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

/* ---- unknown tasks ---- */

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

static int tf_unknown(const tf_host *h, const char *name, strbuf *err)
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

/* ---- -d and running ---- */

int tf_display(tf_host *h, const char *name, FILE *out, strbuf *err)
{
    const tf_task *t = tf_lookup(h, name);
    if (!t)
        return tf_unknown(h, name, err);
    strbuf acc = STRBUF_INIT;
    opt_accepted(t->obj->decl, t->obj->is_container, &acc);
    fprintf(out, "%s\n", t->info.name);
    for (const char *d = t->info.description; d && *d;) {
        size_t len = strcspn(d, "\n");
        fprintf(out, "    %.*s\n", (int)len, d);
        d += len + (d[len] == '\n');
    }
    fprintf(out, "\n    %s, defined at %s\n    arguments: %s\n",
            t->info.is_container ? "docker_container" : "task", t->info.where, sb_str(&acc));
    sb_release(&acc);
    return 0;
}

int tf_run(tf_host *h, const cli_task *t, const tf_flags *f, FILE *out, strbuf *err)
{
    const tf_task *tk = tf_lookup(h, t->name);
    if (!tk)
        return tf_unknown(h, t->name, err);
    strbuf why = STRBUF_INIT;
    fv *args = opt_merge(tk->obj->decl, tk->obj->is_container, t->args, t->nargs, &why);
    if (!args) {
        sb_addf(err, "%s: %s", t->name, sb_str(&why));
        sb_release(&why);
        return 2;
    }
    lua_State *L = h->L;
    h->flags = f;
    h->out = out;
    h->interrupted = 0;
    sb_reset(&h->deferr);
    lua_settop(L, 0);
    lua_rawgeti(L, LUA_REGISTRYINDEX, tk->ref);
    int built;
    int status = tf_exec(h, L, 1, args, err, &built);
    lua_settop(L, 0);
    h->flags = NULL;
    h->out = NULL;
    fv_free(args);
    return status && h->interrupted ? 130 : status;
}

/* host.h -- what the files of the Lua host (src/lua) share; not for outside.
 *
 * The host is one module (prefix tf_) in several files: host.c (errors,
 * positions, the timeout hook), state.c (the Lua state), project.c and
 * registry.c (loading task files, naming tasks), runner.c (running a task),
 * and one file per Lua-facing object: resource.c, resbundle.c, task.c,
 * sh.c, builder.c. taskfile.h is its interface to the rest of fuse.
 *
 * Exit statuses: 2 for anything wrong with the task file itself (syntax, a
 * bad option or resource, a duplicate, bad arguments), 1 for a task that
 * failed while running (a Lua runtime error, sh, the build). A definition
 * error raised inside a running task is remembered (h->deferr) so the
 * error that ends the task can still be told apart. */
#ifndef FUSE_LUA_HOST_H
#define FUSE_LUA_HOST_H

#include "build.h"
#include "bundle.h"
#include "fv.h"
#include "mem.h"
#include "options.h"
#include "restype.h"
#include "strbuf.h"
#include "taskfile.h"

#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>

#define TF_TASK_MT "fuse.Task"
#define TF_BUNDLE_MT "fuse.ResourceBundle"
#define TF_BUILDER_MT "fuse.DockerBuilder"

typedef struct tf_file {
    char *source; /* the chunk name, "@fusefile.lua" */
    char *dir;    /* absolute directory holding the file */
} tf_file;

/* A task object, the userdata docker_container/task return. User value 1
 * is the task's function. */
typedef struct tf_obj {
    opt_kind kind;
    fv *decl;    /* the validated options (FV_MAP or empty FV_LIST) */
    char *where; /* "fusefile.lua:2" */
    char *dir;   /* relative File.source paths resolve against this */
    long serial; /* 1, 2, ...: what a taskref.h marker names (see deps.c) */
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
    size_t made;           /* resources the running task constructed (yield forgotten?) */
    const tf_flags *flags; /* of the current tf_run */
    int dry_sh;            /* sh() commands -n printed instead of running, this run */
    FILE *out;
    long nserial;                  /* task objects made so far */
    strbuf *iid;                   /* when set, tf_build leaves the built image's ID here */
    const struct sec_set *secrets; /* the values of the task tf_build builds, or NULL */
    /* The last global a task file read as nil since it last read a function
     * (see tf_miss_note); miss_line 0 when there is none. */
    strbuf miss_name, miss_src;
    int miss_line;
    /* -j: the task a build child runs, put in its progress heads
     * ("[api 2/7]"); NULL otherwise. */
    const char *label;
    /* Set by tf_build when the build found its image up to date and sent
     * none (build_flags.uptodate); -j's summary says "up to date" then. */
    int uptodate;
};

static inline tf_host *tf_of(lua_State *L)
{
    return *(tf_host **)lua_getextraspace(L);
}

/* ---- host.c ---- */

/* Appends "fusefile.lua:7" for the user's frame at level or above (C
 * functions and the prelude do not count); returns 0 and appends nothing
 * when there is none. */
int tf_where(lua_State *L, int level, strbuf *out);
/* Raises "FILE:LINE: task timed out after N s" at the user's line. */
int tf_timeout_error(lua_State *L);
/* The count hook of every Lua state when --timeout is set. */
void tf_hook(lua_State *L, lua_Debug *ar);
#define TF_HOOK_COUNT 10000
char *tf_dirname(const char *path);
/* The directory of the file the user's code at level runs from: a task file,
 * a module of the project's lua/, or else the project root. */
char *tf_caller_dir(lua_State *L, int level);
/* Raise msg as a task-file error (exit 2) at the user's line, or at where
 * when given ("" for none). Consume msg; never return. */
int tf_deferror_at(lua_State *L, const char *where, strbuf *msg);
int tf_deferror(lua_State *L, strbuf *msg);
int tf_deferrorf(lua_State *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Whether msg, the error that ended a task, is a definition error raised
 * earlier (so the task exits 2, not 1). */
int tf_is_deferr(const tf_host *h, const char *msg);
/* Appends the text of the error value at idx of L, placed at the user's
 * line found on thread co when it is not a string. */
void tf_errtext(lua_State *L, int idx, lua_State *co, int level, strbuf *out);
/* Globals read as nil (host.c): the file's environment notes a read of an
 * undefined name, and forgets it when a function is read; a constructor
 * raises the note (tf_miss_check) when it was made in its table. */
void tf_miss_note(lua_State *L, const char *name);
void tf_miss_clear(lua_State *L);
/* Raises "FILE:LINE: what: NAME is nil: ..." when the table the user's code
 * at level 1 is passing read an undefined global; forgets the note. */
void tf_miss_check(lua_State *L, const char *what);
/* The message handler of every pcall into task files. */
int tf_msgh(lua_State *L);

/* ---- state.c ---- */

/* Runs in protected mode from tf_open: builds everything task files see. */
int tf_setup(lua_State *L);
/* Registers the metatable name with meta and, as __index, methods. */
void tf_newclass(lua_State *L, const char *name, const luaL_Reg *meta, const luaL_Reg *methods);

/* Each Lua-facing object registers its class and adds its functions to the
 * fuse.core table on top of the stack. */
void tf_resource_open(lua_State *L);
void tf_bundle_open(lua_State *L);
void tf_task_open(lua_State *L);
void tf_sh_open(lua_State *L);
void tf_builder_open(lua_State *L);
void tf_paths_open(lua_State *L); /* here, template, project_root */

/* ---- resource.c ---- */

/* Validates the value at idx of L (a resource made by a constructor) and
 * appends it to b. where names the line that handed it over. Returns 0, or
 * -1 with one line in err (no position: the caller adds it). */
int tf_take(lua_State *L, int idx, bundle *b, const char *what, const char *where, strbuf *err);

/* ---- resbundle.c ---- */

/* Pushes a new, empty ResourceBundle and returns it. */
bundle *tf_newbundle(lua_State *L);

/* ---- task.c ---- */

/* Converts an options table to a validated fv, or raises at the user's line. */
fv *tf_checkopts(lua_State *L, int idx, opt_kind kind);
/* Whether value idx is what docker_container { ... } returns before it is
 * given its function (a task assigned without one). */
int tf_is_definer(lua_State *L, int idx);

/* ---- runner.c ---- */

/* Runs the task object at objidx with args. Never raises. Returns 0, 1, 2
 * or 130 with err set; *built is set when the failure came from the build
 * (whose message carries no position). */
int tf_exec(tf_host *h, lua_State *L, int objidx, const fv *args, strbuf *err, int *built);
/* The build's cache key (build_flags.cache_key) for the running task:
 * builds with different keys never share their first layer. */
void tf_cache_key(const tf_host *h, strbuf *out);
/* The flags build_run gets for args in this run; returns 1 for a dry run
 * (-n), which builds nothing. */
int tf_build_prepare(const tf_host *h, const fv *args, int quiet, build_flags *bf);
/* Builds, or with -n prints, the image of args and b: the one place that
 * decides between them and settles no_cache. on_chunk, when set, gets every
 * message of the engine's stream. Returns 0, 1 or 130. */
int tf_build(tf_host *h, const fv *args, const bundle *b, int quiet,
             void (*on_chunk)(const char *json, size_t len, void *ud), void *ud, strbuf *err);

/* Runs the generator of the container task at objidx on a new coroutine,
 * taking each yielded resource into the bundle at bidx. Returns 0, or 1/2
 * with the error text in err. */
int tf_generate(tf_host *h, lua_State *L, int objidx, int bidx, const fv *args, strbuf *err);

/* ---- blueprint.c ---- */

/* Runs the blueprint at objidx: its generator, then the hosts (or, with -n,
 * what would be sent). Returns 0, 1, 2 or 130 with err set. */
int tf_blueprint_exec(tf_host *h, lua_State *L, int objidx, const fv *args, strbuf *err);

/* ---- task.c ---- (task references) */

/* A taskref.h marker for the task object at idx, or NULL when it is none. */
fv *tf_taskref(lua_State *L, int idx);
/* Pushes the task object of serial, or nil; returns it (NULL for nil). */
tf_obj *tf_push_task(lua_State *L, long serial);
/* The task's name ("web.api"), or where it was defined when no global holds it. */
const char *tf_task_name(const tf_host *h, const tf_obj *o);

/* ---- deps.c ---- */

/* Runs the container task at objidx with args, building first every task it
 * depends on (from_image = task, File { from = task }), each once, in
 * dependency order; with -n, prints the order and dry-runs each. Returns
 * like tf_exec. */
int tf_deps_exec(tf_host *h, lua_State *L, int objidx, const fv *args, strbuf *err, int *built);

/* ---- registry.c ---- */

tf_task *tf_lookup(const tf_host *h, const char *name);
/* Pushes a new environment for one file: reads fall back on the value at
 * parent (an absolute index), assignments register tasks under prefix. */
void tf_push_env(lua_State *L, int parent, const char *prefix);
/* Sets the global tasks: a read-only table of every task by full name. */
void tf_tasks_open(lua_State *L);
/* Sorts the tasks by name, once every file is loaded. */
void tf_sort_tasks(tf_host *h);

#endif

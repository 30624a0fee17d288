/* builder.c -- DockerBuilder(bundle, opts):build(), the programmatic API of
 * fuse.docker. */
#include "host.h"

#include "build.h"
#include "fvjson.h"
#include "luaconv.h"
#include "options.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- a build running beside Lua ----
 *
 * build() must stream: the iterator gives each of Docker's messages as it
 * arrives. build_run only returns at the end and hands messages over from
 * inside libcurl's callbacks, where Lua must not run (an error would
 * longjmp across curl) and cannot yield. So the build runs on its own
 * thread with a copy of the bundle, and on_chunk only queues the text
 * under a mutex; the iterator, on the Lua thread, waits for the next
 * message or the end. ^C and --timeout reach the build through cancel.h's
 * process-wide flag, which its transfer callbacks poll. */

#define TF_JOB_MT "fuse.BuildJob"

typedef struct tf_job {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    fv *queue;   /* every message's JSON text, in order */
    size_t next; /* the first one the iterator has not given */
    int done;    /* build_run returned (rc and err are set) */
    int rc;
    strbuf err;
    /* Owned by the build thread until done. */
    fv *args;
    bundle b;
    build_flags bf;
    strbuf key; /* bf.cache_key */
    FILE *out;
    pthread_t thread;
    int started, joined, raised;
} tf_job;

static void tf_job_chunk(const char *json, size_t len, void *ud)
{
    tf_job *j = ud;
    pthread_mutex_lock(&j->mu);
    fv_push(j->queue, fv_str(json, len));
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
}

static void *tf_job_main(void *arg)
{
    tf_job *j = arg;
    strbuf err = STRBUF_INIT;
    int rc = build_run(j->args, &j->b, &j->bf, j->out, &err);
    pthread_mutex_lock(&j->mu);
    j->rc = rc == BUILD_OK ? 0 : rc == BUILD_INTERRUPTED ? 130 : 1;
    sb_add(&j->err, err.buf, err.len);
    j->done = 1;
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
    sb_release(&err);
    return NULL;
}

static void tf_job_join(tf_job *j)
{
    if (j->started && !j->joined) {
        pthread_join(j->thread, NULL);
        j->joined = 1;
    }
}

/* __gc: an iterator dropped before the end still waits for its build. */
static int tf_job_gc(lua_State *L)
{
    tf_job **pj = luaL_checkudata(L, 1, TF_JOB_MT);
    tf_job *j = *pj;
    if (!j)
        return 0;
    tf_job_join(j);
    pthread_cond_destroy(&j->cv);
    pthread_mutex_destroy(&j->mu);
    fv_free(j->queue);
    fv_free(j->args);
    bundle_free(&j->b);
    sb_release(&j->err);
    sb_release(&j->key);
    free(j);
    *pj = NULL;
    return 0;
}

/* The build thread reads its own bundle: Lua may add to the original
 * while the build runs. Returns 0, or -1 with err set. */
static int tf_job_copy(tf_job *j, const bundle *b, strbuf *err)
{
    bundle_init(&j->b);
    for (size_t i = 0; i < b->n; i++)
        if (bundle_add(&j->b, b->items[i].type, fv_copy(b->items[i].fields), b->items[i].where,
                       err) < 0)
            return -1;
    return 0;
}

/* Pushes the decoded message (a table), or its text if it is not JSON. */
static void tf_push_message(lua_State *L, const fv *text)
{
    strbuf perr = STRBUF_INIT;
    fv *m = fvj_parse(text->str, text->len, &perr);
    if (m)
        lc_push(L, m);
    else
        lua_pushlstring(L, text->str, text->len);
    fv_free(m);
    sb_release(&perr);
}

/* Raises the build's failure at the user's line (the for loop's). */
static int tf_job_raise(lua_State *L, tf_job *j)
{
    strbuf msg = STRBUF_INIT;
    if (tf_where(L, 1, &msg))
        sb_adds(&msg, ": ");
    sb_add(&msg, j->err.buf, j->err.len);
    lua_pushlstring(L, msg.buf, msg.len);
    sb_release(&msg);
    return lua_error(L);
}

/* The iterator: upvalue 1 the job. The next message, waiting for it; at
 * the end nil, or the build's error once every message was given. */
static int tf_job_iter(lua_State *L)
{
    tf_job *j = *(tf_job **)lua_touserdata(L, lua_upvalueindex(1));
    if (!j)
        return 0;
    const fv *text = NULL;
    pthread_mutex_lock(&j->mu);
    while (j->next == j->queue->n && !j->done)
        pthread_cond_wait(&j->cv, &j->mu);
    if (j->next < j->queue->n)
        text = j->queue->items[j->next++];
    pthread_mutex_unlock(&j->mu);
    if (text) {
        /* The item stays in the queue (appends only move the array). */
        tf_push_message(L, text);
        return 1;
    }
    tf_job_join(j);
    if (j->rc != 0 && !j->raised) {
        j->raised = 1;
        return tf_job_raise(L, j);
    }
    return 0;
}

/* Pushes the iterator over a new job's messages and starts its build.
 * Returns 0, or -1 with err set (nothing pushed). */
static int tf_job_start(lua_State *L, fv *args, const bundle *b, const build_flags *bf, strbuf *err)
{
    tf_job *j = xcalloc(1, sizeof *j);
    tf_job **pj = lua_newuserdatauv(L, sizeof *pj, 0);
    *pj = j;
    luaL_setmetatable(L, TF_JOB_MT);
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cv, NULL);
    j->queue = fv_list();
    j->err = (strbuf)STRBUF_INIT; /* its buf is never NULL, unlike calloc's */
    j->args = args;
    j->bf = *bf;
    j->bf.on_chunk = tf_job_chunk;
    j->bf.ud = j;
    tf_host *h = tf_of(L);
    /* Its own key: a DockerBuilder's image is not its task's. */
    j->key = (strbuf)STRBUF_INIT;
    tf_cache_key(h, &j->key);
    sb_adds(&j->key, "DockerBuilder\n");
    j->bf.cache_key = j->key.buf;
    j->out = h->out ? h->out : stdout;
    if (tf_job_copy(j, b, err) < 0) {
        lua_pop(L, 1); /* the job; its __gc frees it */
        return -1;
    }
    fflush(j->out);
    /* Signals stay with the Lua thread, whose sh() and hooks wait for them;
     * the build sees ^C and --timeout through cancel.h's flag. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int e = pthread_create(&j->thread, NULL, tf_job_main, j);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e != 0) {
        sb_addf(err, "cannot start the build: %s", strerror(e));
        lua_pop(L, 1);
        return -1;
    }
    j->started = 1;
    lua_pushcclosure(L, tf_job_iter, 1);
    return 0;
}

static int tf_no_message(lua_State *L)
{
    (void)L;
    return 0;
}

/* builder:build(): starts the build and returns an iterator over Docker's
 * messages as they arrive, each decoded into a table ({stream = "..."},
 * {aux = {ID = ...}}, ...). A failed build raises from the iterator after
 * its last message. */
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
    build_flags bf;
    int rc = 0;
    if (tf_build_prepare(h, args, 1, &bf)) {
        /* With -n, as a container task: print the Dockerfile and the
         * bundle and build nothing; the iterator then gives no message. */
        rc = tf_build(h, args, b, 1, NULL, NULL, &err);
        fv_free(args);
        if (rc == 0)
            lua_pushcfunction(L, tf_no_message);
    } else if (tf_job_start(L, args, b, &bf, &err) < 0) {
        rc = 1;
    }
    if (rc != 0) {
        strbuf msg = STRBUF_INIT;
        if (tf_where(L, 1, &msg))
            sb_adds(&msg, ": ");
        sb_add(&msg, err.buf, err.len);
        sb_release(&err);
        lua_pushlstring(L, msg.buf, msg.len);
        sb_release(&msg);
        return lua_error(L);
    }
    sb_release(&err);
    return 1;
}

void tf_builder_open(lua_State *L)
{
    static const luaL_Reg meta[] = {{"__gc", tf_builder_gc}, {NULL, NULL}};
    static const luaL_Reg methods[] = {{"build", tf_builder_build}, {NULL, NULL}};
    static const luaL_Reg job_meta[] = {{"__gc", tf_job_gc}, {NULL, NULL}};
    tf_newclass(L, TF_BUILDER_MT, meta, methods);
    tf_newclass(L, TF_JOB_MT, job_meta, NULL);
    lua_pushcfunction(L, tf_builder_new);
    lua_setfield(L, -2, "DockerBuilder");
}

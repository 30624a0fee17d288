/* project.c -- finding the project root and loading its task files in order;
 * tf_open and tf_close. */
#include "host.h"

#include "cancel.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    tf_add_file(h, chunk.buf, dir);
    int rc = luaL_loadbufferx(L, src.buf, src.len, chunk.buf, "t");
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
    DIR *d = opendir(path.buf);
    char **names = NULL;
    *n = 0;
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            size_t len = strlen(e->d_name);
            if (e->d_name[0] == '.' || len <= 4 || strcmp(e->d_name + len - 4, ".lua") != 0)
                continue;
            strbuf file = STRBUF_INIT;
            sb_addf(&file, "%s/%s", path.buf, e->d_name);
            int ok = tf_is_regular(file.buf);
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
    int yes = tf_is_regular(path.buf);
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
    if (tf_is_regular(path.buf)) {
        rc = tf_load(h, path.buf, "fusefile.lua", h->root, "", parent, err);
        parent = lua_gettop(L);
    }
    size_t n;
    char **names = tf_task_files(h->root, &n);
    sb_addf(&dir, "%s/tasks", h->root);
    for (size_t i = 0; i < n && rc == 0; i++) {
        strbuf display = STRBUF_INIT, prefix = STRBUF_INIT;
        sb_reset(&path);
        sb_addf(&path, "%s/%s", dir.buf, names[i]);
        sb_addf(&display, "tasks/%s", names[i]);
        sb_addf(&prefix, "%.*s.", (int)(strlen(names[i]) - 4), names[i]);
        rc = tf_load(h, path.buf, display.buf, dir.buf, prefix.buf, parent, err);
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

int tf_open(tf_host **out, const char *fusefile, strbuf *err)
{
    *out = NULL;
    tf_host *h = xcalloc(1, sizeof *h);
    sb_init(&h->deferr);
    sb_init(&h->miss_name);
    sb_init(&h->miss_src);
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
    if (cancel_timeout())
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
    tf_sort_tasks(h);
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
    sb_release(&h->miss_name);
    sb_release(&h->miss_src);
    free(h->root);
    free(h);
}

/* dkcred.c -- credentials by the docker CLI's order, credential helpers
 * included (dkcred.h). */
#include "dkcred.h"

#include "cancel.h"
#include "mem.h"
#include "strvec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

extern char **environ;

/* A helper's answer is a few hundred bytes; more is not a helper. */
#define DKC_MAX_OUT (1u << 20)
/* What docker-credential-helpers prints for a registry it has nothing for. */
#define DKC_NOT_FOUND "credentials not found"

/* Reads the child's stdout and stderr to EOF (stderr is read only so it
 * cannot fill its pipe and block the helper; it is dropped). */
static int dkc_drain(int out_fd, int err_fd, strbuf *out)
{
    struct pollfd p[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    char buf[4096];
    while (p[0].fd >= 0 || p[1].fd >= 0) {
        if (cancel_pending() != CANCEL_NONE)
            return -1;
        int r = poll(p, 2, 200);
        if (r < 0 && errno != EINTR)
            return -1;
        for (int i = 0; r > 0 && i < 2; i++) {
            if (p[i].fd < 0 || !p[i].revents)
                continue;
            ssize_t n = read(p[i].fd, buf, sizeof buf);
            if (n <= 0) {
                close(p[i].fd);
                p[i].fd = -1;
            } else if (i == 0 && out->len < DKC_MAX_OUT) {
                sb_add(out, buf, (size_t)n);
            }
        }
    }
    return 0;
}

static int dkc_pipes(int in[2], int out[2], int err[2])
{
    in[0] = in[1] = out[0] = out[1] = err[0] = err[1] = -1;
    return pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC) ? -1 : 0;
}

static void dkc_close6(int in[2], int out[2], int err[2])
{
    int *fds[3] = {in, out, err};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++)
            if (fds[i][j] >= 0)
                close(fds[i][j]);
}

/* The helper starts with no signal blocked and SIGPIPE at its default,
 * whatever the calling thread has (a DockerBuilder's build thread blocks
 * every signal). */
static int dkc_spawn_attr(posix_spawnattr_t *at, short flags)
{
    sigset_t none, def;
    sigemptyset(&none);
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    int rc = posix_spawnattr_init(at);
    rc = rc ? rc : posix_spawnattr_setsigmask(at, &none);
    rc = rc ? rc : posix_spawnattr_setsigdefault(at, &def);
    rc = rc ? rc
            : posix_spawnattr_setflags(at, flags | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    return rc;
}

pid_t dkc_spawn(const char *prog, char *const *argv, const int fds[3], short flags,
                int *spawn_errno)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    pid_t pid = -1;
    if (posix_spawn_file_actions_init(&fa) != 0) {
        *spawn_errno = ENOMEM;
        return -1;
    }
    int rc = dkc_spawn_attr(&at, flags);
    for (int i = 0; i < 3; i++)
        rc = rc ? rc : posix_spawn_file_actions_adddup2(&fa, fds[i], i);
    rc = rc ? rc : posix_spawn(&pid, prog, &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    *spawn_errno = rc;
    return rc ? -1 : pid;
}

/* Writes the helper's input. A helper that exits without reading it makes
 * the write fail: that is no error of ours, and the SIGPIPE it raises is
 * blocked in this thread and taken back, never changing the process's
 * disposition (another thread may be writing too). */
static void dkc_write_input(int fd, const char *input)
{
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    if (pthread_sigmask(SIG_BLOCK, &pipe_set, &old) != 0)
        return;
    if (write(fd, input, strlen(input)) < 0 && errno == EPIPE && !sigismember(&old, SIGPIPE)) {
        const struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
            ;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

int dkc_find(const char *prog, strbuf *path)
{
    const char *p = getenv("PATH");
    if (!p || !*p)
        p = "/usr/local/bin:/usr/bin:/bin";
    for (const char *dir = p;; dir++) {
        size_t n = strcspn(dir, ":");
        sb_reset(path);
        sb_addf(path, "%.*s/%s", (int)n, n ? dir : ".", prog);
        if (access(path->buf, X_OK) == 0)
            return 0;
        dir += n;
        if (!*dir)
            return -1;
    }
}

int dkc_run(const char *name, const char *verb, const char *input, strbuf *out, strbuf *err)
{
    strbuf prog = STRBUF_INIT, path = STRBUF_INIT;
    sb_addf(&prog, "docker-credential-%s", name);
    int in[2] = {-1, -1}, o[2] = {-1, -1}, e[2] = {-1, -1}, serr = ENOENT, status = -1;
    pid_t pid = -1;
    if (dkc_find(prog.buf, &path) != 0)
        serr = ENOENT;
    else if (dkc_pipes(in, o, e) == 0)
        pid = dkc_spawn(path.buf, (char *const[]){path.buf, (char *)verb, NULL},
                        (const int[3]){in[0], o[1], e[1]}, 0, &serr);
    else
        serr = errno;
    sb_release(&path);
    if (pid < 0) {
        if (serr == ENOENT)
            sb_addf(err, "credential helper %s: not found on PATH", prog.buf);
        else
            sb_addf(err, "credential helper %s: cannot run it: %s", prog.buf, strerror(serr));
        dkc_close6(in, o, e);
        sb_release(&prog);
        return -1;
    }
    close(in[0]), close(o[1]), close(e[1]);
    in[0] = o[1] = e[1] = -1;
    /* The input is one registry name, far below the pipe's capacity. */
    if (input)
        dkc_write_input(in[1], input);
    close(in[1]);
    in[1] = -1;
    int drained = dkc_drain(o[0], e[0], out);
    if (drained != 0)
        kill(pid, SIGTERM);
    int ws;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    if (drained != 0)
        sb_addf(err, "credential helper %s: interrupted", prog.buf);
    else
        status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    sb_release(&prog);
    return status;
}

/* "docker-credential-NAME get failed (exit 3): FIRST LINE". Helpers print
 * their error messages on stdout, by the protocol. */
static void dkc_failed(const char *name, const char *verb, int status, const strbuf *out,
                       strbuf *err)
{
    size_t n = strcspn(out->buf, "\r\n");
    sb_addf(err, "credential helper docker-credential-%s %s failed (exit %d)", name, verb, status);
    if (n)
        sb_addf(err, ": %.*s", (int)(n > 200 ? 200 : n), out->buf);
}

static const char *dkc_str(yajl_val obj, const char *key)
{
    const char *path[] = {key, NULL};
    yajl_val v = yajl_tree_get(obj, path, yajl_t_string);
    return v ? YAJL_GET_STRING(v) : NULL;
}

static int dkc_parse_get(const char *name, const strbuf *text, dka_cred *c, strbuf *err)
{
    char ebuf[2];
    yajl_val root = yajl_tree_parse(text->buf, ebuf, sizeof ebuf);
    const char *user = root ? dkc_str(root, "Username") : NULL;
    const char *secret = root ? dkc_str(root, "Secret") : NULL;
    int rc = 0;
    if (!secret) {
        sb_addf(err,
                "credential helper docker-credential-%s get: the answer is not "
                "{\"Username\", \"Secret\"} JSON",
                name);
        rc = -1;
    } else if (user && strcmp(user, "<token>") == 0) {
        c->token = xstrdup(secret);
    } else if (*secret || (user && *user)) {
        c->username = xstrdup(user ? user : "");
        c->password = xstrdup(secret);
    }
    yajl_tree_free(root);
    return rc;
}

static int dkc_helper_get(const char *name, const char *registry, dka_cred *c, strbuf *err)
{
    strbuf out = STRBUF_INIT;
    int rc = dkc_run(name, "get", registry, &out, err);
    if (rc > 0 && strstr(out.buf, DKC_NOT_FOUND))
        rc = 0; /* nothing stored: no credential */
    else if (rc > 0)
        dkc_failed(name, "get", rc, &out, err), rc = -1;
    else if (rc == 0)
        rc = dkc_parse_get(name, &out, c, err);
    explicit_bzero(out.buf, out.len);
    sb_release(&out);
    return rc;
}

static void dkc_copy(const dka_cred *from, dka_cred *to)
{
    to->username = from->username ? xstrdup(from->username) : NULL;
    to->password = from->password ? xstrdup(from->password) : NULL;
    to->token = from->token ? xstrdup(from->token) : NULL;
}

int dkc_lookup(const dka_config *cfg, const char *registry, dka_cred *out, strbuf *err)
{
    memset(out, 0, sizeof *out);
    out->registry = xstrdup(registry);
    const char *helper = dka_helper(cfg, registry);
    if (!helper)
        helper = cfg->creds_store;
    if (helper)
        return dkc_helper_get(helper, registry, out, err);
    const dka_cred *c = dka_find(cfg, registry);
    if (c)
        dkc_copy(c, out);
    return 0;
}

void dkc_free_all(dka_cred *creds, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dka_cred_clear(&creds[i]);
    free(creds);
}

typedef struct dkc_set {
    dka_cred *v;
    size_t n, alloc;
} dkc_set;

/* Adds registry's credential through its helper (or the file), replacing
 * one found before for the same registry. */
static int dkc_add(const dka_config *cfg, dkc_set *s, const char *registry, strbuf *err)
{
    dka_cred c;
    int rc = dkc_lookup(cfg, registry, &c, err);
    if (rc != 0 || (!c.username && !c.token)) {
        dka_cred_clear(&c);
        return rc;
    }
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].registry, c.registry) == 0) {
            dka_cred_clear(&s->v[i]);
            s->v[i] = c;
            return 0;
        }
    ALLOC_GROW(s->v, s->n + 1, s->alloc);
    s->v[s->n++] = c;
    return 0;
}

/* The registries the credsStore holds: the keys of its "list" answer. */
static int dkc_store_list(const char *name, strvec *regs, strbuf *err)
{
    strbuf out = STRBUF_INIT;
    int rc = dkc_run(name, "list", NULL, &out, err);
    if (rc > 0)
        dkc_failed(name, "list", rc, &out, err), rc = -1;
    char ebuf[2];
    yajl_val root = rc == 0 ? yajl_tree_parse(out.buf, ebuf, sizeof ebuf) : NULL;
    if (rc == 0 && !YAJL_IS_OBJECT(root)) {
        sb_addf(err,
                "credential helper docker-credential-%s list: the answer is not a JSON "
                "object",
                name);
        rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < root->u.object.len; i++) {
        strbuf reg = STRBUF_INIT;
        dka_normalize(root->u.object.keys[i], &reg);
        if (reg.len)
            strvec_push(regs, reg.buf);
        sb_release(&reg);
    }
    yajl_tree_free(root);
    sb_release(&out);
    return rc;
}

int dkc_all(const dka_config *cfg, dka_cred **out, size_t *n, strbuf *err)
{
    dkc_set s = {NULL, 0, 0};
    strvec regs = STRVEC_INIT;
    int rc = 0;
    /* With a credsStore, auths holds only {} placeholders: the store is
     * asked for its list instead. */
    if (cfg->creds_store)
        rc = dkc_store_list(cfg->creds_store, &regs, err);
    else
        for (size_t i = 0; i < cfg->nauths; i++)
            strvec_push(&regs, cfg->auths[i].registry);
    for (size_t i = 0; i < cfg->nhelpers; i++)
        strvec_push(&regs, cfg->helper_reg[i]);
    for (size_t i = 0; rc == 0 && i < regs.nr; i++)
        rc = dkc_add(cfg, &s, regs.v[i], err);
    strvec_clear(&regs);
    if (rc != 0) {
        dkc_free_all(s.v, s.n);
        return -1;
    }
    *out = s.v;
    *n = s.n;
    return 0;
}

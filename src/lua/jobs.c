/* jobs.c -- fuse -j N: the task graph built by up to N processes at once.
 *
 * The task files are loaded and every generator runs once, here, in the
 * parent (deps.c collects the graph). Each build then runs in a child
 * forked for it: the child has its own copy of the Lua state, the bundle,
 * the engine connection and the progress state (term.c, cancel.c), so no
 * two builds share anything mutable, and the build code stays the one of
 * a plain run. A child writes its output to a pipe and ends it with its
 * result (a NUL, then "STATUS UPTODATE IID\n" and the error text); the
 * parent reads every pipe with poll(), prints whole lines only (prefixed
 * with the task, or as one status line per running build on a terminal),
 * records each result, and forks a task once every task it names has
 * built, so a child starts with the image IDs of its dependencies. */
#include "jobs.h"

#include "build.h"
#include "cancel.h"
#include "ep_engine.h"
#include "dkmove.h"
#include "options.h"
#include "term.h"

#include <errno.h>
#include <fnmatch.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double tj_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the command line's words as roots of the graph ---- */

static int tj_is_pattern(const char *name)
{
    return strpbrk(name, "*?[") != NULL;
}

/* Adds task tk with the word's arguments as a root. */
static int tj_add_task(tf_graph *g, const tf_task *tk, const cli_task *t, strbuf *err)
{
    if (tk->obj->kind != OPT_CONTAINER) {
        sb_addf(err,
                "%s: a plain task cannot run under -j (its function is Lua, not a build); name "
                "its docker_container tasks, or a pattern such as \"web.*\"",
                tk->info.name);
        return 2;
    }
    strbuf why = STRBUF_INIT;
    fv *args = opt_merge(tk->obj->decl, OPT_CONTAINER, t->args, t->nargs, &why);
    if (!args) {
        sb_addf(err, "%s: %s", tk->info.name, why.buf);
        sb_release(&why);
        return 2;
    }
    sb_release(&why);
    lua_rawgeti(g->L, LUA_REGISTRYINDEX, tk->ref);
    return tf_graph_add(g, args, err);
}

/* A pattern ("web.*", fnmatch(3)) stands for every docker_container task
 * whose name it matches, in name order; one matching none is an error. */
static int tj_add_word(tf_graph *g, const cli_task *t, strbuf *err)
{
    tf_host *h = g->h;
    if (!tj_is_pattern(t->name)) {
        const tf_task *tk = tf_lookup(h, t->name);
        return tk ? tj_add_task(g, tk, t, err) : tf_unknown_task(h, t->name, err);
    }
    int found = 0, rc = 0;
    for (size_t i = 0; i < h->ntasks && rc == 0; i++) {
        const tf_task *tk = &h->tasks[i];
        if (tk->obj->kind != OPT_CONTAINER || fnmatch(t->name, tk->info.name, 0) != 0)
            continue;
        found = 1;
        rc = tj_add_task(g, tk, t, err);
    }
    if (rc == 0 && !found) {
        sb_addf(err, "no docker_container task matches \"%s\" (fuse -l lists them)", t->name);
        rc = 2;
    }
    return rc;
}

/* ---- placement ---- */

static int tj_same(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Builds running on engine e now. */
static size_t tj_busy(const tj_run *r, const char *e)
{
    size_t n = 0;
    for (size_t k = 0; k < r->g->n; k++)
        n += r->jobs[k].state == TJ_RUN && tj_same(r->jobs[k].eng, e);
    return n;
}

/* Whether engine e holds an image node i needs (it was built there). */
static int tj_holds(const tj_run *r, size_t i, const char *e)
{
    const tf_node *nd = &r->g->nodes[i];
    for (size_t k = 0; k < nd->ndeps; k++)
        if (tj_same(r->jobs[nd->deps[k]].eng, e))
            return 1;
    return 0;
}

/* Where node i builds: its own engine option; else, with --engine, the
 * least busy of them, a tie going to one that holds an image it needs,
 * then to the one given first; else the environment's engine. */
static const char *tj_place(tj_run *r, size_t i)
{
    const char *own = fv_gets(r->g->nodes[i].args, "engine");
    if (own && *own)
        return own;
    if (r->engines->nr == 0)
        return NULL;
    size_t best = 0;
    for (size_t e = 1; e < r->engines->nr; e++) {
        size_t be = tj_busy(r, r->engines->v[best]), ee = tj_busy(r, r->engines->v[e]);
        if (ee < be ||
            (ee == be && tj_holds(r, i, r->engines->v[e]) && !tj_holds(r, i, r->engines->v[best])))
            best = e;
    }
    return r->engines->v[best];
}

/* ---- output ---- */

void tj_board(tj_run *r)
{
    if (!r->tty)
        return;
    const char **rows = xcalloc(r->g->n + 1, sizeof *rows);
    size_t n = 0;
    for (size_t k = 0; k < r->g->norder; k++) {
        tj_job *j = &r->jobs[r->g->order[k]];
        if (j->state == TJ_RUN)
            rows[n++] = j->status.buf;
    }
    term_board_draw(r->out, rows, n);
    free(rows);
}

void tj_print(tj_run *r, const char *fmt, ...)
{
    if (r->tty)
        term_board_clear(r->out);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(r->out, fmt, ap);
    va_end(ap);
    fflush(r->out);
    tj_board(r);
}

/* A line of node i's child: its progress ("[api 2/7] ...", as the child's
 * build wrote it) is its status line; anything else is printed with the
 * task in front. */
static void tj_line(tj_run *r, size_t i, const char *line)
{
    const char *name = tf_node_name(r->g, i);
    size_t nl = strlen(name);
    tj_job *j = &r->jobs[i];
    if (line[0] == '[' && strncmp(line + 1, name, nl) == 0 && line[nl + 1] == ' ') {
        sb_reset(&j->status);
        sb_adds(&j->status, line);
        if (r->tty)
            tj_board(r);
        else
            tj_print(r, "%s\n", line);
        return;
    }
    tj_print(r, "[%s] %s\n", name, line);
}

/* ---- the child ---- */

/* Writes all of s to fd; a child's result must arrive whole. */
static void tj_write_all(int fd, const char *s, size_t len)
{
    while (len) {
        ssize_t w = write(fd, s, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        s += w;
        len -= (size_t)w;
    }
}

/* ^C reaches every build: from the terminal (same process group) and as
 * passed on by the parent; more than one must not kill the child before it
 * has cancelled its build, as SA_RESETHAND would. */
static void tj_child_signals(void)
{
    struct sigaction sa;
    if (sigaction(SIGINT, NULL, &sa) == 0) {
        sa.sa_flags &= ~SA_RESETHAND;
        sigaction(SIGINT, &sa, NULL);
    }
}

/* The images node i needs that were built on another engine, moved to
 * this process's engine (which skips those it has). Returns 0, or 1 with
 * err set. */
static int tj_fetch(tj_run *r, size_t i, strbuf *err)
{
    const tf_node *nd = &r->g->nodes[i];
    for (size_t k = 0; k < nd->ndeps; k++) {
        size_t d = nd->deps[k];
        if (tj_same(r->jobs[d].eng, r->jobs[i].eng))
            continue;
        const char *id = r->g->nodes[d].iid.buf;
        int rc = dkm_move(id, r->jobs[d].eng, r->jobs[i].eng, err);
        if (rc < 0)
            return rc == -2 ? FUSE_EXIT_INTERRUPTED : FUSE_EXIT_FAILED;
        if (rc == 1)
            printf("moved %.19s (%s) from %s\n", id, tf_node_name(r->g, d),
                   r->jobs[d].eng ? r->jobs[d].eng : "the default engine");
    }
    return 0;
}

static void tj_child(tj_run *r, size_t i, int fd)
{
    tf_graph *g = r->g;
    for (size_t k = 0; k < g->n; k++)
        if (r->jobs[k].fd >= 0)
            close(r->jobs[k].fd);
    tj_child_signals();
    if (dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
        _exit(FUSE_EXIT_FAILED);
    close(fd);
    term_forget();
    setvbuf(stdout, NULL, _IOLBF, 0);
    ep_engine_use(r->jobs[i].eng);
    g->h->label = tf_node_name(g, i);
    g->h->uptodate = 0;
    strbuf err = STRBUF_INIT;
    int status = tj_fetch(r, i, &err);
    if (status == 0)
        status = tf_build_node(g, i, &err);
    fflush(stdout);
    strbuf res = STRBUF_INIT;
    sb_addc(&res, '\0');
    sb_addf(&res, "%d %d %s\n", status, g->h->uptodate,
            g->nodes[i].iid.len ? g->nodes[i].iid.buf : "-");
    sb_addbuf(&res, &err);
    tj_write_all(STDOUT_FILENO, res.buf, res.len);
    _exit(0);
}

/* ---- the parent ---- */

/* Whether node i may start now: every node it names has its image, and no
 * running build moves one of its tags (two builds of one tag at once would
 * race for it). */
static int tj_ready(const tj_run *r, size_t i)
{
    const tf_node *nd = &r->g->nodes[i];
    if (r->jobs[i].state != TJ_WAIT)
        return 0;
    for (size_t k = 0; k < nd->ndeps; k++) {
        tj_state s = r->jobs[nd->deps[k]].state;
        if (s != TJ_BUILT && s != TJ_UPTODATE)
            return 0;
    }
    for (size_t k = 0; k < r->g->n; k++) {
        if (r->jobs[k].state != TJ_RUN)
            continue;
        const char *a, *b;
        for (size_t x = 0; (a = build_tag(nd->args, x)) != NULL; x++)
            for (size_t y = 0; (b = build_tag(r->g->nodes[k].args, y)) != NULL; y++)
                if (strcmp(a, b) == 0)
                    return 0;
    }
    return 1;
}

static int tj_start(tj_run *r, size_t i, strbuf *err)
{
    int p[2];
    if (pipe(p) != 0) {
        sb_addf(err, "cannot make a pipe: %s", strerror(errno));
        return -1;
    }
    tj_job *j = &r->jobs[i];
    j->eng = tj_place(r, i);
    fflush(r->out);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        sb_addf(err, "cannot start a build: %s", strerror(errno));
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        close(p[0]);
        tj_child(r, i, p[1]);
    }
    close(p[1]);
    j->pid = pid;
    j->fd = p[0];
    j->state = TJ_RUN;
    j->t0 = tj_now();
    sb_addf(&j->status, "[%s] starting", tf_node_name(r->g, i));
    r->running++;
    if (!r->tty && j->eng && r->engines->nr > 1)
        tj_print(r, "[%s] on %s\n", tf_node_name(r->g, i), j->eng);
    tj_board(r);
    return 0;
}

/* Starts what may start, dependencies first, up to the limit. */
static int tj_start_ready(tj_run *r, strbuf *err)
{
    for (size_t k = 0; k < r->g->norder && r->running < r->max; k++) {
        size_t i = r->g->order[k];
        if (tj_ready(r, i) && tj_start(r, i, err) != 0)
            return -1;
    }
    return 0;
}

/* The child of node i ended its pipe: reap it and read its result. */
static void tj_finish(tj_run *r, size_t i)
{
    tj_job *j = &r->jobs[i];
    if (j->line.len)
        tj_line(r, i, j->line.buf);
    close(j->fd);
    j->fd = -1;
    int ws = 0;
    while (waitpid(j->pid, &ws, 0) < 0 && errno == EINTR)
        ;
    r->running--;
    j->secs = tj_now() - j->t0;
    int status = -1, uptodate = 0;
    char iid[160] = "";
    const char *res = j->result.buf;
    const char *nl = strchr(res, '\n');
    if (!j->in_result || !nl || sscanf(res, "%d %d %159s", &status, &uptodate, iid) != 3) {
        sb_addf(&j->err, "the build of %s ended without a result (%s)", tf_node_name(r->g, i),
                WIFSIGNALED(ws) ? strsignal(WTERMSIG(ws)) : "no message");
        status = FUSE_EXIT_FAILED;
    } else {
        sb_adds(&j->err, nl + 1);
    }
    if (status == 0 && strcmp(iid, "-") != 0) {
        sb_adds(&r->g->nodes[i].iid, iid);
        j->state = uptodate ? TJ_UPTODATE : TJ_BUILT;
    } else if (status == FUSE_EXIT_INTERRUPTED) {
        j->state = TJ_FAILED;
        j->cancelled = 1;
    } else {
        j->state = TJ_FAILED;
        if (!j->err.len)
            sb_adds(&j->err, "failed (no message)");
        r->stop = 1;
        /* The whole message once, where it happened; the summary keeps
         * its first line. */
        const char *s = j->err.buf;
        while (*s) {
            size_t n = strcspn(s, "\n");
            tj_print(r, "[%s] %s%.*s\n", tf_node_name(r->g, i), s == j->err.buf ? "fuse: " : "",
                     (int)n, s);
            s += n + (s[n] == '\n');
        }
    }
    tj_board(r);
}

/* Takes what the child of node i wrote: whole lines, then the result. */
static void tj_read(tj_run *r, size_t i)
{
    tj_job *j = &r->jobs[i];
    char buf[8192];
    ssize_t n = read(j->fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        tj_finish(r, i);
        return;
    }
    for (ssize_t k = 0; k < n; k++) {
        if (j->in_result) {
            sb_add(&j->result, buf + k, (size_t)(n - k));
            break;
        }
        if (buf[k] == '\0') {
            j->in_result = 1;
        } else if (buf[k] == '\n') {
            tj_line(r, i, j->line.buf);
            sb_reset(&j->line);
        } else {
            sb_addc(&j->line, buf[k]);
        }
    }
}

/* ^C or --timeout: passed on to every running build once (the child
 * cancels its build as a plain run does; SIGALRM says it is a timeout). */
static void tj_pass_cancel(tj_run *r)
{
    cancel_reason why = cancel_pending();
    if (why == CANCEL_NONE)
        return;
    for (size_t k = 0; k < r->g->n; k++) {
        tj_job *j = &r->jobs[k];
        if (j->state == TJ_RUN && !j->signalled) {
            kill(j->pid, why == CANCEL_TIMEOUT ? SIGALRM : SIGINT);
            j->signalled = 1;
        }
    }
}

static int tj_loop(tj_run *r, strbuf *err)
{
    struct pollfd *pfd = xcalloc(r->g->n + 1, sizeof *pfd);
    size_t *who = xcalloc(r->g->n + 1, sizeof *who);
    int rc = 0;
    for (;;) {
        tj_pass_cancel(r);
        if (!r->stop && cancel_pending() == CANCEL_NONE && tj_start_ready(r, err) != 0) {
            rc = -1;
            r->stop = 1;
        }
        if (r->running == 0)
            break;
        nfds_t n = 0;
        for (size_t k = 0; k < r->g->n; k++) {
            if (r->jobs[k].state == TJ_RUN && r->jobs[k].fd >= 0) {
                pfd[n] = (struct pollfd){.fd = r->jobs[k].fd, .events = POLLIN};
                who[n++] = k;
            }
        }
        if (poll(pfd, n, 1000) < 0)
            continue; /* EINTR: a signal, seen at the top */
        for (nfds_t k = 0; k < n; k++)
            if (pfd[k].revents)
                tj_read(r, who[k]);
    }
    free(pfd);
    free(who);
    return rc;
}

static void tj_release(tj_run *r)
{
    for (size_t k = 0; r->jobs && k < r->g->n; k++) {
        sb_release(&r->jobs[k].line);
        sb_release(&r->jobs[k].result);
        sb_release(&r->jobs[k].status);
        sb_release(&r->jobs[k].err);
    }
    free(r->jobs);
}

/* Every engine named in the run, checked before anything builds. */
static int tj_check_engines(const tf_graph *g, const strvec *engines, strbuf *err)
{
    for (size_t e = 0; e < engines->nr; e++)
        if (ep_engine_check(engines->v[e], err) != 0)
            return 2;
    for (size_t k = 0; k < g->n; k++) {
        const char *e = fv_gets(g->nodes[k].args, "engine");
        strbuf why = STRBUF_INIT;
        if (e && *e && ep_engine_check(e, &why) != 0) {
            sb_addf(err, "%s: %s", tf_node_name(g, k), why.buf);
            sb_release(&why);
            return 2;
        }
        sb_release(&why);
    }
    return 0;
}

static int tj_build_graph(tj_run *r, const cli_opts *o, FILE *out, strbuf *err)
{
    tf_graph *g = r->g;
    r->jobs = xcalloc(g->n + 1, sizeof *r->jobs);
    for (size_t k = 0; k < g->n; k++) {
        r->jobs[k].fd = -1;
        sb_init(&r->jobs[k].line);
        sb_init(&r->jobs[k].result);
        sb_init(&r->jobs[k].status);
        sb_init(&r->jobs[k].err);
    }
    r->max = o->jobs;
    r->engines = &o->engines;
    r->out = out;
    r->tty = term_tty(out) && !o->verbose;
    if (tj_loop(r, err) != 0) {
        tj_pass_cancel(r);
        return FUSE_EXIT_FAILED;
    }
    size_t bad = tj_summary(r, o->quiet);
    if (cancel_pending() != CANCEL_NONE) {
        sb_adds(err, "interrupted; the builds were cancelled");
        return FUSE_EXIT_INTERRUPTED;
    }
    if (bad) {
        tj_failed_list(r, err);
        return FUSE_EXIT_FAILED;
    }
    return 0;
}

int tf_jobs_applies(const tf_host *h, const cli_opts *o)
{
    for (size_t i = 0; i < o->ntasks; i++) {
        const tf_task *tk = tf_lookup(h, o->tasks[i].name);
        if (tk && tk->obj->kind == OPT_BLUEPRINT)
            return 0;
    }
    return 1;
}

int tf_jobs_run(tf_host *h, const cli_opts *o, const tf_flags *f, FILE *out, strbuf *err)
{
    lua_State *L = h->L;
    tf_graph g = {.h = h, .L = L};
    tj_run r = {.g = &g};
    h->flags = f;
    h->out = out;
    h->dry_sh = 0;
    sb_reset(&h->deferr);
    lua_settop(L, 0);
    int rc = 0;
    for (size_t i = 0; i < o->ntasks && rc == 0; i++)
        rc = tj_add_word(&g, &o->tasks[i], err);
    if (rc == 0)
        rc = tj_check_engines(&g, &o->engines, err);
    if (rc == 0)
        rc = tf_read_secrets(&g, err);
    if (rc == 0)
        rc = tj_build_graph(&r, o, out, err);
    tj_release(&r);
    tf_graph_free(&g);
    lua_settop(L, 0);
    h->flags = NULL;
    h->out = NULL;
    return rc;
}

/* ap_cmd.c -- running commands with their output collected.
 *
 * Providers run package managers, user tools, git and Execute commands. Their
 * combined output is kept and shown only when something fails, so a
 * successful run prints one line per change and nothing else. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ap.h"
#include "mem.h"

extern char **environ;

/* 1 when the variable of entry ("K=V") is key. */
static int ap_env_is(const char *entry, const char *key)
{
    const char *eq = strchr(entry, '=');
    size_t klen = eq ? (size_t)(eq - entry) : strlen(entry);
    return strlen(key) == klen && memcmp(key, entry, klen) == 0;
}

/* Builds the child's environment: the inherited one with env's keys set,
 * and HOME the target user's unless env sets it. */
static char **ap_cmd_environ(const ap_cmd *cmd, size_t *inherited)
{
    const fv *env = cmd->env;
    size_t n = 0;
    while (environ && environ[n])
        n++;
    char **out = xcalloc(n + (env ? env->n : 0) + 2, sizeof *out);
    int home = cmd->home[0] && !(env && fv_get(env, "HOME"));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int replaced = home && ap_env_is(environ[i], "HOME");
        for (size_t j = 0; env && j < env->n; j++)
            replaced |= ap_env_is(environ[i], env->keys[j]);
        if (!replaced)
            out[k++] = environ[i];
    }
    *inherited = k;
    if (home) {
        strbuf kv = STRBUF_INIT;
        sb_addf(&kv, "HOME=%s", cmd->home);
        out[k++] = sb_detach(&kv, NULL);
    }
    for (size_t j = 0; env && j < env->n; j++) {
        strbuf kv = STRBUF_INIT;
        const fv *v = env->items[j];
        if (v->kind == FV_STR)
            sb_addf(&kv, "%s=%s", env->keys[j], v->str);
        else if (v->kind == FV_NUM)
            sb_addf(&kv, "%s=%.15g", env->keys[j], v->num);
        else if (v->kind == FV_BOOL)
            sb_addf(&kv, "%s=%s", env->keys[j], v->b ? "true" : "false");
        else
            continue;
        out[k++] = sb_detach(&kv, NULL);
    }
    out[k] = NULL;
    return out;
}

/* In the child: never returns. Reports an exec failure's errno on errfd. */
static void ap_cmd_child(const ap_cmd *cmd, int in, int out, int errfd, char **envp)
{
    const char *step = "exec";
    dup2(in, 0);
    dup2(out, 1);
    dup2(out, 2);
    if (cmd->umask >= 0)
        umask((mode_t)cmd->umask);
    if (cmd->cwd && chdir(cmd->cwd) < 0)
        step = "chdir";
    else if (cmd->set_ids &&
             ((step = "setgroups", setgroups(cmd->ngroups ? cmd->ngroups : 1,
                                             cmd->ngroups ? cmd->groups : &cmd->gid) < 0) ||
              (step = "setgid", setgid(cmd->gid) < 0) || (step = "setuid", setuid(cmd->uid) < 0)))
        ;
    else {
        environ = envp;
        execvp(cmd->argv[0], cmd->argv);
        step = "exec";
    }
    int e = errno;
    char msg[64];
    int n = snprintf(msg, sizeof msg, "%s:%d", step, e);
    if (write(errfd, msg, (size_t)n) < 0)
        _exit(127);
    _exit(127);
}

/* Reads the child's output until EOF while feeding it its input. */
static void ap_cmd_pump(int outfd, int infd, const char *input, size_t len, strbuf *output)
{
    size_t off = 0;
    if (infd >= 0 && len == 0) {
        close(infd);
        infd = -1;
    }
    for (;;) {
        struct pollfd p[2] = {{outfd, POLLIN, 0}, {infd, POLLOUT, 0}};
        if (poll(p, infd >= 0 ? 2 : 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (infd >= 0 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = write(infd, input + off, len - off);
            if (w > 0)
                off += (size_t)w;
            if (w < 0 || off == len) {
                close(infd);
                infd = -1;
            }
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            char buf[4096];
            ssize_t n = read(outfd, buf, sizeof buf);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            sb_add(output, buf, (size_t)n);
        }
    }
    if (infd >= 0)
        close(infd);
}

int ap_cmd_run(const ap_cmd *cmd, strbuf *output, strbuf *err)
{
    int outp[2], errp[2], inp[2] = {-1, -1};
    if (pipe2(outp, O_CLOEXEC) < 0)
        return sb_addf(err, "cannot create a pipe: %s", strerror(errno)), -1;
    if (pipe2(errp, O_CLOEXEC) < 0) {
        close(outp[0]), close(outp[1]);
        return sb_addf(err, "cannot create a pipe: %s", strerror(errno)), -1;
    }
    if (!cmd->input)
        inp[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (inp[0] < 0) {
        /* Input to feed, or no /dev/null: a pipe (closed at once when empty). */
        if (pipe2(inp, O_CLOEXEC) < 0) {
            close(outp[0]), close(outp[1]), close(errp[0]), close(errp[1]);
            return sb_addf(err, "cannot create a pipe: %s", strerror(errno)), -1;
        }
    }
    size_t inherited;
    char **envp = ap_cmd_environ(cmd, &inherited);
    /* A writer to a closed pipe must get EPIPE, not die. */
    signal(SIGPIPE, SIG_IGN);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        ap_cmd_child(cmd, inp[0], outp[1], errp[1], envp);
    int saved = errno;
    close(outp[1]);
    close(errp[1]);
    close(inp[0]);
    int rc = -1;
    if (pid < 0) {
        sb_addf(err, "cannot fork: %s", strerror(saved));
        close(outp[0]), close(errp[0]);
        if (inp[1] >= 0)
            close(inp[1]);
    } else {
        ap_cmd_pump(outp[0], inp[1], cmd->input, cmd->input ? cmd->input_len : 0, output);
        close(outp[0]);
        char msg[64] = "";
        ssize_t n = read(errp[0], msg, sizeof msg - 1);
        close(errp[0]);
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        if (n > 0) {
            msg[n] = '\0';
            char *colon = strchr(msg, ':');
            int e = colon ? atoi(colon + 1) : 0;
            if (colon)
                *colon = '\0';
            if (strcmp(msg, "exec") == 0)
                sb_addf(err, "cannot run %s: %s", cmd->argv[0], strerror(e));
            else if (strcmp(msg, "chdir") == 0)
                sb_addf(err, "cannot change directory to %s: %s", cmd->cwd, strerror(e));
            else
                sb_addf(err, "cannot %s to %u:%u: %s", msg, (unsigned)cmd->uid, (unsigned)cmd->gid,
                        strerror(e));
        } else if (WIFEXITED(st)) {
            rc = WEXITSTATUS(st);
        } else if (WIFSIGNALED(st)) {
            rc = 128 + WTERMSIG(st);
        }
    }
    for (size_t i = inherited; envp[i]; i++)
        free(envp[i]);
    free(envp);
    return rc;
}

int ap_cmd_as(const ap_ctx *c, ap_cmd *cmd, const char *user, const char *group, strbuf *err)
{
    if (!user && !group)
        return 0;
    cmd->set_ids = 1;
    cmd->uid = getuid();
    cmd->gid = getgid();
    cmd->ngroups = 0;
    ap_pwent e = {0};
    int found = 0;
    if (user) {
        if (ap_uid(c, user, &cmd->uid, err) < 0)
            return -1;
        found = ap_pw_find(c, NULL, (long)cmd->uid, &e) == 1;
        if (found)
            cmd->gid = (gid_t)e.gid;
        /* The user's own HOME, as su - gives it, never root's; a uid with
         * no passwd entry gets /, as Docker's USER N does. A uid without an
         * entry runs with the group it is given, else root's (Docker's way;
         * fuselage refuses such a user). */
        snprintf(cmd->home, sizeof cmd->home, "%s", found && *e.home ? e.home : "/");
    }
    if (group && ap_gid(c, group, &cmd->gid, err) < 0) {
        if (found)
            ap_pw_free(&e);
        return -1;
    }
    cmd->groups[cmd->ngroups++] = cmd->gid;
    if (found) {
        fv *names = ap_gr_memberships(c, e.name);
        for (size_t i = 0; i < names->n && cmd->ngroups < 64; i++) {
            ap_grent g;
            if (ap_gr_find(c, names->items[i]->str, -1, &g) == 1) {
                if ((gid_t)g.gid != cmd->gid)
                    cmd->groups[cmd->ngroups++] = (gid_t)g.gid;
                ap_gr_free(&g);
            }
        }
        fv_free(names);
        ap_pw_free(&e);
    }
    return 0;
}

int ap_tool(const ap_ctx *c, const char *name, int host, strbuf *out)
{
    static const char *const dirs[] = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin",
                                       "/sbin",           "/bin",           NULL};
    for (size_t i = 0; dirs[i]; i++) {
        strbuf p = STRBUF_INIT;
        sb_addf(&p, "%s%s/%s", c->root, dirs[i], name);
        if (access(p.buf, X_OK) == 0) {
            sb_add(out, p.buf, p.len);
            sb_release(&p);
            return 1;
        }
        sb_release(&p);
    }
    if (!host || !*c->root)
        return 0;
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin";
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t n = colon ? (size_t)(colon - path) : strlen(path);
        strbuf p = STRBUF_INIT;
        sb_add(&p, path, n);
        sb_addf(&p, "/%s", name);
        if (n && access(p.buf, X_OK) == 0) {
            sb_add(out, p.buf, p.len);
            sb_release(&p);
            return 1;
        }
        sb_release(&p);
        path += n + (colon ? 1 : 0);
    }
    return 0;
}

void ap_cmd_explain(strbuf *err, const strbuf *output)
{
    const char *p = output->buf;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        sb_adds(err, "\n  ");
        sb_add(err, p, n);
        p += n + (nl ? 1 : 0);
    }
}

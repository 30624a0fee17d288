/* secsrc.c -- the values of a task's secrets, read when the task builds.
 *
 * Read on the host and held only in sec_bufs (secret.h), so no copy is
 * left in freed memory; nothing here writes a value anywhere. */
#include "secsrc.h"

#include "dkcred.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Reads fd to EOF into val. Returns 0, or -1 with errno set (EFBIG past
 * SEC_MAX_VALUE). */
static int ssrc_read_fd(int fd, sec_buf *val)
{
    char chunk[4096];
    int rc = 0;
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -1;
            break;
        }
        if (n == 0)
            break;
        if (sec_buf_add(val, chunk, (size_t)n) < 0) {
            errno = EFBIG;
            rc = -1;
            break;
        }
    }
    sec_wipe(chunk, sizeof chunk);
    return rc;
}

/* "~/x" against $HOME, "x" against dir, "/x" as is. */
static void ssrc_path(const char *path, const char *dir, strbuf *out)
{
    const char *home = getenv("HOME");
    if ((strcmp(path, "~") == 0 || strncmp(path, "~/", 2) == 0) && home && *home)
        sb_addf(out, "%s%s", home, path + 1);
    else if (path[0] == '/' || !dir)
        sb_adds(out, path);
    else
        sb_addf(out, "%s/%s", dir, path[0] == '.' && path[1] == '/' ? path + 2 : path);
}

static int ssrc_file(const char *name, const char *path, const char *dir, sec_buf *val, strbuf *err)
{
    strbuf p = STRBUF_INIT;
    ssrc_path(path, dir, &p);
    int fd = open(p.buf, O_RDONLY | O_CLOEXEC);
    int rc = fd < 0 ? -1 : ssrc_read_fd(fd, val);
    if (rc < 0)
        sb_addf(err, "secrets.%s: cannot read %s: %s", name, p.buf,
                errno == EFBIG ? "larger than 1 MiB" : strerror(errno));
    else if (val->len == 0)
        sb_addf(err, "secrets.%s: %s is empty", name, p.buf);
    if (fd >= 0)
        close(fd);
    sb_release(&p);
    return rc < 0 || val->len == 0 ? -1 : 0;
}

/* The command's standard output, one trailing newline dropped (what `pass`
 * or `gpg -d` print ends with one). Its stderr stays the user's: a prompt
 * or a reason shows on the terminal, never in fuse's messages. */
static int ssrc_command(const char *name, const char *cmd, sec_buf *val, strbuf *err)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        sb_addf(err, "secrets.%s: cannot run its command: %s", name, strerror(errno));
        return -1;
    }
    int serr = 0;
    pid_t pid = dkc_spawn("/bin/sh", (char *const[]){"sh", "-c", (char *)cmd, NULL},
                          (const int[3]){STDIN_FILENO, fds[1], STDERR_FILENO}, 0, &serr);
    close(fds[1]);
    int rrc = pid < 0 ? -1 : ssrc_read_fd(fds[0], val);
    int rerr = pid < 0 ? serr : errno;
    close(fds[0]);
    int st = 0;
    while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (pid < 0 || rrc < 0) {
        sb_addf(err, "secrets.%s: cannot run its command: %s", name,
                rerr == EFBIG ? "its output is larger than 1 MiB" : strerror(rerr));
        return -1;
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        sb_addf(err, "secrets.%s: its command failed (%s %d)", name,
                WIFEXITED(st) ? "exit status" : "signal",
                WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
        return -1;
    }
    if (val->len && val->p[val->len - 1] == '\n')
        val->p[--val->len] = '\0';
    if (val->len == 0) {
        sb_addf(err, "secrets.%s: its command printed nothing", name);
        return -1;
    }
    return 0;
}

static int ssrc_env(const char *name, const char *var, sec_buf *val, strbuf *err)
{
    const char *v = getenv(var);
    if (!v) {
        sb_addf(err, "secrets.%s: environment variable %s is not set", name, var);
        return -1;
    }
    if (!*v) {
        sb_addf(err, "secrets.%s: environment variable %s is empty", name, var);
        return -1;
    }
    if (sec_buf_add(val, v, strlen(v)) < 0) {
        sb_addf(err, "secrets.%s: environment variable %s is larger than 1 MiB", name, var);
        return -1;
    }
    return 0;
}

static int ssrc_one(const char *name, const fv *src, const char *dir, sec_buf *val, strbuf *err)
{
    const char *v;
    if ((v = fv_gets(src, "env")) != NULL)
        return ssrc_env(name, v, val, err);
    if ((v = fv_gets(src, "file")) != NULL)
        return ssrc_file(name, v, dir, val, err);
    if ((v = fv_gets(src, "command")) != NULL)
        return ssrc_command(name, v, val, err);
    sb_addf(err, "secrets.%s: no source (env, file or command)", name);
    return -1;
}

int ssrc_load(const fv *decl, const char *dir, sec_set *out, strbuf *err)
{
    for (size_t i = 0; decl && decl->kind == FV_MAP && i < decl->n; i++) {
        sec_buf val = {0};
        if (ssrc_one(decl->keys[i], decl->items[i], dir, &val, err) < 0) {
            sec_buf_free(&val);
            sec_set_free(out);
            return -1;
        }
        sec_set_add(out, decl->keys[i], &val);
    }
    return 0;
}

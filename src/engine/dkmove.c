/* dkmove.c -- GET /images/{id}/get on one engine into POST /images/load on
 * another (dkmove.h).
 *
 * Two transfers at once: a second process runs the export and writes the
 * tar into a pipe that this one's load reads as its request body, so
 * memory stays at a pipe and two curl buffers whatever the image weighs,
 * and each process keeps the one-connection client of docker.c. Saved by
 * ID, the archive names no tag, so the load tags nothing; an export that
 * fails midway makes the load's body fail too (the read callback knows),
 * so the engine never takes a cut archive for a whole one. */
#include "dkmove.h"

#include "cancel.h"
#include "dk_int.h"
#include "ep_engine.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* GET /images/{id}/get, the archive written to fd. 0, -1, -2. */
static int dkm_export(dk_client *c, const char *id, int fd, strbuf *err)
{
    int rc = dk_negotiate(c, err);
    if (rc != 0)
        return rc;
    strbuf path = STRBUF_INIT;
    sb_addf(&path, "/v%s/images/%s/get", c->ep.version, id);
    dk_xfer x = {.c = c, .sink = fd + 1, .stream_err = STRBUF_INIT, .body = STRBUF_INIT};
    rc = dk_perform(c, path.buf, &x, NULL, err);
    if (rc == 0 && x.status != 200) {
        dk_http_error(&x, err);
        rc = -1;
    }
    sb_release(&path);
    dk_xfer_release(&x);
    return rc;
}

/* The exporting process: the engine from, the archive into fd, a failure's
 * message into efd. Never returns. */
static void dkm_exporter(const char *id, const char *from, int fd, int efd)
{
    strbuf err = STRBUF_INIT;
    ep_engine_use(from);
    dk_client *c = dk_open(&err);
    int rc = c ? dkm_export(c, id, fd, &err) : -1;
    dk_close(c);
    close(fd);
    if (rc != 0 && write(efd, err.buf, err.len) < 0)
        rc = -1;
    _exit(rc == 0 ? 0 : 1);
}

/* The load's request body: the pipe, until the exporter closes it. */
typedef struct dkm_src {
    int fd;
    pid_t pid;
    int status; /* the exporter's wait status, once reaped; -1 before */
} dkm_src;

static int dkm_reap(dkm_src *s)
{
    if (s->status < 0) {
        int ws;
        while (waitpid(s->pid, &ws, 0) < 0)
            if (errno != EINTR) {
                ws = 1 << 8;
                break;
            }
        s->status = ws;
    }
    return WIFEXITED(s->status) && WEXITSTATUS(s->status) == 0;
}

static size_t dkm_read(char *buf, size_t len, void *ud)
{
    dkm_src *s = ud;
    for (;;) {
        ssize_t n = read(s->fd, buf, len);
        if (n > 0)
            return (size_t)n;
        if (n < 0 && errno == EINTR && cancel_pending() == CANCEL_NONE)
            continue;
        /* The end of the archive counts only when the export ended well. */
        if (n == 0 && dkm_reap(s))
            return 0;
        return (size_t)-1;
    }
}

/* POST /images/load?quiet=1 with the body from s. 0, -1, -2. */
static int dkm_load(dk_client *c, dkm_src *s, strbuf *err)
{
    return dk_tar_post(c, "images/load", "quiet=1", 0, dkm_read, s, NULL, NULL, err);
}

/* Whether c's engine has image id: 1 yes, 0 no, -1/-2 as dk_image_user. */
static int dkm_has(dk_client *c, const char *id, strbuf *err)
{
    strbuf user = STRBUF_INIT;
    int rc = dk_image_user(c, id, &user, err);
    sb_release(&user);
    return rc == 0 ? 1 : rc == 1 ? 0 : rc;
}

/* Runs the exporter and loads what it writes. 0, -1, -2. */
static int dkm_pipe(dk_client *c, const char *id, const char *from, strbuf *err)
{
    int p[2], e[2];
    if (pipe(p) != 0 || pipe(e) != 0) {
        sb_addf(err, "cannot make a pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        sb_addf(err, "cannot start the export: %s", strerror(errno));
        close(p[0]), close(p[1]), close(e[0]), close(e[1]);
        return -1;
    }
    if (pid == 0) {
        close(p[0]);
        close(e[0]);
        dkm_exporter(id, from, p[1], e[1]);
    }
    close(p[1]);
    close(e[1]);
    dkm_src s = {.fd = p[0], .pid = pid, .status = -1};
    strbuf lerr = STRBUF_INIT;
    int rc = dkm_load(c, &s, &lerr);
    close(p[0]); /* an exporter still writing gets EPIPE and ends */
    int exported = dkm_reap(&s);
    char ebuf[512];
    ssize_t n = read(e[0], ebuf, sizeof ebuf - 1);
    close(e[0]);
    ebuf[n > 0 ? n : 0] = '\0';
    if (rc == -2)
        sb_adds(err, "interrupted");
    else if (!exported)
        sb_add(err, ebuf, strcspn(ebuf, "\n"));
    else if (rc != 0)
        sb_addbuf(err, &lerr);
    if (!exported && !err->len)
        sb_adds(err, "the export ended early");
    sb_release(&lerr);
    return rc == -2 ? -2 : (!exported || rc != 0) ? -1 : 0;
}

int dkm_move(const char *id, const char *from, const char *to, strbuf *err)
{
    strbuf why = STRBUF_INIT;
    ep_engine_use(to);
    dk_client *c = dk_open(&why);
    int rc = c ? dkm_has(c, id, &why) : -1;
    if (rc == 1)
        rc = 0; /* there already */
    else if (rc == 0)
        rc = dkm_pipe(c, id, from, &why) == 0 ? 1 : -1;
    if (rc < 0 && cancel_pending() != CANCEL_NONE)
        rc = -2;
    if (rc < 0)
        sb_addf(err, "cannot move %s from %s to %s: %s", id, from ? from : "the default engine",
                to ? to : "the default engine", why.buf);
    dk_close(c);
    sb_release(&why);
    return rc;
}

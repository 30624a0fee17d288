/* epssh.c -- the OpenSSH client as the transport of an ssh:// engine
 * (epssh.h). */
#include "epssh.h"

#include "dkcred.h"
#include "endpoint.h"
#include "mem.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* What of ssh's stderr is read back for a message. */
#define EP_SSH_MAX_ERR 4096

/* Characters a user name, a host or a socket path may hold: they reach
 * ssh's command line and the remote shell, so nothing that would need
 * quoting there. */
static int ep_ssh_word(const char *s, size_t n, const char *extra)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("._-", c) || (c && strchr(extra, c))))
            return 0;
    }
    return n > 0;
}

/* The inside of [V6]: an IPv6 address's characters only (hex digits,
 * ':' and a dotted IPv4 tail), so it can never start with '-' and be read
 * by ssh as an option. */
static int ep_ssh_v6(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]) && s[i] != ':' && s[i] != '.')
            return 0;
    return n > 0;
}

static ep_ssh *ep_ssh_bad(ep_ssh *s, const char *what, const char *why, strbuf *err)
{
    sb_addf(err, "%s: %s", what, why);
    ep_ssh_free(s);
    return NULL;
}

/* HOST or [V6] and the optional :PORT of the authority a[0..n). */
static int ep_ssh_hostport(const char *a, size_t n, ep_ssh *s, const char **why)
{
    const char *colon = NULL, *host = a;
    size_t hlen = n;
    if (n && a[0] == '[') {
        const char *close = memchr(a, ']', n);
        if (!close || (close + 1 < a + n && close[1] != ':')) {
            *why = "expected ssh://[user@]host[:port]";
            return -1;
        }
        host = a + 1;
        hlen = (size_t)(close - a - 1);
        colon = close + 1 < a + n ? close + 1 : NULL;
        if (!ep_ssh_v6(host, hlen)) {
            *why = "not a host name or address";
            return -1;
        }
    } else {
        colon = memchr(a, ':', n);
        hlen = colon ? (size_t)(colon - a) : n;
        if (!ep_ssh_word(host, hlen, "") || host[0] == '-') {
            *why = hlen ? "not a host name or address" : "no host name";
            return -1;
        }
    }
    if (colon) {
        size_t plen = (size_t)(a + n - colon - 1);
        if (ep_port(colon + 1, plen) < 0) {
            *why = "the port is not a number from 1 to 65535";
            return -1;
        }
        strvec_push(&s->argv, "-p");
        strvec_pushf(&s->argv, "%.*s", (int)plen, colon + 1);
    }
    strvec_push(&s->argv, "--");
    strvec_pushf(&s->argv, "%.*s", (int)hlen, host);
    return 0;
}

/* The client's socket path: in a directory of a random name, so no other
 * process can guess it (ep_ssh_start checks the peer anyway); fixed for
 * the client's life, as curl is told it before it connects. Left empty
 * when there is no randomness: ep_ssh_listen then fails. */
static void ep_ssh_path(ep_ssh *s)
{
    unsigned char r[12];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
        return;
    const char *dir = getenv("TMPDIR");
    /* 108 bytes is all a socket's path may hold: a long TMPDIR is skipped. */
    if (!dir || !*dir || strlen(dir) > 40)
        dir = "/tmp";
    int n = snprintf(s->path, sizeof s->path, "%s/fuse-ssh.%ld.", dir, (long)getpid());
    for (size_t i = 0; i < sizeof r; i++, n += 2)
        snprintf(s->path + n, sizeof s->path - (size_t)n, "%02x", r[i]);
    snprintf(s->path + n, sizeof s->path - (size_t)n, "/s");
}

/* Removes the socket and its directory: the connection outlives them. */
static void ep_ssh_unlisten(ep_ssh *s)
{
    if (s->listener < 0)
        return;
    close(s->listener);
    s->listener = -1;
    unlink(s->path);
    char *slash = strrchr(s->path, '/');
    *slash = '\0';
    rmdir(s->path);
    *slash = '/';
}

ep_ssh *ep_ssh_new(const char *url, const char *what, strbuf *err)
{
    ep_ssh *s = xcalloc(1, sizeof *s);
    strvec_init(&s->argv);
    ep_ssh_path(s);
    s->listener = -1;
    s->pid = -1;
    s->errfd = -1;
    s->status = -1;
    const char *a = url + strlen("ssh://");
    size_t n = strcspn(a, "/?#");
    const char *path = a + n;
    if (strpbrk(path, "?#"))
        return ep_ssh_bad(s, what, "query parameters and fragments are not allowed", err);
    if (*path && strspn(path, "/") != strlen(path) && !ep_ssh_word(path, strlen(path), "/"))
        return ep_ssh_bad(s, what, "the socket path holds characters fuse does not pass on", err);
    strvec_pushv(&s->argv, (const char *const[]){"ssh", "-o", "ConnectTimeout=30", "-T", NULL});
    const char *at = memchr(a, '@', n);
    if (at) {
        size_t ulen = (size_t)(at - a);
        if (memchr(a, ':', ulen))
            return ep_ssh_bad(s, what, "a password in the URL is not supported", err);
        if (!ep_ssh_word(a, ulen, "") || a[0] == '-')
            return ep_ssh_bad(s, what, "not a user name", err);
        strvec_push(&s->argv, "-l");
        strvec_pushf(&s->argv, "%.*s", (int)ulen, a);
        n -= ulen + 1;
        a = at + 1;
    }
    const char *why = NULL;
    if (ep_ssh_hostport(a, n, s, &why) != 0)
        return ep_ssh_bad(s, what, why, err);
    strvec_push(&s->argv, "docker");
    if (*path && strspn(path, "/") != strlen(path))
        strvec_pushf(&s->argv, "--host=unix://%s", path);
    strvec_pushv(&s->argv, (const char *const[]){"system", "dial-stdio", NULL});
    return s;
}

/* An unlinked file in TMPDIR for ssh's stderr: it never blocks ssh as a
 * full pipe would, and nothing is left behind. */
static int ep_ssh_errfile(void)
{
    const char *dir = getenv("TMPDIR");
    strbuf t = STRBUF_INIT;
    sb_addf(&t, "%s/fuse-ssh.XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkostemp(t.buf, O_CLOEXEC);
    if (fd >= 0)
        unlink(t.buf);
    sb_release(&t);
    return fd;
}

int ep_ssh_listen(ep_ssh *s, strbuf *err)
{
    ep_ssh_unlisten(s);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (!s->path[0] || strlen(s->path) >= sizeof a.sun_path) {
        sb_adds(err, "cannot make a socket for ssh: no random name");
        return -1;
    }
    memcpy(a.sun_path, s->path, strlen(s->path) + 1);
    char *slash = strrchr(s->path, '/');
    *slash = '\0';
    int made = mkdir(s->path, 0700);
    *slash = '/';
    int fd = -1;
    s->listener = made == 0 ? socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0) : -1;
    if (made != 0 || s->listener < 0 || bind(s->listener, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(s->listener, 1) != 0 || (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
        sb_addf(err, "cannot make a socket for ssh: %s", strerror(errno));
        if (made == 0 && s->listener < 0) {
            *slash = '\0';
            rmdir(s->path);
            *slash = '/';
        }
        ep_ssh_unlisten(s);
        return -1;
    }
    return fd;
}

/* The connection the client made: from this very process, or none. */
static int ep_ssh_accept(ep_ssh *s, strbuf *err)
{
    int fd = accept4(s->listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    ep_ssh_unlisten(s);
    struct ucred cred;
    socklen_t clen = sizeof cred;
    if (fd >= 0 &&
        (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) != 0 || cred.pid != getpid())) {
        close(fd);
        fd = -1;
        errno = EPERM;
    }
    if (fd < 0)
        sb_addf(err, "cannot connect to ssh: %s", strerror(errno));
    /* ssh reads and writes it blocking, as a pipe. */
    if (fd >= 0 && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0) {
        sb_addf(err, "cannot connect to ssh: %s", strerror(errno));
        close(fd);
        fd = -1;
    }
    return fd;
}

int ep_ssh_start(ep_ssh *s, strbuf *err)
{
    if (s->listener < 0)
        return 0; /* a connection reused: its ssh runs */
    strbuf prog = STRBUF_INIT;
    if (dkc_find("ssh", &prog) != 0) {
        sb_adds(err, "ssh: not found on PATH (ssh:// engines need the OpenSSH client)");
        sb_release(&prog);
        ep_ssh_unlisten(s);
        return -1;
    }
    int sock = ep_ssh_accept(s, err), serr = 0;
    if (sock < 0) {
        sb_release(&prog);
        return -1;
    }
    if (s->errfd >= 0)
        close(s->errfd);
    s->errfd = ep_ssh_errfile();
    if (s->errfd < 0)
        serr = errno;
    else
        s->pid = dkc_spawn(prog.buf, s->argv.v, (const int[3]){sock, sock, s->errfd},
                           POSIX_SPAWN_SETSID, &serr);
    sb_release(&prog);
    close(sock);
    if (s->pid < 0) {
        sb_addf(err, "cannot run ssh: %s", strerror(serr));
        return -1;
    }
    s->status = -1;
    return 0;
}

/* Reaps ssh if it ended within ms milliseconds; 1 when it did. */
static int ep_ssh_reap(ep_ssh *s, long ms)
{
    const struct timespec tick = {0, 10 * 1000 * 1000};
    for (long waited = 0;; waited += 10) {
        int ws;
        pid_t r = waitpid(s->pid, &ws, WNOHANG);
        if (r == s->pid) {
            s->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
            s->pid = -1;
            return 1;
        }
        if (r < 0 && errno != EINTR) {
            s->pid = -1; /* not ours any more: nothing to wait for */
            return 1;
        }
        if (waited >= ms)
            return 0;
        nanosleep(&tick, NULL);
    }
}

/* 1 when ssh closed its end of the connection: it is leaving by itself. */
static int ep_ssh_hung_up(int fd)
{
    struct pollfd p = {fd, POLLIN | POLLRDHUP, 0};
    char c;
    if (poll(&p, 1, 0) != 1)
        return 0;
    return (p.revents & (POLLRDHUP | POLLHUP)) || recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

void ep_ssh_disconnect(ep_ssh *s, int fd)
{
    int gone = fd >= 0 && ep_ssh_hung_up(fd);
    if (fd >= 0)
        close(fd);
    if (s->pid < 0)
        return;
    /* An ssh that hung up is ending with its own status (ep_ssh_failed
     * reads it); one that did not is ended as the docker CLI ends it, so a
     * run never waits for the remote side to close. */
    if (gone && ep_ssh_reap(s, 10000))
        return;
    kill(s->pid, SIGTERM);
    if (!ep_ssh_reap(s, 3000)) {
        kill(s->pid, SIGKILL);
        ep_ssh_reap(s, 10000);
    }
}

/* The last line of ssh's stderr that is not a warning, into line; the
 * whole text (bounded) into all. */
static void ep_ssh_stderr(const ep_ssh *s, strbuf *line, strbuf *all)
{
    char buf[EP_SSH_MAX_ERR];
    ssize_t n = s->errfd >= 0 ? pread(s->errfd, buf, sizeof buf, 0) : -1;
    if (n <= 0)
        return;
    sb_add(all, buf, (size_t)n);
    sb_rtrim(all);
    for (const char *p = all->buf; *p;) {
        size_t len = strcspn(p, "\r\n");
        if (len && strncmp(p, "Warning:", 8) != 0) {
            sb_reset(line);
            sb_add(line, p, len);
        }
        p += len;
        p += strspn(p, "\r\n");
    }
}

int ep_ssh_failed(ep_ssh *s, const char *host, strbuf *err)
{
    /* The connection broke: ssh is leaving, or left already. */
    if (s->pid >= 0 && !ep_ssh_reap(s, 10000))
        return 0;
    if (s->status <= 0)
        return 0;
    strbuf line = STRBUF_INIT, all = STRBUF_INIT;
    ep_ssh_stderr(s, &line, &all);
    const char *l = line.len ? line.buf : "no message";
    if (s->status == 255 && strstr(l, "Permission denied"))
        sb_addf(err, "%s: the ssh login was refused: %s", host, l);
    else if (s->status == 255 && strstr(all.buf, "Host key verification failed"))
        sb_addf(err, "%s: the host key is not known (add it to known_hosts): %s", host, l);
    else if (s->status == 255)
        sb_addf(err, "cannot reach %s: %s", host, l);
    else if (s->status == 127)
        sb_addf(err, "%s: no docker command on the remote host: %s", host, l);
    else
        sb_addf(err, "%s: docker system dial-stdio failed (exit %d): %s", host, s->status, l);
    /* Everything ssh said, after the first line: shown only on failure. */
    if (all.len)
        sb_addf(err, "\n%s", all.buf);
    sb_release(&line);
    sb_release(&all);
    return 1;
}

void ep_ssh_free(ep_ssh *s)
{
    if (!s)
        return;
    ep_ssh_disconnect(s, -1);
    if (s->errfd >= 0)
        close(s->errfd);
    ep_ssh_unlisten(s);
    strvec_clear(&s->argv);
    free(s);
}

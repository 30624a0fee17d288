/* fakeengine.c -- the fake Docker engine of the unit tests (fakeengine.h). */
#include "fakeengine.h"

#include "cancel.h"
#include "testutil.h"

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define STREAM_OK                                                                                  \
    "{\"stream\":\"Step 1/2 : FROM fuse-test/busybox\\n\"}\r\n"                                    \
    "{\"stream\":\" ---\\u003e fc4aa6640cb5\\n\"}\n"                                               \
    "{\"stream\":\"caf\\u00e9\\n\"}{\"aux\":{\"ID\":\"sha256:0123abcd\"}}\n"                       \
    "{\"stream\":\"Successfully built 0123abcd\\n\"}\n"
#define STREAM_ERR                                                                                 \
    "{\"stream\":\"Step 1/2 : FROM fuse-test/busybox\\n\"}\r\n"                                    \
    "{\"errorDetail\":{\"code\":1,\"message\":\"The command '/bin/sh -c false' returned a "        \
    "non-zero code: 1\"},\"error\":\"The command '/bin/sh -c false' returned a non-zero code: "    \
    "1\"}\r\n"

/* A buffered reader over one connection. */
typedef struct conn {
    int fd;
    char buf[4096];
    size_t pos, len;
} conn;

static int conn_fill(conn *c)
{
    if (c->pos < c->len)
        return 1;
    ssize_t n = recv(c->fd, c->buf, sizeof c->buf, 0);
    if (n <= 0)
        return 0;
    c->pos = 0;
    c->len = (size_t)n;
    return 1;
}

/* One line without its CRLF; 0 at EOF. */
static int conn_line(conn *c, strbuf *line)
{
    sb_reset(line);
    for (;;) {
        if (!conn_fill(c))
            return 0;
        char ch = c->buf[c->pos++];
        if (ch == '\n') {
            if (line->len && line->buf[line->len - 1] == '\r')
                line->buf[--line->len] = '\0';
            sb_grow(line, 0);
            return 1;
        }
        sb_addc(line, ch);
    }
}

static int conn_bytes(conn *c, size_t n, strbuf *out)
{
    while (n) {
        if (!conn_fill(c))
            return 0;
        size_t k = c->len - c->pos < n ? c->len - c->pos : n;
        if (out)
            sb_add(out, c->buf + c->pos, k);
        c->pos += k;
        n -= k;
    }
    return 1;
}

static void say(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t k = send(fd, s, n, MSG_NOSIGNAL);
        if (k <= 0)
            return;
        s += k;
        n -= (size_t)k;
    }
}

static void says(int fd, const char *s)
{
    say(fd, s, strlen(s));
}

static void answer_json(int fd, int status, const char *json, int close_after)
{
    char head[256];
    snprintf(head, sizeof head,
             "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n%s\r\n",
             status, strlen(json), close_after ? "Connection: close\r\n" : "");
    says(fd, head);
    says(fd, json);
}

/* Sends data as an HTTP chunked body in pieces of 1 to 3 bytes, each in its
 * own send() with a pause, so the client's reads see them split. */
static void say_chunked(int fd, const char *data, size_t len, int finish)
{
    for (size_t at = 0, k; at < len; at += k) {
        k = 1 + at % 3;
        if (k > len - at)
            k = len - at;
        char head[32];
        snprintf(head, sizeof head, "%zx\r\n", k);
        says(fd, head);
        say(fd, data + at, k);
        says(fd, "\r\n");
        usleep(200);
    }
    if (finish)
        says(fd, "0\r\n\r\n");
}

/* Reads the request body per its headers into f->body (or discards it). */
static int read_body(fake *f, conn *c, int chunked, long length, int keep)
{
    strbuf line = STRBUF_INIT;
    int ok = 1;
    if (chunked) {
        for (;;) {
            if (!conn_line(c, &line)) {
                ok = 0;
                break;
            }
            size_t n = strtoul(line.buf, NULL, 16);
            if (n == 0) {
                while ((ok = conn_line(c, &line)) && line.len) /* trailers */
                    ;
                break;
            }
            if (keep)
                f->n_chunks++;
            if (!conn_bytes(c, n, keep ? &f->body : NULL) || !conn_line(c, &line)) {
                ok = 0;
                break;
            }
        }
    } else if (length > 0) {
        ok = conn_bytes(c, (size_t)length, keep ? &f->body : NULL);
    }
    sb_release(&line);
    return ok;
}

static void version_answer(fake *f, int fd)
{
    if (f->sc == SC_VERSION_500) {
        answer_json(fd, 500, "{\"message\":\"version broke\"}\n", 0);
        return;
    }
    char json[256];
    snprintf(json, sizeof json,
             "{\"Version\":\"99.0\",\"ApiVersion\":\"%s\",\"MinAPIVersion\":\"%s\",\"Os\":"
             "\"linux\"}\n",
             f->api, f->min_api);
    answer_json(fd, 200, json, 0);
}

/* /_ping: 200 "OK" with f->ping's header lines, or 404 as an engine too
 * old to have it (the client asks /version then). */
static void ping_answer(fake *f, int fd)
{
    if (!f->ping) {
        answer_json(fd, 404, "{\"message\":\"page not found\"}", 0);
        return;
    }
    char head[512];
    snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\n%sContent-Length: 2\r\n\r\nOK", f->ping);
    says(fd, head);
}

static const char chunked_head[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                   "Transfer-Encoding: chunked\r\n\r\n";

/* Answers a build; 0 when the connection must close afterwards. */
static int build_answer(fake *f, conn *c, int chunked, long length)
{
    if (f->sc == SC_EARLY) {
        answer_json(c->fd, 400, "{\"message\":\"invalid reference format\"}\n", 1);
        read_body(f, c, chunked, length, 0);
        return 0;
    }
    f->body_complete = read_body(f, c, chunked, length, 1);
    if (!f->body_complete)
        return 0;
    switch (f->sc) {
    case SC_500:
        answer_json(c->fd, 500, "{\"message\":\"no space left on device\"}\n", 0);
        return 1;
    case SC_CUT:
        says(c->fd, chunked_head);
        say_chunked(c->fd, STREAM_OK, sizeof STREAM_OK / 2, 0);
        return 0;
    case SC_ERRMSG:
        says(c->fd, chunked_head);
        say_chunked(c->fd, STREAM_ERR, sizeof STREAM_ERR - 1, 1);
        return 1;
    case SC_HANG: {
        says(c->fd, chunked_head);
        say_chunked(c->fd, "{\"stream\":\"Step 1/2\\n\"}\n", 24, 0);
        struct pollfd p[2] = {{.fd = c->fd, .events = POLLIN},
                              {.fd = f->stop[0], .events = POLLIN}};
        while (poll(p, 2, -1) < 0 && errno == EINTR)
            ;
        f->client_closed = (p[0].revents & (POLLIN | POLLHUP)) && !conn_fill(c);
        return 0;
    }
    case SC_CANNED:
        says(c->fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    "Connection: close\r\n\r\n");
        says(c->fd, f->canned);
        return 0;
    default:
        says(c->fd, chunked_head);
        say_chunked(c->fd, STREAM_OK, sizeof STREAM_OK - 1, 1);
        return 1;
    }
}

/* Serves requests on one connection until it closes. */
static void serve_conn(fake *f, int fd)
{
    conn c = {.fd = fd};
    strbuf line = STRBUF_INIT;
    for (;;) {
        char method[16], path[1024];
        if (!conn_line(&c, &line) || sscanf(line.buf, "%15s %1023s", method, path) != 2)
            break;
        sb_addbuf(&f->requests, &line);
        sb_addc(&f->requests, '\n');
        int chunked = 0, expect = 0;
        long length = -1;
        while (conn_line(&c, &line) && line.len) {
            if (strcasecmp(line.buf, "Transfer-Encoding: chunked") == 0)
                chunked = 1;
            if (strncasecmp(line.buf, "Content-Length:", 15) == 0)
                length = atol(line.buf + 15);
            if (strncasecmp(line.buf, "Expect:", 7) == 0)
                expect = 1;
        }
        if (strcmp(path, "/_ping") == 0) {
            f->n_ping++;
            ping_answer(f, fd);
            continue;
        }
        if (strcmp(path, "/version") == 0) {
            f->n_version++;
            version_answer(f, fd);
            continue;
        }
        if (strstr(path, "/images/") && strlen(path) > 5 &&
            strcmp(path + strlen(path) - 5, "/json") == 0) {
            f->n_inspect++;
            const char *ans = f->did_pull ? f->pulled : f->inspect;
            answer_json(fd, ans ? 200 : 404, ans ? ans : "{\"message\":\"No such image\"}", 0);
            continue;
        }
        if (strstr(path, "/images/create?")) {
            f->n_pull++;
            f->did_pull = f->pulled != NULL;
            answer_json(fd, f->pulled ? 200 : 404,
                        f->pulled ? "{\"status\":\"Pulling\"}\r\n{\"status\":\"Downloaded\"}\r\n"
                                  : "{\"message\":\"pull access denied\"}",
                        0);
            continue;
        }
        if (strstr(path, "/build")) {
            f->n_build++;
            snprintf(f->build_path, sizeof f->build_path, "%s %s", method, path);
            f->chunked = chunked;
            f->had_length = length >= 0;
            f->had_expect = expect;
            if (!build_answer(f, &c, chunked, length))
                break;
            continue;
        }
        answer_json(fd, 404, "{\"message\":\"page not found\"}", 0);
    }
    sb_release(&line);
}

static void *fake_main(void *ud)
{
    fake *f = ud;
    for (;;) {
        struct pollfd p[2] = {{.fd = f->lfd, .events = POLLIN},
                              {.fd = f->stop[0], .events = POLLIN}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[1].revents)
            break;
        int fd = accept(f->lfd, NULL, NULL);
        if (fd < 0)
            continue;
        f->n_conn++;
        serve_conn(f, fd);
        close(fd);
    }
    return NULL;
}

int listen_unix(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(fd, 4), 0);
    return fd;
}

/* A listening TCP socket on 127.0.0.1 and a port the kernel picks. */
static int listen_tcp(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(fd, 4), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

/* Starts the thread; f->canned is set before it runs. */
static void fake_begin(fake *f, enum scenario sc, const char *api, int tcp, const char *canned,
                       const char *inspect, const char *pulled, const char *ping)
{
    memset(f, 0, sizeof *f);
    f->ping = ping;
    sb_init(&f->body);
    sb_init(&f->requests);
    f->canned = canned;
    f->inspect = inspect;
    f->pulled = pulled;
    test_tmpdir(f->dir, sizeof f->dir, "dk-test");
    snprintf(f->sock, sizeof f->sock, "%s/docker.sock", f->dir);
    f->lfd = tcp ? listen_tcp(&f->port) : listen_unix(f->sock);
    ck_assert_int_eq(pipe(f->stop), 0);
    f->sc = sc;
    f->api = api;
    f->min_api = "1.12";
    ck_assert_int_eq(pthread_create(&f->th, NULL, fake_main, f), 0);
    char host[160];
    if (tcp)
        snprintf(host, sizeof host, "tcp://127.0.0.1:%d", f->port);
    else
        snprintf(host, sizeof host, "unix://%s", f->sock);
    setenv("DOCKER_HOST", host, 1);
    unsetenv("DOCKER_API_VERSION");
    unsetenv("DOCKER_TLS_VERIFY");
    unsetenv("DOCKER_CERT_PATH");
    cancel_reset();
}

void fake_start_on(fake *f, enum scenario sc, const char *api, int tcp)
{
    fake_begin(f, sc, api, tcp, NULL, NULL, NULL, NULL);
}

void fake_start(fake *f, enum scenario sc, const char *api)
{
    fake_begin(f, sc, api, 0, NULL, NULL, NULL, NULL);
}

void fake_start_canned(fake *f, const char *response)
{
    fake_begin(f, SC_CANNED, "1.41", 0, response, NULL, NULL, NULL);
}

void fake_start_inspect(fake *f, const char *response, const char *inspect, const char *pulled)
{
    fake_begin(f, SC_CANNED, "1.41", 0, response, inspect, pulled, NULL);
}

void fake_stop(fake *f)
{
    ck_assert_int_eq(write(f->stop[1], "x", 1), 1);
    pthread_join(f->th, NULL);
    close(f->lfd);
    close(f->stop[0]);
    close(f->stop[1]);
    unlink(f->sock);
    rmdir(f->dir);
}

void fake_free(fake *f)
{
    sb_release(&f->body);
    sb_release(&f->requests);
}
void fake_start_ping(fake *f, const char *ping)
{
    fake_begin(f, SC_OK, "1.41", 0, NULL, NULL, NULL, ping);
}

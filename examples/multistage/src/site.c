/* site.c -- a tiny static-file HTTP server, the program examples/multistage
 * compiles in its builder image. One process, one request at a time:
 *
 *   site [--config FILE]          serve (FILE: /etc/site/site.conf)
 *   site --check [--config FILE]  GET /health on the configured port;
 *                                 exit 0 if it answers "ok" (HEALTHCHECK)
 *
 * The configuration is "key = value" lines: port, root, name. GET /health
 * answers "ok"; any other path is a file under root ("/" is index.html),
 * sent with a Server header naming the site. Built with gcc -static, so the
 * binary alone runs on an image without a C library. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

struct conf {
    int port;
    char root[256];
    char name[128];
};

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

static int conf_read(const char *path, struct conf *c)
{
    char line[512];
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "site: %s: %s\n", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof line, f)) {
        char *eq = strchr(line, '=');
        if (line[0] == '#' || !eq)
            continue;
        *eq = '\0';
        char *val = eq + 1 + strspn(eq + 1, " ");
        trim(line);
        trim(val);
        if (strcmp(line, "port") == 0)
            c->port = atoi(val);
        else if (strcmp(line, "root") == 0)
            snprintf(c->root, sizeof c->root, "%s", val);
        else if (strcmp(line, "name") == 0)
            snprintf(c->name, sizeof c->name, "%s", val);
    }
    fclose(f);
    if (c->port <= 0 || c->port > 65535 || !c->root[0]) {
        fprintf(stderr, "site: %s: needs port and root\n", path);
        return -1;
    }
    return 0;
}

static const char *mime(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot && strcmp(dot, ".html") == 0)
        return "text/html";
    if (dot && strcmp(dot, ".css") == 0)
        return "text/css";
    return "application/octet-stream";
}

static void reply(int fd, const struct conf *c, const char *status, const char *type,
                  const char *body, size_t len)
{
    char head[512];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.0 %s\r\nServer: %s\r\nContent-Type: %s\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     status, c->name, type, len);
    if (write(fd, head, (size_t)n) < 0 || (len && write(fd, body, len) < 0))
        perror("site: write");
}

static void send_file(int fd, const struct conf *c, const char *path)
{
    char full[1536];
    struct stat st;
    snprintf(full, sizeof full, "%s%s", c->root, strcmp(path, "/") == 0 ? "/index.html" : path);
    int in = strstr(path, "..") ? -1 : open(full, O_RDONLY);
    if (in < 0 || fstat(in, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (in >= 0)
            close(in);
        reply(fd, c, "404 Not Found", "text/plain", "not found\n", 10);
        return;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    ssize_t got = buf ? read(in, buf, (size_t)st.st_size) : -1;
    close(in);
    if (got < 0)
        reply(fd, c, "500 Internal Server Error", "text/plain", "error\n", 6);
    else
        reply(fd, c, "200 OK", mime(full), buf, (size_t)got);
    free(buf);
}

static void serve_one(int fd, const struct conf *c)
{
    char req[2048], path[1024];
    ssize_t n = read(fd, req, sizeof req - 1);
    if (n <= 0)
        return;
    req[n] = '\0';
    if (sscanf(req, "GET %1023s", path) != 1)
        reply(fd, c, "405 Method Not Allowed", "text/plain", "GET only\n", 9);
    else if (strcmp(path, "/health") == 0)
        reply(fd, c, "200 OK", "text/plain", "ok\n", 3);
    else
        send_file(fd, c, path);
}

static int serve(const struct conf *c)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)c->port)};
    int one = 1, s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 16) != 0) {
        perror("site: listen");
        return 1;
    }
    fprintf(stderr, "site: %s serving %s on port %d\n", c->name, c->root, c->port);
    for (;;) {
        int fd = accept(s, NULL, NULL);
        if (fd < 0)
            continue;
        serve_one(fd, c);
        close(fd);
    }
}

static int check(const struct conf *c)
{
    char buf[256];
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)c->port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) != 0)
        return 1;
    const char *req = "GET /health HTTP/1.0\r\n\r\n";
    size_t len = 0;
    ssize_t n = write(s, req, strlen(req));
    /* The answer may come in several reads (head, then body): read to EOF. */
    while (n >= 0 && len < sizeof buf - 1 && (n = read(s, buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t)n;
    close(s);
    buf[len] = '\0';
    return n == 0 && strstr(buf, "\r\n\r\nok\n") ? 0 : 1;
}

static void stop(int sig)
{
    (void)sig;
    _exit(0);
}

int main(int argc, char **argv)
{
    const char *path = "/etc/site/site.conf";
    int checking = 0;
    struct conf c = {.port = 0};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--check") == 0)
            checking = 1;
        else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            path = argv[++i];
        else {
            fprintf(stderr, "usage: site [--check] [--config FILE]\n");
            return 2;
        }
    }
    if (conf_read(path, &c) != 0)
        return 1;
    if (checking)
        return check(&c);
    /* As PID 1 of a container, SIGTERM's default action is ignored: stop on it. */
    signal(SIGTERM, stop);
    signal(SIGINT, stop);
    return serve(&c);
}

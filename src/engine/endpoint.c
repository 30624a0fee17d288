/* endpoint.c -- DOCKER_HOST, TLS files and the API version from the
 * environment, with the docker CLI's defaults and one clear line for each
 * malformed setting. */
#include "endpoint.h"

#include "mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int ep_vnum(const char *s)
{
    int maj = 0, min = 0, n = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9' && n < 4; p++, n++)
        maj = maj * 10 + (*p - '0');
    if (n == 0 || *p++ != '.')
        return -1;
    for (n = 0; *p >= '0' && *p <= '9' && n < 3; p++, n++)
        min = min * 10 + (*p - '0');
    if (n == 0 || *p)
        return -1;
    return maj * 1000 + min;
}

void ep_vstr(char *out, size_t size, int v)
{
    snprintf(out, size, "%d.%d", v / 1000, v % 1000);
}

static int ep_host_error(const char *host, strbuf *err)
{
    sb_addf(err, "DOCKER_HOST=%s: expected unix:///path/to/socket or tcp://host:port", host);
    return -1;
}

/* tcp://host[:port][/]: host may be [v6]; the port defaults as the docker CLI's. */
static int ep_parse_tcp(ep_endpoint *e, const char *host, const char *rest, strbuf *err)
{
    size_t len = strlen(rest);
    if (len && rest[len - 1] == '/')
        len--;
    char *hp = xmemdup(rest, len);
    char *port = NULL;
    int bad = hp[0] == '\0' || strpbrk(hp, "/?#@ \t") != NULL;
    if (!bad && hp[0] == '[') {
        char *close = strchr(hp, ']');
        bad = !close || close == hp + 1 || (close[1] && close[1] != ':');
        if (!bad && close[1] == ':')
            port = close + 2;
        if (!bad && port)
            close[1] = '\0';
    } else if (!bad) {
        port = strchr(hp, ':');
        if (port)
            *port++ = '\0';
        bad = hp[0] == '\0' || (port && strchr(port, ':'));
    }
    long pnum = e->tls ? 2376 : 2375;
    if (!bad && port) {
        char *end;
        errno = 0;
        pnum = strtol(port, &end, 10);
        bad = !*port || *end || errno || pnum < 1 || pnum > 65535 || *port == '+' || *port == '-';
    }
    if (bad) {
        free(hp);
        return ep_host_error(host, err);
    }
    strbuf b = STRBUF_INIT;
    sb_addf(&b, "%s://%s:%ld", e->tls ? "https" : "http", hp, pnum);
    e->base = sb_detach(&b, NULL);
    free(hp);
    return 0;
}

/* The TLS files of DOCKER_CERT_PATH (default ~/.docker): each one that
 * exists is used; a client certificate needs its key. */
static int ep_tls_files(ep_endpoint *e, strbuf *err)
{
    const char *dir = getenv("DOCKER_CERT_PATH");
    strbuf d = STRBUF_INIT;
    struct stat st;
    if (dir && *dir) {
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            sb_addf(err, "DOCKER_CERT_PATH=%s: not a directory", dir);
            return -1;
        }
        sb_adds(&d, dir);
    } else if (getenv("HOME")) {
        sb_addf(&d, "%s/.docker", getenv("HOME"));
    } else {
        return 0;
    }
    char **slot[3] = {&e->ca, &e->cert, &e->key};
    const char *name[3] = {"ca.pem", "cert.pem", "key.pem"};
    for (int i = 0; i < 3; i++) {
        strbuf f = STRBUF_INIT;
        sb_addf(&f, "%s/%s", d.buf, name[i]);
        if (stat(f.buf, &st) == 0)
            *slot[i] = sb_detach(&f, NULL);
        sb_release(&f);
    }
    int rc = 0;
    if (!e->cert != !e->key) {
        sb_addf(err, "%s: %s without %s", d.buf, e->cert ? "cert.pem" : "key.pem",
                e->cert ? "key.pem" : "cert.pem");
        rc = -1;
    }
    sb_release(&d);
    return rc;
}

/* curl takes a proxy from http_proxy/HTTPS_PROXY as the docker CLI does;
 * like Go's, it must never proxy the loopback, so that list comes first. */
static void ep_noproxy(ep_endpoint *e)
{
    const char *env = getenv("no_proxy");
    if (!env || !*env)
        env = getenv("NO_PROXY");
    strbuf b = STRBUF_INIT;
    sb_adds(&b, "localhost,127.0.0.1,::1");
    if (env && *env)
        sb_addf(&b, ",%s", env);
    e->noproxy = sb_detach(&b, NULL);
}

static int ep_host(ep_endpoint *e, strbuf *err)
{
    const char *host = getenv("DOCKER_HOST");
    if (!host || !*host)
        host = EP_DEFAULT_HOST;
    e->host = xstrdup(host);
    const char *tv = getenv("DOCKER_TLS_VERIFY"), *cp = getenv("DOCKER_CERT_PATH");
    if (strncmp(host, "unix://", 7) == 0) {
        if (!host[7])
            return ep_host_error(host, err);
        e->sock = xstrdup(host + 7);
        e->base = xstrdup("http://localhost");
    } else if (strncmp(host, "tcp://", 6) == 0) {
        e->tls = (tv && *tv) || (cp && *cp);
        if (ep_parse_tcp(e, host, host + 6, err) != 0)
            return -1;
        ep_noproxy(e);
        if (e->tls && ep_tls_files(e, err) != 0)
            return -1;
    } else if (strstr(host, "://")) {
        sb_addf(err, "DOCKER_HOST=%s: unsupported scheme (fuse speaks unix:// and tcp://)", host);
        return -1;
    } else {
        return ep_host_error(host, err);
    }
    return 0;
}

/* DOCKER_API_VERSION fixes the version: no negotiation request then. */
static int ep_api_version(ep_endpoint *e, strbuf *err)
{
    const char *av = getenv("DOCKER_API_VERSION");
    if (!av || !*av)
        return 0;
    int v = ep_vnum(av);
    if (v < 0) {
        sb_addf(err, "DOCKER_API_VERSION=%s: expected a version like %s", av, EP_OUR_API);
        return -1;
    }
    if (v < EP_MIN_API) {
        sb_addf(err, "DOCKER_API_VERSION=%s is too old (need 1.24 or newer)", av);
        return -1;
    }
    ep_vstr(e->version, sizeof e->version, v);
    return 0;
}

int ep_from_env(ep_endpoint *e, strbuf *err)
{
    if (ep_host(e, err) != 0)
        return -1;
    return ep_api_version(e, err);
}

void ep_release(ep_endpoint *e)
{
    free(e->host);
    free(e->sock);
    free(e->base);
    free(e->ca);
    free(e->cert);
    free(e->key);
    free(e->noproxy);
    memset(e, 0, sizeof *e);
}

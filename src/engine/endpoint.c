/* endpoint.c -- the engine as the docker CLI picks it: the command line,
 * DOCKER_HOST, contexts, TLS files and the API version, with the CLI's
 * defaults and one clear line for each malformed setting (endpoint.h). */
#include "endpoint.h"

#include "dkauth.h"
#include "epcontext.h"
#include "epssh.h"
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

long ep_port(const char *s, size_t len)
{
    long v = 0;
    if (len == 0 || len > 5)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v >= 1 && v <= 65535 ? v : -1;
}

/* The -H and --context of the command line. */
static const char *ep_cli_host, *ep_cli_context;

void ep_set_cli(const char *host, const char *context)
{
    ep_cli_host = host;
    ep_cli_context = context;
}

void ep_get_cli(const char **host, const char **context)
{
    *host = ep_cli_host;
    *context = ep_cli_context;
}

/* what names the setting: "DOCKER_HOST=x", "-H x", "context \"c\": Host x". */
static int ep_host_error(const char *what, strbuf *err)
{
    sb_addf(err, "%s: expected unix:///path/to/socket, tcp://host:port or ssh://[user@]host[:port]",
            what);
    return -1;
}

/* tcp://host[:port][/]: host may be [v6]; the port defaults as the docker CLI's. */
static int ep_parse_tcp(ep_endpoint *e, const char *what, const char *rest, strbuf *err)
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
        pnum = ep_port(port, strlen(port));
        bad = pnum < 0;
    }
    if (bad) {
        free(hp);
        return ep_host_error(what, err);
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
    int rc = ep_tls_dir(d.buf, &e->ca, &e->cert, &e->key, err);
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

/* Fills e from the URL host; what names it in messages. TLS comes from the
 * environment when env_tls (the default context), else it is already set. */
static int ep_url(ep_endpoint *e, const char *host, const char *what, int env_tls, strbuf *err)
{
    e->host = xstrdup(host);
    const char *tv = getenv("DOCKER_TLS_VERIFY"), *cp = getenv("DOCKER_CERT_PATH");
    if (strncmp(host, "unix://", 7) == 0) {
        if (!host[7])
            return ep_host_error(what, err);
        e->sock = xstrdup(host + 7);
        e->base = xstrdup("http://localhost");
    } else if (strncmp(host, "tcp://", 6) == 0) {
        if (env_tls)
            e->tls = (tv && *tv) || (cp && *cp);
        if (ep_parse_tcp(e, what, host + 6, err) != 0)
            return -1;
        ep_noproxy(e);
        if (env_tls && e->tls && ep_tls_files(e, err) != 0)
            return -1;
    } else if (strncmp(host, "ssh://", 6) == 0) {
        e->ssh = ep_ssh_new(host, what, err);
        if (!e->ssh)
            return -1;
        /* A numeric address: curl resolves no name, the socket is ours. */
        e->base = xstrdup("http://127.0.0.1");
        e->noproxy = xstrdup("*");
    } else if (strstr(host, "://")) {
        sb_addf(err, "%s: unsupported scheme (fuse speaks unix://, tcp:// and ssh://)", what);
        return -1;
    } else {
        return ep_host_error(what, err);
    }
    return 0;
}

/* The "default" context: -H, else DOCKER_HOST, else the default socket. */
static int ep_default(ep_endpoint *e, strbuf *err)
{
    strbuf what = STRBUF_INIT;
    const char *host = ep_cli_host, *env = getenv("DOCKER_HOST");
    if (host)
        sb_addf(&what, "-H %s", host);
    else if (env && *env)
        sb_addf(&what, "DOCKER_HOST=%s", host = env);
    else
        sb_adds(&what, host = EP_DEFAULT_HOST);
    e->context = xstrdup(EP_DEFAULT_CONTEXT);
    int rc = ep_url(e, host, what.buf, 1, err);
    sb_release(&what);
    return rc;
}

/* A context of the store; from names where its name came from. */
static int ep_context(ep_endpoint *e, const char *name, const char *from, strbuf *err)
{
    if (strcmp(name, EP_DEFAULT_CONTEXT) == 0)
        return ep_default(e, err);
    ep_ctxmeta m;
    if (ep_context_load(name, from, &m, err) != 0)
        return -1;
    e->context = xstrdup(name);
    /* As the CLI: TLS when the context has TLS files or skips verifying. */
    e->tls = m.ca || m.cert || m.skip_verify;
    e->skip_verify = m.skip_verify;
    e->ca = m.ca, e->cert = m.cert, e->key = m.key;
    m.ca = m.cert = m.key = NULL;
    strbuf what = STRBUF_INIT;
    sb_addf(&what, "context \"%s\": Host %s", name, m.host);
    int rc = ep_url(e, *m.host ? m.host : EP_DEFAULT_HOST, what.buf, 0, err);
    if (rc == 0 && !strncmp(e->host, "unix://", 7))
        e->tls = 0; /* no TLS on a socket, whatever the store holds */
    sb_release(&what);
    ep_ctxmeta_release(&m);
    return rc;
}

/* DOCKER_CONTEXT, else config.json's currentContext, else "default". */
static int ep_env_context(ep_endpoint *e, strbuf *err)
{
    const char *env = getenv("DOCKER_CONTEXT");
    strbuf from = STRBUF_INIT;
    int rc;
    if (env && *env) {
        sb_addf(&from, "DOCKER_CONTEXT=%s", env);
        rc = ep_context(e, env, from.buf, err);
    } else {
        dka_config cfg;
        rc = dka_load(&cfg, err);
        if (rc == 0 && cfg.current_context) {
            sb_addf(&from, "%s: currentContext \"%s\"", cfg.path, cfg.current_context);
            rc = ep_context(e, cfg.current_context, from.buf, err);
        } else if (rc == 0) {
            rc = ep_default(e, err);
        }
        dka_free(&cfg);
    }
    sb_release(&from);
    return rc;
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

/* The docker CLI's order (cli/command/cli.go, resolveContextName):
 * --context, then -H or DOCKER_HOST (the default context, as before
 * contexts existed), then DOCKER_CONTEXT, then currentContext. */
int ep_from_env(ep_endpoint *e, strbuf *err)
{
    memset(e, 0, sizeof *e);
    int rc;
    if (ep_cli_context) {
        strbuf from = STRBUF_INIT;
        sb_addf(&from, "--context %s", ep_cli_context);
        rc = ep_context(e, ep_cli_context, from.buf, err);
        sb_release(&from);
    } else if (ep_cli_host || (getenv("DOCKER_HOST") && *getenv("DOCKER_HOST"))) {
        rc = ep_default(e, err);
    } else {
        rc = ep_env_context(e, err);
    }
    return rc != 0 ? -1 : ep_api_version(e, err);
}

int ep_resolve(ep_endpoint *e, const char *name, const char *from, strbuf *err)
{
    memset(e, 0, sizeof *e);
    strbuf what = STRBUF_INIT;
    sb_addf(&what, "%s %s", from, name);
    int rc;
    if (strstr(name, "://")) {
        e->context = xstrdup(EP_DEFAULT_CONTEXT);
        rc = ep_url(e, name, what.buf, 1, err);
    } else {
        rc = ep_context(e, name, what.buf, err);
    }
    sb_release(&what);
    return rc != 0 ? -1 : ep_api_version(e, err);
}

void ep_release(ep_endpoint *e)
{
    free(e->context);
    free(e->host);
    free(e->sock);
    free(e->base);
    free(e->ca);
    free(e->cert);
    free(e->key);
    free(e->noproxy);
    ep_ssh_free(e->ssh);
    memset(e, 0, sizeof *e);
}

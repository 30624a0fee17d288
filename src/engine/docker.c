/* docker.c -- the Docker Engine API client's connection and transfer: one
 * libcurl easy handle, reused for every request so the connection to the
 * daemon is kept open (a new connection costs a round trip on a local
 * engine). The requests made over it are in dkreq.c and dkimage.c. */
#include "docker.h"

#include "dk_int.h"

#include "cancel.h"
#include "dkstream.h"
#include "endpoint.h"
#include "epssh.h"
#include "lazy.h"
#include "mem.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#ifndef FUSE_VERSION
#define FUSE_VERSION "dev"
#endif

/* A cancel request (cancel.h: ^C, --timeout) makes a running transfer stop
 * at its next callback, within a second; the connection closes, so Docker
 * cancels the build. It stays set, so a request started later stops at once. */
#define dk_stop (cancel_pending() != CANCEL_NONE)

/* libcurl's global state is set up here, once per process, on the first
 * dk_open(): only this module uses libcurl, and fuse makes its clients from
 * the main thread. The cleanup runs at exit, after every client is closed. */
static int dk_global_init(strbuf *err)
{
    static int done;
    if (done)
        return 0;
    if (lz_curl_load(err) != 0)
        return -1;
    CURLcode rc = lz_curl.global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
        sb_addf(err, "cannot initialize libcurl: %s", lz_curl.easy_strerror(rc));
        return -1;
    }
    atexit(lz_curl.global_cleanup);
    done = 1;
    return 0;
}

dk_client *dk_open(strbuf *err)
{
    return dk_open_engine(NULL, err);
}

static void dk_free(dk_client *c)
{
    if (!c)
        return;
    if (c->curl)
        lz_curl.easy_cleanup(c->curl);
    ep_release(&c->ep);
    if (c->extra)
        lz_curl.slist_free_all(c->extra);
    sb_release(&c->ssh_err);
    free(c);
}

/* ssh:// clients closed with their connection still open, kept for the
 * next dk_open of the same engine: one ssh serves the whole run, task
 * after task. A client has one user at a time; DockerBuilder's
 * build threads share the pool, hence the lock. Closed at exit, before
 * libcurl's own cleanup (registered earlier, so it runs later). */
#define DK_POOL 8
static pthread_mutex_t dk_pool_lock = PTHREAD_MUTEX_INITIALIZER;
static dk_client *dk_pool[DK_POOL];
static size_t dk_npool;

static int dk_same(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* The same engine, reached the same way, with the same pinned version. */
static int dk_same_engine(const dk_client *c, const ep_endpoint *e, const char *pinned)
{
    return dk_same(c->ep.host, e->host) && dk_same(c->ep.context, e->context) &&
           dk_same(c->ep.ca, e->ca) && dk_same(c->ep.cert, e->cert) && dk_same(c->ep.key, e->key) &&
           c->ep.tls == e->tls && c->ep.skip_verify == e->skip_verify &&
           strcmp(c->pinned, pinned) == 0;
}

static dk_client *dk_pool_take(const ep_endpoint *e)
{
    dk_client *c = NULL;
    pthread_mutex_lock(&dk_pool_lock);
    for (size_t i = 0; i < dk_npool && !c; i++) {
        if (dk_same_engine(dk_pool[i], e, e->version)) {
            c = dk_pool[i];
            dk_pool[i] = dk_pool[--dk_npool];
        }
    }
    pthread_mutex_unlock(&dk_pool_lock);
    return c;
}

static void dk_pool_drain(void)
{
    pthread_mutex_lock(&dk_pool_lock);
    while (dk_npool)
        dk_free(dk_pool[--dk_npool]);
    pthread_mutex_unlock(&dk_pool_lock);
}

/* 1 when c was kept for later. */
static int dk_pool_put(dk_client *c)
{
    static int registered;
    int kept = 0;
    pthread_mutex_lock(&dk_pool_lock);
    if (dk_npool < DK_POOL && (registered || atexit(dk_pool_drain) == 0)) {
        registered = 1;
        dk_pool[dk_npool++] = c;
        kept = 1;
    }
    pthread_mutex_unlock(&dk_pool_lock);
    return kept;
}

dk_client *dk_open_engine(const char *engine, strbuf *err)
{
    if (dk_global_init(err) != 0)
        return NULL;
    ep_endpoint e;
    int rc = engine ? ep_resolve(&e, engine, "engine", err) : ep_from_env(&e, err);
    dk_client *c = rc == 0 ? dk_pool_take(&e) : NULL;
    if (rc != 0 || c) {
        ep_release(&e);
        return c;
    }
    c = xcalloc(1, sizeof *c);
    sb_init(&c->ssh_err);
    c->ep = e;
    memcpy(c->pinned, e.version, sizeof c->pinned);
    c->curl = lz_curl.easy_init();
    if (!c->curl) {
        sb_adds(err, "cannot initialize libcurl");
        dk_free(c);
        return NULL;
    }
    return c;
}

void dk_close(dk_client *c)
{
    if (!c)
        return;
    /* Headers of a build that never ran may hold credentials. */
    for (struct curl_slist *x = c->extra; x; x = x->next)
        explicit_bzero(x->data, strlen(x->data));
    if (c->extra)
        lz_curl.slist_free_all(c->extra);
    c->extra = NULL;
    sb_reset(&c->ssh_err);
    /* Only ssh is worth keeping: its handshake costs about a second, a
     * socket's or TCP's connection next to nothing. */
    if (!c->ep.ssh || !dk_pool_put(c))
        dk_free(c);
}

const char *dk_api_version(const dk_client *c)
{
    return c->ep.version[0] ? c->ep.version : NULL;
}

const char *dk_host(const dk_client *c)
{
    return c->ep.host;
}

const dk_engine *dk_engine_of(const dk_client *c)
{
    return &c->eng;
}

const char *dk_context(const dk_client *c)
{
    return c->ep.context;
}

/* A 200 answer's body passed on whole to x->sink (a pipe); a short write
 * ends the transfer. */
static size_t dk_sink_write(dk_xfer *x, const char *p, size_t len)
{
    for (size_t done = 0; done < len;) {
        ssize_t w = write(x->sink - 1, p + done, len - done);
        if (w < 0 && errno == EINTR && !dk_stop)
            continue;
        if (w <= 0) {
            x->sink_failed = errno ? errno : EPIPE;
            return 0;
        }
        done += (size_t)w;
    }
    return len;
}

/* Copies the value of header line h (len bytes, "Name: value\r\n") into
 * out when its name is name; a value too long for out is left out. */
static int dk_header(const char *h, size_t len, const char *name, char *out, size_t size)
{
    size_t n = strlen(name);
    if (len <= n || strncasecmp(h, name, n) != 0 || h[n] != ':')
        return 0;
    const char *v = h + n + 1, *end = h + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    if ((size_t)(end - v) < size) {
        memcpy(out, v, (size_t)(end - v));
        out[end - v] = '\0';
    }
    return 1;
}

static size_t dk_on_header(char *p, size_t size, size_t n, void *ud)
{
    dk_engine *e = ud;
    size_t len = size * n;
    char libpod[16];
    dk_header(p, len, "Api-Version", e->api, sizeof e->api);
    dk_header(p, len, "Builder-Version", e->builder, sizeof e->builder);
    dk_header(p, len, "Server", e->server, sizeof e->server);
    if (dk_header(p, len, "Libpod-Api-Version", libpod, sizeof libpod) ||
        strncmp(e->server, "Libpod/", 7) == 0)
        e->kind = DK_ENGINE_PODMAN;
    return len;
}

/* A cancel request stops every transfer but a cleanup. */
#define dk_stop_x(x) (dk_stop && !(x)->cleanup)

static size_t dk_on_write(char *p, size_t size, size_t n, void *ud)
{
    dk_xfer *x = ud;
    size_t len = size * n;
    if (dk_stop_x(x))
        return 0;
    /* The headers are in: the status decides where the body goes. */
    if (!x->status &&
        lz_curl.easy_getinfo(x->c->curl, CURLINFO_RESPONSE_CODE, &x->status) != CURLE_OK)
        x->status = 0;
    if (x->sink && x->status == 200)
        return dk_sink_write(x, p, len);
    if (x->stream && x->status == 200) {
        if (dks_feed(x->stream, p, len, &x->stream_err) != 0) {
            x->stream_failed = 1;
            return 0;
        }
        return len;
    }
    if (x->body.len < DK_MAX_BODY)
        sb_add(&x->body, p, len < DK_MAX_BODY - x->body.len ? len : DK_MAX_BODY - x->body.len);
    return len;
}

static size_t dk_on_read(char *buf, size_t size, size_t n, void *ud)
{
    dk_xfer *x = ud;
    if (dk_stop_x(x))
        return CURL_READFUNC_ABORT;
    size_t got = x->read(buf, size * n, x->read_ud);
    if (got == (size_t)-1 || got > size * n) {
        x->read_failed = 1;
        return CURL_READFUNC_ABORT;
    }
    return got;
}

/* Called by curl at least once a second, and as data moves: the place where
 * a cancel request ends the transfer. */
static int dk_on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    const dk_xfer *x = ud;
    (void)dt, (void)dn, (void)ut, (void)un;
    return dk_stop_x(x) ? 1 : 0;
}

/* ssh://: curl connects to the unix socket epssh.c listens on, and
 * the connection becomes ssh's stdin and stdout (epssh.h). curl asks for a
 * socket only when it has no open connection, so one ssh serves every
 * request of the client. */
static curl_socket_t dk_ssh_open(void *ud, curlsocktype purpose, struct curl_sockaddr *addr)
{
    dk_client *c = ud;
    (void)purpose, (void)addr;
    sb_reset(&c->ssh_err);
    int fd = ep_ssh_listen(c->ep.ssh, &c->ssh_err);
    return fd < 0 ? CURL_SOCKET_BAD : fd;
}

/* Connected (or reused): ssh starts on a new connection's other end. */
static int dk_ssh_prereq(void *ud, char *ip, char *lip, int port, int lport)
{
    dk_client *c = ud;
    (void)ip, (void)lip, (void)port, (void)lport;
    return ep_ssh_start(c->ep.ssh, &c->ssh_err) == 0 ? CURL_PREREQFUNC_OK : CURL_PREREQFUNC_ABORT;
}

static int dk_ssh_close(void *ud, curl_socket_t fd)
{
    dk_client *c = ud;
    ep_ssh_disconnect(c->ep.ssh, fd);
    return 0;
}

int dk_conn_opts(dk_client *c, void *h)
{
    CURLcode rc = lz_curl.easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
#define DK_SET(opt, val) (rc = rc != CURLE_OK ? rc : lz_curl.easy_setopt(h, opt, val))
    DK_SET(CURLOPT_TCP_KEEPALIVE, 1L);
    if (c->ep.sock)
        DK_SET(CURLOPT_UNIX_SOCKET_PATH, c->ep.sock);
    else
        DK_SET(CURLOPT_NOPROXY, c->ep.noproxy);
    if (c->ep.ssh) {
        DK_SET(CURLOPT_UNIX_SOCKET_PATH, c->ep.ssh->path);
        DK_SET(CURLOPT_OPENSOCKETFUNCTION, dk_ssh_open);
        DK_SET(CURLOPT_OPENSOCKETDATA, c);
        DK_SET(CURLOPT_PREREQFUNCTION, dk_ssh_prereq);
        DK_SET(CURLOPT_PREREQDATA, c);
        DK_SET(CURLOPT_CLOSESOCKETFUNCTION, dk_ssh_close);
        DK_SET(CURLOPT_CLOSESOCKETDATA, c);
    }
    if (c->ep.tls) {
        DK_SET(CURLOPT_SSL_VERIFYPEER, c->ep.skip_verify ? 0L : 1L);
        DK_SET(CURLOPT_SSL_VERIFYHOST, c->ep.skip_verify ? 0L : 2L);
        if (c->ep.ca)
            DK_SET(CURLOPT_CAINFO, c->ep.ca);
        if (c->ep.cert)
            DK_SET(CURLOPT_SSLCERT, c->ep.cert);
        if (c->ep.key)
            DK_SET(CURLOPT_SSLKEY, c->ep.key);
    }
#undef DK_SET
    return (int)rc;
}

/* The options of every request; lz_curl.easy_reset() keeps the connection. */
static CURLcode dk_setup(dk_client *c, const char *path, dk_xfer *x, struct curl_slist *hdrs)
{
    CURL *h = c->curl;
    lz_curl.easy_reset(h);
    c->errbuf[0] = '\0';
    strbuf url = STRBUF_INIT;
    sb_addf(&url, "%s%s", c->ep.base, path);
    CURLcode rc = lz_curl.easy_setopt(h, CURLOPT_URL, url.buf);
    sb_release(&url); /* curl copies strings */
#define DK_SET(opt, val) (rc = rc != CURLE_OK ? rc : lz_curl.easy_setopt(h, opt, val))
    DK_SET(CURLOPT_ERRORBUFFER, c->errbuf);
    DK_SET(CURLOPT_USERAGENT, "fuse/" FUSE_VERSION);
    DK_SET(CURLOPT_WRITEFUNCTION, dk_on_write);
    DK_SET(CURLOPT_WRITEDATA, x);
    DK_SET(CURLOPT_NOPROGRESS, 0L);
    DK_SET(CURLOPT_XFERINFOFUNCTION, dk_on_progress);
    DK_SET(CURLOPT_XFERINFODATA, x);
    if (rc == CURLE_OK)
        rc = (CURLcode)dk_conn_opts(c, h);
    if (x->read) {
        /* POST with a read callback and no size: with the header below, curl
         * sends the body chunked as the callback produces it. */
        DK_SET(CURLOPT_POST, 1L);
        DK_SET(CURLOPT_READFUNCTION, dk_on_read);
        DK_SET(CURLOPT_READDATA, x);
    } else if (x->json) {
        DK_SET(CURLOPT_POSTFIELDS, x->json);
        DK_SET(CURLOPT_POSTFIELDSIZE, (long)strlen(x->json));
    } else if (x->post) {
        DK_SET(CURLOPT_POSTFIELDS, "");
        DK_SET(CURLOPT_POSTFIELDSIZE, 0L);
    }
    if (x->method)
        DK_SET(CURLOPT_CUSTOMREQUEST, x->method);
    if (hdrs)
        DK_SET(CURLOPT_HTTPHEADER, hdrs);
    if (x->eng) {
        DK_SET(CURLOPT_HEADERFUNCTION, dk_on_header);
        DK_SET(CURLOPT_HEADERDATA, x->eng);
    }
#undef DK_SET
    return rc;
}

/* A failed transfer, in the words of the docker CLI. */
static void dk_curl_error(dk_client *c, CURLcode rc, strbuf *err)
{
    const char *detail = c->errbuf[0] ? c->errbuf : lz_curl.easy_strerror(rc);
    long oserr = 0;
    if (lz_curl.easy_getinfo(c->curl, CURLINFO_OS_ERRNO, &oserr) != CURLE_OK)
        oserr = 0;
    /* Over ssh, ssh knows best what broke: its exit status and words. */
    if (c->ep.ssh && c->ssh_err.len) {
        sb_addbuf(err, &c->ssh_err);
        return;
    }
    if (c->ep.ssh && ep_ssh_failed(c->ep.ssh, c->ep.host, err))
        return;
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
        if (oserr == EACCES || oserr == EPERM)
            sb_addf(err, "permission denied while connecting to the Docker daemon socket at %s",
                    c->ep.host);
        else
            sb_addf(err, "cannot connect to the Docker daemon at %s: is the docker daemon running?",
                    c->ep.host);
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
        sb_addf(err, "cannot connect to the Docker daemon at %s: %s", c->ep.host, detail);
        break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
        sb_addf(err, "TLS with the Docker daemon at %s failed: %s", c->ep.host, detail);
        break;
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
        sb_addf(err, "lost the connection to the Docker daemon at %s: %s", c->ep.host, detail);
        break;
    default:
        sb_addf(err, "request to the Docker daemon at %s failed: %s", c->ep.host, detail);
    }
}

/* Runs one request. 0 when an answer came (x->status says which), -1 with
 * err set, -2 when interrupted. */
int dk_perform(dk_client *c, const char *path, dk_xfer *x, struct curl_slist *hdrs, strbuf *err)
{
    CURLcode rc = dk_setup(c, path, x, hdrs);
    if (rc != CURLE_OK) {
        sb_addf(err, "cannot set up the Docker request: %s", lz_curl.easy_strerror(rc));
        return -1;
    }
    /* A cleanup after ^C must not hang fuse on an engine that went away. */
    if (x->cleanup && rc == CURLE_OK)
        rc = lz_curl.easy_setopt(c->curl, CURLOPT_TIMEOUT, 30L);
    if (rc == CURLE_OK)
        rc = lz_curl.easy_perform(c->curl);
    if (dk_stop_x(x)) {
        sb_adds(err, "interrupted");
        return -2;
    }
    if (x->stream_failed) {
        sb_add(err, x->stream_err.buf, x->stream_err.len);
        return -1;
    }
    if (x->read_failed) {
        sb_adds(err, "reading the build context failed");
        return -1;
    }
    if (x->sink_failed) {
        sb_addf(err, "passing the answer of the Docker daemon at %s on failed: %s", c->ep.host,
                strerror(x->sink_failed));
        return -1;
    }
    if (rc == CURLE_OK || x->status == 0) {
        if (lz_curl.easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &x->status) != CURLE_OK)
            x->status = 0;
    }
    /* Docker may refuse a request before reading its body and close the
     * connection: the send then fails, but its answer is what matters. */
    if (rc != CURLE_OK && !(x->status >= 400 && x->body.len > 0)) {
        dk_curl_error(c, rc, err);
        return -1;
    }
    return 0;
}

/* "Docker: <message>" from an error answer's {"message": "..."}. */
void dk_http_error(const dk_xfer *x, strbuf *err)
{
    char ebuf[128];
    yajl_val root = x->body.len ? yajl_tree_parse(x->body.buf, ebuf, sizeof ebuf) : NULL;
    const char *msgpath[] = {"message", NULL};
    yajl_val m = root ? yajl_tree_get(root, msgpath, yajl_t_string) : NULL;
    if (m) {
        const char *s = YAJL_GET_STRING(m);
        size_t n = strlen(s);
        while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
            n--;
        sb_addf(err, "Docker: %.*s", (int)n, s);
    } else if (x->body.len) {
        size_t n = strcspn(x->body.buf, "\r\n");
        sb_addf(err, "Docker: HTTP %ld: %.*s", x->status, (int)(n > 200 ? 200 : n), x->body.buf);
    } else {
        sb_addf(err, "Docker: HTTP %ld", x->status);
    }
    yajl_tree_free(root);
}

void dk_xfer_release(dk_xfer *x)
{
    sb_release(&x->body);
    sb_release(&x->stream_err);
    dks_free(x->stream);
}

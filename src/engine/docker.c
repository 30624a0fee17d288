/* docker.c -- the Docker Engine API client: one libcurl easy handle, reused
 * for every request so the connection to the daemon is kept open (a new
 * connection costs a round trip on a local engine). */
#include "docker.h"

#include "cancel.h"
#include "dkstream.h"
#include "endpoint.h"
#include "lazy.h"
#include "mem.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yajl/yajl_tree.h>

#ifndef FUSE_VERSION
#define FUSE_VERSION "dev"
#endif

/* Error bodies and /version answers are small; more is not worth keeping. */
#define DK_MAX_BODY (1u << 20)

struct dk_client {
    CURL *curl;
    ep_endpoint ep;           /* ep.version: the settled API version, "" until then */
    struct curl_slist *extra; /* dk_add_header()'s, for the next build */
    char errbuf[CURL_ERROR_SIZE];
    dk_engine eng;
    int pinged; /* eng holds what /_ping said */
};

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
    if (dk_global_init(err) != 0)
        return NULL;
    dk_client *c = xcalloc(1, sizeof *c);
    if (ep_from_env(&c->ep, err) != 0) {
        dk_close(c);
        return NULL;
    }
    c->curl = lz_curl.easy_init();
    if (!c->curl) {
        sb_adds(err, "cannot initialize libcurl");
        dk_close(c);
        return NULL;
    }
    return c;
}

void dk_close(dk_client *c)
{
    if (!c)
        return;
    if (c->curl)
        lz_curl.easy_cleanup(c->curl);
    ep_release(&c->ep);
    if (c->extra)
        lz_curl.slist_free_all(c->extra);
    free(c);
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

/* One request's state, shared with the curl callbacks. */
typedef struct dk_xfer {
    dk_client *c;
    dk_read_fn read; /* the request body, or NULL */
    void *read_ud;
    int read_failed;
    int post;           /* POST even without a body */
    const char *method; /* another method than GET/POST ("DELETE"), or NULL */
    dks *stream;        /* a 200 answer's body goes here when set */
    int stream_failed;
    strbuf stream_err;
    strbuf body; /* else here, up to DK_MAX_BODY */
    long status;
    dk_engine *eng; /* the answer's headers that identify the engine go here, when set */
} dk_xfer;

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

static size_t dk_on_write(char *p, size_t size, size_t n, void *ud)
{
    dk_xfer *x = ud;
    size_t len = size * n;
    if (dk_stop)
        return 0;
    /* The headers are in: the status decides where the body goes. */
    if (!x->status &&
        lz_curl.easy_getinfo(x->c->curl, CURLINFO_RESPONSE_CODE, &x->status) != CURLE_OK)
        x->status = 0;
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
    if (dk_stop)
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
    (void)ud, (void)dt, (void)dn, (void)ut, (void)un;
    return dk_stop ? 1 : 0;
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
    DK_SET(CURLOPT_CONNECTTIMEOUT, 30L);
    DK_SET(CURLOPT_TCP_KEEPALIVE, 1L);
    if (c->ep.sock)
        DK_SET(CURLOPT_UNIX_SOCKET_PATH, c->ep.sock);
    else
        DK_SET(CURLOPT_NOPROXY, c->ep.noproxy);
    if (c->ep.tls) {
        DK_SET(CURLOPT_SSL_VERIFYPEER, 1L);
        DK_SET(CURLOPT_SSL_VERIFYHOST, 2L);
        if (c->ep.ca)
            DK_SET(CURLOPT_CAINFO, c->ep.ca);
        if (c->ep.cert)
            DK_SET(CURLOPT_SSLCERT, c->ep.cert);
        if (c->ep.key)
            DK_SET(CURLOPT_SSLKEY, c->ep.key);
    }
    if (x->read) {
        /* POST with a read callback and no size: with the header below, curl
         * sends the body chunked as the callback produces it. */
        DK_SET(CURLOPT_POST, 1L);
        DK_SET(CURLOPT_READFUNCTION, dk_on_read);
        DK_SET(CURLOPT_READDATA, x);
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
static int dk_perform(dk_client *c, const char *path, dk_xfer *x, struct curl_slist *hdrs,
                      strbuf *err)
{
    CURLcode rc = dk_setup(c, path, x, hdrs);
    if (rc != CURLE_OK) {
        sb_addf(err, "cannot set up the Docker request: %s", lz_curl.easy_strerror(rc));
        return -1;
    }
    rc = lz_curl.easy_perform(c->curl);
    if (dk_stop) {
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
static void dk_http_error(const dk_xfer *x, strbuf *err)
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

static void dk_xfer_release(dk_xfer *x)
{
    sb_release(&x->body);
    sb_release(&x->stream_err);
    dks_free(x->stream);
}

/* Settles the version from the engine's api and, when known, the oldest
 * it accepts (min; NULL when unsaid). */
static int dk_settle_api(dk_client *c, const char *api, const char *min, strbuf *err)
{
    int server = ep_vnum(api), ours = ep_vnum(EP_OUR_API);
    if (server < EP_MIN_API) {
        sb_addf(err, "Docker API version %s is too old (need 1.24 or newer)", api);
        return -1;
    }
    if (min && ep_vnum(min) > ours) {
        sb_addf(err, "the Docker daemon needs API version %s or newer; fuse speaks %s", min,
                EP_OUR_API);
        return -1;
    }
    ep_vstr(c->ep.version, sizeof c->ep.version, server < ours ? server : ours);
    return 0;
}

/* Podman's /version lists its components: "Podman Engine" among them. */
static int dk_version_is_podman(yajl_val root)
{
    const char *cpath[] = {"Components", NULL}, *npath[] = {"Name", NULL};
    yajl_val comps = yajl_tree_get(root, cpath, yajl_t_array);
    for (size_t i = 0; comps && i < YAJL_GET_ARRAY(comps)->len; i++) {
        yajl_val n = yajl_tree_get(YAJL_GET_ARRAY(comps)->values[i], npath, yajl_t_string);
        const char *name = n ? YAJL_GET_STRING(n) : NULL;
        if (name && strcmp(name, "Podman Engine") == 0)
            return 1;
    }
    return 0;
}

/* Settles the version from /version's ApiVersion and MinAPIVersion. */
static int dk_settle(dk_client *c, const strbuf *body, strbuf *err)
{
    char ebuf[128];
    yajl_val root = yajl_tree_parse(body->buf, ebuf, sizeof ebuf);
    const char *apath[] = {"ApiVersion", NULL}, *mpath[] = {"MinAPIVersion", NULL};
    yajl_val a = root ? yajl_tree_get(root, apath, yajl_t_string) : NULL;
    yajl_val m = root ? yajl_tree_get(root, mpath, yajl_t_string) : NULL;
    int rc = -1;
    if (!root)
        sb_addf(err, "bad JSON from Docker's /version: %s", ebuf);
    else if (!a || ep_vnum(YAJL_GET_STRING(a)) < 0)
        sb_adds(err, "bad answer from Docker's /version: no ApiVersion");
    else
        rc = dk_settle_api(c, YAJL_GET_STRING(a), m ? YAJL_GET_STRING(m) : NULL, err);
    if (root && dk_version_is_podman(root))
        c->eng.kind = DK_ENGINE_PODMAN;
    yajl_tree_free(root);
    return rc;
}

/* GET /_ping once: the engine's headers into c->eng, whatever the status
 * (Docker sends them on a 500 too). -1 only when no answer came. */
static int dk_ping(dk_client *c, strbuf *err)
{
    if (c->pinged)
        return 0;
    dk_xfer x = {.c = c, .stream_err = STRBUF_INIT, .body = STRBUF_INIT, .eng = &c->eng};
    int rc = dk_perform(c, "/_ping", &x, NULL, err);
    dk_xfer_release(&x);
    c->pinged = rc == 0;
    return rc;
}

int dk_negotiate(dk_client *c, strbuf *err)
{
    int rc = dk_ping(c, err);
    if (rc != 0 || c->ep.version[0])
        return rc; /* DOCKER_API_VERSION, or settled before */
    if (ep_vnum(c->eng.api) >= 0)
        return dk_settle_api(c, c->eng.api, NULL, err);
    dk_xfer x = {.c = c, .stream_err = STRBUF_INIT, .body = STRBUF_INIT};
    rc = dk_perform(c, "/version", &x, NULL, err);
    if (rc == 0 && x.status != 200) {
        dk_http_error(&x, err);
        rc = -1;
    }
    if (rc == 0)
        rc = dk_settle(c, &x.body, err);
    dk_xfer_release(&x);
    return rc;
}

/* Passes messages on, keeping the first error Docker reported. */
typedef struct dk_build_ctx {
    dk_msg_fn on_msg;
    void *ud;
    strbuf error;
    int failed;
} dk_build_ctx;

static void dk_build_msg(const dk_msg *m, void *ud)
{
    dk_build_ctx *b = ud;
    if (m->error && !b->failed) {
        size_t n = strlen(m->error);
        while (n && (m->error[n - 1] == '\n' || m->error[n - 1] == ' '))
            n--;
        sb_add(&b->error, m->error, n);
        b->failed = 1;
    }
    if (b->on_msg)
        b->on_msg(m, b->ud);
}

/* Appends each header line of lines[0..n), then the client's extra ones
 * (which are used once); NULL when out of memory. */
static struct curl_slist *dk_headers(dk_client *c, const char *const *lines, size_t n, int extra)
{
    struct curl_slist *list = NULL;
    for (size_t i = 0; i < n; i++) {
        struct curl_slist *l = lz_curl.slist_append(list, lines[i]);
        if (!l) {
            lz_curl.slist_free_all(list);
            return NULL;
        }
        list = l;
    }
    for (struct curl_slist *e = extra ? c->extra : NULL; e; e = e->next) {
        struct curl_slist *l = lz_curl.slist_append(list, e->data);
        if (!l) {
            lz_curl.slist_free_all(list);
            return NULL;
        }
        list = l;
    }
    return list;
}

int dk_add_header(dk_client *c, const char *line)
{
    struct curl_slist *l = lz_curl.slist_append(c->extra, line);
    if (!l)
        return -1;
    c->extra = l;
    return 0;
}

/* POST path, the body from read (or none), each response message to on_msg
 * through dkstream; the first error message of the stream fails it. */
static int dk_stream_post(dk_client *c, const char *path, struct curl_slist *hdrs, dk_read_fn read,
                          void *read_ud, dk_msg_fn on_msg, void *msg_ud, strbuf *err)
{
    dk_build_ctx b = {.on_msg = on_msg, .ud = msg_ud, .error = STRBUF_INIT};
    dk_xfer x = {.c = c,
                 .read = read,
                 .read_ud = read_ud,
                 .post = 1,
                 .stream_err = STRBUF_INIT,
                 .body = STRBUF_INIT};
    x.stream = dks_new(dk_build_msg, &b);
    int rc = x.stream ? dk_perform(c, path, &x, hdrs, err) : -1;
    if (!x.stream)
        sb_adds(err, "cannot set up the JSON parser");
    if (rc == 0 && x.status != 200) {
        dk_http_error(&x, err);
        rc = -1;
    }
    if (rc == 0 && dks_finish(x.stream, err) != 0)
        rc = -1;
    if (rc == 0 && b.failed) {
        sb_add(err, b.error.buf, b.error.len);
        rc = -1;
    }
    sb_release(&b.error);
    dk_xfer_release(&x);
    return rc;
}

int dk_build(dk_client *c, const char *query, dk_read_fn read, void *read_ud, dk_msg_fn on_msg,
             void *msg_ud, strbuf *err)
{
    int neg = dk_negotiate(c, err);
    if (neg != 0)
        return neg; /* -1, or -2 when interrupted */
    /* Chunked: the context's size is unknown until it is written. No
     * "Expect: 100-continue": the body goes right away, without waiting
     * for the daemon's go-ahead. */
    const char *h[] = {"Content-Type: application/x-tar", "Transfer-Encoding: chunked", "Expect:"};
    struct curl_slist *hdrs = dk_headers(c, h, sizeof h / sizeof h[0], 1);
    if (!hdrs) {
        sb_adds(err, "cannot set up the Docker request: out of memory");
        return -1;
    }
    strbuf path = STRBUF_INIT;
    sb_addf(&path, "/v%s/build%s%s", c->ep.version, query && *query ? "?" : "", query ? query : "");
    int rc = dk_stream_post(c, path.buf, hdrs, read, read_ud, on_msg, msg_ud, err);
    sb_release(&path);
    /* The headers may hold credentials: wiped, and used for this build only. */
    for (struct curl_slist *e = c->extra; e; e = e->next)
        explicit_bzero(e->data, strlen(e->data));
    if (c->extra)
        lz_curl.slist_free_all(c->extra);
    c->extra = NULL;
    lz_curl.slist_free_all(hdrs);
    return rc;
}

int dk_push(dk_client *c, const char *name, const char *tag, const char *auth, dk_msg_fn on_msg,
            void *msg_ud, strbuf *err)
{
    int neg = dk_negotiate(c, err);
    if (neg != 0)
        return neg;
    strbuf path = STRBUF_INIT, h = STRBUF_INIT;
    sb_addf(&path, "/v%s/images/", c->ep.version);
    /* The name's '/' and ':' (a registry's port) stay as they are: the
     * daemon's route takes the whole path as the name. */
    for (const char *p = name; *p; p++) {
        char one[2] = {*p, '\0'};
        if (*p == '/' || *p == ':')
            sb_addc(&path, *p);
        else
            dk_urlencode(&path, one);
    }
    sb_adds(&path, "/push?tag=");
    dk_urlencode(&path, tag);
    /* The daemon refuses a push without the header, even an empty one. */
    sb_addf(&h, "X-Registry-Auth: %s", auth && *auth ? auth : "e30=");
    const char *lines[] = {h.buf};
    struct curl_slist *hdrs = dk_headers(c, lines, 1, 0);
    int rc = -1;
    if (!hdrs)
        sb_adds(err, "cannot set up the Docker request: out of memory");
    else
        rc = dk_stream_post(c, path.buf, hdrs, NULL, NULL, on_msg, msg_ud, err);
    for (struct curl_slist *e = hdrs; e; e = e->next)
        explicit_bzero(e->data, strlen(e->data));
    if (hdrs)
        lz_curl.slist_free_all(hdrs);
    explicit_bzero(h.buf, h.len);
    sb_release(&h);
    sb_release(&path);
    return rc;
}

void dk_urlencode(strbuf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p)) {
            sb_addc(out, *p);
        } else {
            sb_addc(out, '%');
            sb_addc(out, hex[*p >> 4]);
            sb_addc(out, hex[*p & 15]);
        }
    }
}

/* Config.User of an image inspect answer: "" when unset. */
static int dk_parse_user(const strbuf *body, strbuf *user, strbuf *err)
{
    char ebuf[128];
    yajl_val root = yajl_tree_parse(body->buf, ebuf, sizeof ebuf);
    if (!root) {
        sb_addf(err, "bad JSON from Docker's image inspect: %s", ebuf);
        return -1;
    }
    const char *upath[] = {"Config", "User", NULL};
    yajl_val u = yajl_tree_get(root, upath, yajl_t_string);
    if (u)
        sb_adds(user, YAJL_GET_STRING(u));
    yajl_tree_free(root);
    return 0;
}

/* GET path, a small JSON answer into body: 0, 1 for a 404, -1 with one
 * line in err (what names the answer: "image inspect"), -2 when
 * interrupted. */
static int dk_get_small(dk_client *c, const char *path, const char *what, strbuf *body, strbuf *err)
{
    dk_xfer x = {.c = c, .stream_err = STRBUF_INIT, .body = STRBUF_INIT};
    int rc = dk_perform(c, path, &x, NULL, err);
    if (rc == 0 && x.status == 404)
        rc = 1;
    else if (rc == 0 && x.status != 200) {
        dk_http_error(&x, err);
        rc = -1;
    } else if (rc == 0 && x.body.len >= DK_MAX_BODY) {
        sb_addf(err, "Docker's %s answer is too large", what);
        rc = -1;
    } else if (rc == 0)
        sb_addbuf(body, &x.body);
    dk_xfer_release(&x);
    return rc;
}

int dk_image_user(dk_client *c, const char *name, strbuf *user, strbuf *err)
{
    int rc = dk_negotiate(c, err);
    if (rc != 0)
        return rc;
    /* The name goes into the path as is: image references are made of
     * letters, digits and "._-:/@" (the Dockerfile generator checks), all
     * legal in a URL path, and the engine routes /images/{name}/json with
     * slashes in the name. */
    strbuf path = STRBUF_INIT, body = STRBUF_INIT;
    sb_addf(&path, "/v%s/images/%s/json", c->ep.version, name);
    rc = dk_get_small(c, path.buf, "image inspect", &body, err);
    if (rc == 0)
        rc = dk_parse_user(&body, user, err);
    sb_release(&path);
    sb_release(&body);
    return rc;
}

/* 1 when the last path component of an image reference names a tag or a
 * digest ("node:20", "x@sha256:..."; not the port of "host:5000/x"). */
static int dk_has_tag(const char *name)
{
    const char *last = strrchr(name, '/');
    last = last ? last + 1 : name;
    return strchr(last, ':') || strchr(name, '@');
}

int dk_image_pull(dk_client *c, const char *name, strbuf *err)
{
    int rc = dk_negotiate(c, err);
    if (rc != 0)
        return rc;
    /* Without a tag the engine would pull every tag of the repository;
     * FROM means :latest. */
    strbuf path = STRBUF_INIT;
    sb_addf(&path, "/v%s/images/create?fromImage=", c->ep.version);
    dk_urlencode(&path, name);
    if (!dk_has_tag(name))
        sb_adds(&path, "&tag=latest");
    rc = dk_stream_post(c, path.buf, NULL, NULL, NULL, NULL, NULL, err);
    sb_release(&path);
    return rc;
}

/* 1 when /info's DriverStatus names containerd's snapshotter (the
 * containerd image store: [["driver-type","io.containerd.snapshotter.v1"]]). */
static int dk_parse_store(const strbuf *body, int *containerd, strbuf *err)
{
    char ebuf[128];
    yajl_val root = yajl_tree_parse(body->buf, ebuf, sizeof ebuf);
    const char *path[] = {"DriverStatus", NULL};
    yajl_val ds = root ? yajl_tree_get(root, path, yajl_t_array) : NULL;
    if (!root) {
        sb_addf(err, "bad JSON from Docker's /info: %s", ebuf);
        return -1;
    }
    *containerd = 0;
    for (size_t i = 0; ds && i < YAJL_GET_ARRAY(ds)->len; i++) {
        yajl_val pair = YAJL_GET_ARRAY(ds)->values[i];
        if (!YAJL_IS_ARRAY(pair) || YAJL_GET_ARRAY(pair)->len != 2)
            continue;
        const char *v = YAJL_GET_STRING(YAJL_GET_ARRAY(pair)->values[1]);
        if (v && strncmp(v, "io.containerd.snapshotter", 25) == 0)
            *containerd = 1;
    }
    yajl_tree_free(root);
    return 0;
}

int dk_image_store(dk_client *c, int *containerd, strbuf *err)
{
    int rc = dk_negotiate(c, err);
    if (rc != 0)
        return rc;
    strbuf path = STRBUF_INIT, body = STRBUF_INIT;
    sb_addf(&path, "/v%s/info", c->ep.version);
    rc = dk_get_small(c, path.buf, "/info", &body, err);
    if (rc == 1) {
        sb_adds(err, "Docker has no /info");
        rc = -1;
    } else if (rc == 0)
        rc = dk_parse_store(&body, containerd, err);
    sb_release(&path);
    sb_release(&body);
    return rc;
}

int dk_image_remove(dk_client *c, const char *id, strbuf *err)
{
    int rc = dk_negotiate(c, err);
    if (rc != 0)
        return rc;
    strbuf path = STRBUF_INIT;
    sb_addf(&path, "/v%s/images/%s", c->ep.version, id);
    dk_xfer x = {.c = c, .stream_err = STRBUF_INIT, .body = STRBUF_INIT, .method = "DELETE"};
    rc = dk_perform(c, path.buf, &x, NULL, err);
    if (rc == 0 && x.status != 200) {
        dk_http_error(&x, err);
        rc = -1;
    }
    sb_release(&path);
    dk_xfer_release(&x);
    return rc;
}

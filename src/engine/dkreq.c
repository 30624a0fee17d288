/* dkreq.c -- the engine client's requests over docker.c's transfer: the
 * API version settled once per client (/_ping, else /version), the streamed
 * POSTs (build, push, any tar body) and the small calls of the containers
 * and images APIs. */
#include "docker.h"

#include "dk_int.h"

#include <string.h>
#include <yajl/yajl_tree.h>

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
struct curl_slist *dk_headers(dk_client *c, const char *const *lines, size_t n, int extra)
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
int dk_stream_post(dk_client *c, const char *path, struct curl_slist *hdrs, dk_read_fn read,
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

int dk_tar_post(dk_client *c, const char *what, const char *query, int extra, dk_read_fn read,
                void *read_ud, dk_msg_fn on_msg, void *msg_ud, strbuf *err)
{
    int neg = dk_negotiate(c, err);
    if (neg != 0)
        return neg; /* -1, or -2 when interrupted */
    /* Chunked: the archive's size is unknown until it is written. No
     * "Expect: 100-continue": the body goes right away, without waiting
     * for the daemon's go-ahead. */
    const char *h[] = {"Content-Type: application/x-tar", "Transfer-Encoding: chunked", "Expect:"};
    struct curl_slist *hdrs = dk_headers(c, h, sizeof h / sizeof h[0], extra);
    if (!hdrs) {
        sb_adds(err, "cannot set up the Docker request: out of memory");
        return -1;
    }
    strbuf path = STRBUF_INIT;
    sb_addf(&path, "/v%s/%s%s%s", c->ep.version, what, query && *query ? "?" : "",
            query ? query : "");
    int rc = dk_stream_post(c, path.buf, hdrs, read, read_ud, on_msg, msg_ud, err);
    sb_release(&path);
    lz_curl.slist_free_all(hdrs);
    return rc;
}

int dk_build(dk_client *c, const char *query, dk_read_fn read, void *read_ud, dk_msg_fn on_msg,
             void *msg_ud, strbuf *err)
{
    int rc = dk_tar_post(c, "build", query, 1, read, read_ud, on_msg, msg_ud, err);
    /* The headers may hold credentials: wiped, and used for this build only. */
    for (struct curl_slist *e = c->extra; e; e = e->next)
        explicit_bzero(e->data, strlen(e->data));
    if (c->extra)
        lz_curl.slist_free_all(c->extra);
    c->extra = NULL;
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

const ep_endpoint *dk_endpoint(const dk_client *c)
{
    return &c->ep;
}

static int dk_call_x(dk_client *c, const char *method, const char *path, const char *json,
                     int cleanup, strbuf *answer, strbuf *err)
{
    int rc = dk_negotiate(c, err);
    if (rc != 0)
        return rc;
    strbuf p = STRBUF_INIT;
    sb_addf(&p, "/v%s%s", c->ep.version, path);
    dk_xfer x = {.c = c,
                 .post = strcmp(method, "POST") == 0,
                 .method =
                     strcmp(method, "POST") == 0 || strcmp(method, "GET") == 0 ? NULL : method,
                 .json = json,
                 .cleanup = cleanup,
                 .stream_err = STRBUF_INIT,
                 .body = STRBUF_INIT};
    const char *h[] = {"Content-Type: application/json", "Expect:"};
    struct curl_slist *hdrs = json ? dk_headers(c, h, 2, 0) : NULL;
    if (json && !hdrs) {
        sb_adds(err, "cannot set up the Docker request: out of memory");
        rc = -1;
    } else {
        rc = dk_perform(c, p.buf, &x, hdrs, err);
    }
    if (rc == 0 && x.status >= 300) {
        dk_http_error(&x, err);
        rc = x.status == 404 ? 1 : -1;
    }
    if (rc == 0 && answer)
        sb_addbuf(answer, &x.body);
    if (hdrs)
        lz_curl.slist_free_all(hdrs);
    sb_release(&p);
    dk_xfer_release(&x);
    return rc;
}

int dk_call(dk_client *c, const char *method, const char *path, const char *json, strbuf *answer,
            strbuf *err)
{
    return dk_call_x(c, method, path, json, 0, answer, err);
}

int dk_cleanup_call(dk_client *c, const char *method, const char *path)
{
    strbuf err = STRBUF_INIT;
    int rc = dk_call_x(c, method, path, NULL, 1, NULL, &err);
    sb_release(&err);
    return rc;
}

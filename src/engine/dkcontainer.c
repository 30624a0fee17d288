/* dkcontainer.c -- the containers API (dkcontainer.h). */
#include "dkcontainer.h"

#include "cancel.h"
#include "endpoint.h"
#include "lazy.h"
#include "mem.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

/* The string at path of a JSON answer, appended to out; -1 when absent. */
static int dkct_json_str(const strbuf *body, const char **path, strbuf *out, strbuf *err)
{
    char ebuf[128];
    yajl_val root = yajl_tree_parse(body->buf, ebuf, sizeof ebuf);
    yajl_val v = root ? yajl_tree_get(root, path, yajl_t_string) : NULL;
    if (v)
        sb_adds(out, YAJL_GET_STRING(v));
    else
        sb_addf(err, "bad answer from Docker: no %s", path[0]);
    yajl_tree_free(root);
    return v ? 0 : -1;
}

/* method on path; the answer parsed into *root (yajl_tree_free it). Returns
 * dk_call's status, -1 for an answer that is not JSON. */
static int dkct_json_call(dk_client *c, const char *method, const char *path, yajl_val *root,
                          strbuf *err)
{
    strbuf body = STRBUF_INIT;
    *root = NULL;
    int rc = dk_call(c, method, path, NULL, &body, err);
    if (rc == 0) {
        char ebuf[128];
        *root = yajl_tree_parse(body.buf, ebuf, sizeof ebuf);
        if (!*root) {
            sb_addf(err, "bad JSON from Docker's %s: %s", path, ebuf);
            rc = -1;
        }
    }
    sb_release(&body);
    return rc;
}

int dkct_create(dk_client *c, const char *json, strbuf *id, strbuf *err)
{
    strbuf body = STRBUF_INIT;
    int rc = dk_call(c, "POST", "/containers/create", json, &body, err);
    const char *path[] = {"Id", NULL};
    if (rc == 0)
        rc = dkct_json_str(&body, path, id, err);
    sb_release(&body);
    return rc;
}

int dkct_start(dk_client *c, const char *id, strbuf *err)
{
    strbuf p = STRBUF_INIT;
    sb_addf(&p, "/containers/%s/start", id);
    int rc = dk_call(c, "POST", p.buf, NULL, NULL, err);
    sb_release(&p);
    return rc;
}

int dkct_wait(dk_client *c, const char *id, long *code, strbuf *err)
{
    strbuf p = STRBUF_INIT;
    sb_addf(&p, "/containers/%s/wait", id);
    yajl_val root;
    int rc = dkct_json_call(c, "POST", p.buf, &root, err);
    const char *path[] = {"StatusCode", NULL};
    yajl_val v = rc == 0 ? yajl_tree_get(root, path, yajl_t_number) : NULL;
    if (v && YAJL_IS_INTEGER(v)) {
        *code = (long)YAJL_GET_INTEGER(v);
    } else if (rc == 0) {
        sb_adds(err, "bad answer from Docker's container wait: no StatusCode");
        rc = -1;
    }
    yajl_tree_free(root);
    sb_release(&p);
    return rc;
}

int dkct_commit(dk_client *c, const char *id, const strvec *changes, strbuf *image, strbuf *err)
{
    strbuf p = STRBUF_INIT, body = STRBUF_INIT;
    sb_addf(&p, "/commit?container=%s&pause=0", id);
    for (size_t i = 0; changes && i < changes->nr; i++) {
        sb_adds(&p, "&changes=");
        dk_urlencode(&p, changes->v[i]);
    }
    int rc = dk_call(c, "POST", p.buf, "{}", &body, err);
    const char *path[] = {"Id", NULL};
    if (rc == 0)
        rc = dkct_json_str(&body, path, image, err);
    sb_release(&p);
    sb_release(&body);
    return rc;
}

void dkct_remove(dk_client *c, const char *id)
{
    strbuf p = STRBUF_INIT;
    sb_addf(&p, "/containers/%s?force=1&v=1", id);
    (void)dk_cleanup_call(c, "DELETE", p.buf);
    sb_release(&p);
}

/* The first image of a /images/json answer whose ParentId is parent. */
static int dkct_pick_child(const strbuf *body, const char *parent, strbuf *id, strbuf *err)
{
    char ebuf[128];
    yajl_val root = yajl_tree_parse(body->buf, ebuf, sizeof ebuf);
    if (!root || !YAJL_IS_ARRAY(root)) {
        sb_adds(err, "bad answer from Docker's image list");
        yajl_tree_free(root);
        return -1;
    }
    const char *ip[] = {"Id", NULL}, *pp[] = {"ParentId", NULL};
    int rc = 1;
    for (size_t i = 0; i < YAJL_GET_ARRAY(root)->len && rc == 1; i++) {
        yajl_val e = YAJL_GET_ARRAY(root)->values[i];
        yajl_val iv = yajl_tree_get(e, ip, yajl_t_string);
        yajl_val pv = yajl_tree_get(e, pp, yajl_t_string);
        const char *pid = pv ? YAJL_GET_STRING(pv) : NULL;
        if (iv && pid && strcmp(pid, parent) == 0) {
            sb_adds(id, YAJL_GET_STRING(iv));
            rc = 0;
        }
    }
    yajl_tree_free(root);
    return rc;
}

int dkct_find_image(dk_client *c, const char *label, const char *value, const char *parent,
                    strbuf *id, strbuf *err)
{
    strbuf p = STRBUF_INIT, f = STRBUF_INIT, body = STRBUF_INIT;
    /* Label names and values are fuse's own: no character to escape in JSON. */
    sb_addf(&f, "{\"label\":[\"%s=%s\"]}", label, value);
    sb_adds(&p, "/images/json?all=1&filters=");
    dk_urlencode(&p, f.buf);
    int rc = dk_call(c, "GET", p.buf, NULL, &body, err);
    if (rc == 0)
        rc = dkct_pick_child(&body, parent, id, err);
    sb_release(&p);
    sb_release(&f);
    sb_release(&body);
    return rc;
}

/* Appends the JSON array of strings v ("" for null or not an array). */
static void dkct_json_list(yajl_val v, strbuf *out)
{
    if (!v || !YAJL_IS_ARRAY(v))
        return;
    sb_addc(out, '[');
    for (size_t i = 0; i < YAJL_GET_ARRAY(v)->len; i++) {
        yajl_val s = YAJL_GET_ARRAY(v)->values[i];
        sb_adds(out, i ? ",\"" : "\"");
        for (const char *q = YAJL_IS_STRING(s) ? YAJL_GET_STRING(s) : ""; *q; q++) {
            unsigned char ch = (unsigned char)*q;
            if (ch == '"' || ch == '\\')
                sb_addf(out, "\\%c", ch);
            else if (ch < 0x20)
                sb_addf(out, "\\u%04x", ch);
            else
                sb_addc(out, (char)ch);
        }
        sb_addc(out, '"');
    }
    sb_addc(out, ']');
}

int dkct_image_cmd(dk_client *c, const char *image, strbuf *cmd, strbuf *entrypoint, strbuf *err)
{
    strbuf p = STRBUF_INIT;
    sb_addf(&p, "/images/%s/json", image);
    yajl_val root;
    int rc = dkct_json_call(c, "GET", p.buf, &root, err);
    if (rc == 0) {
        const char *cp[] = {"Config", "Cmd", NULL}, *ep[] = {"Config", "Entrypoint", NULL};
        dkct_json_list(yajl_tree_get(root, cp, yajl_t_any), cmd);
        dkct_json_list(yajl_tree_get(root, ep, yajl_t_any), entrypoint);
    }
    yajl_tree_free(root);
    sb_release(&p);
    return rc;
}

int dkct_image_label(dk_client *c, const char *image, const char *label, strbuf *value, strbuf *err)
{
    strbuf p = STRBUF_INIT;
    sb_addf(&p, "/images/%s/json", image);
    yajl_val root;
    int rc = dkct_json_call(c, "GET", p.buf, &root, err);
    const char *lp[] = {"Config", "Labels", label, NULL};
    yajl_val v = rc == 0 ? yajl_tree_get(root, lp, yajl_t_string) : NULL;
    if (v)
        sb_adds(value, YAJL_GET_STRING(v));
    yajl_tree_free(root);
    sb_release(&p);
    return rc;
}

/* ---- attach: a connection taken over by the engine ---- */

struct dkct_attach {
    CURL *h;
    curl_socket_t fd;
    strbuf early; /* output that came with the answer's headers */
};

/* Waits until fd is ready for events, a second at a time, so that a cancel
 * request (cancel.h) is seen. 0 ready, -2 interrupted. */
static int dkct_poll(curl_socket_t fd, short events)
{
    for (;;) {
        if (cancel_pending() != CANCEL_NONE)
            return -2;
        struct pollfd p = {.fd = fd, .events = events};
        if (poll(&p, 1, 1000) != 0)
            return 0; /* ready, or an error the next call reports */
    }
}

int dkct_attach_send(dkct_attach *a, const void *data, size_t len, strbuf *err)
{
    const char *p = data;
    while (len > 0) {
        size_t n = 0;
        CURLcode rc = lz_curl.easy_send(a->h, p, len, &n);
        if (rc == CURLE_AGAIN) {
            if (dkct_poll(a->fd, POLLOUT) < 0)
                return -2;
            continue;
        }
        if (rc != CURLE_OK) {
            sb_addf(err, "lost the attached container: %s", lz_curl.easy_strerror(rc));
            return -1;
        }
        p += n;
        len -= n;
    }
    return 0;
}

/* Reads up to cap bytes: >0 read, 0 the end, -1 error, -2 interrupted. */
static long dkct_recv(dkct_attach *a, char *buf, size_t cap, strbuf *err)
{
    for (;;) {
        size_t n = 0;
        CURLcode rc = lz_curl.easy_recv(a->h, buf, cap, &n);
        if (rc == CURLE_AGAIN) {
            if (dkct_poll(a->fd, POLLIN) < 0)
                return -2;
            continue;
        }
        if (rc != CURLE_OK) {
            sb_addf(err, "lost the attached container: %s", lz_curl.easy_strerror(rc));
            return -1;
        }
        return (long)n;
    }
}

/* Reads the answer's status line and headers; what follows them is kept
 * in a->early. 101 (taken over) or 200 (an engine that streams without
 * saying so) are the answers that carry the stream. */
static int dkct_attach_answer(dkct_attach *a, strbuf *err)
{
    strbuf in = STRBUF_INIT;
    char buf[4096];
    const char *end = NULL;
    int rc = 0;
    while (!end && in.len < 65536) {
        long n = dkct_recv(a, buf, sizeof buf, err);
        if (n <= 0) {
            if (n == 0)
                sb_adds(err, "Docker closed the attach connection before answering");
            rc = n == 0 ? -1 : (int)n;
            break;
        }
        sb_add(&in, buf, (size_t)n);
        end = strstr(in.buf, "\r\n\r\n");
    }
    if (rc == 0 && !end) {
        sb_adds(err, "bad answer from Docker's container attach");
        rc = -1;
    }
    if (rc == 0) {
        long status = strncmp(in.buf, "HTTP/1.", 7) == 0 ? strtol(in.buf + 9, NULL, 10) : 0;
        if (status != 101 && status != 200) {
            size_t n = strcspn(in.buf, "\r\n");
            sb_addf(err, "Docker refused the container attach: %.*s", (int)n, in.buf);
            rc = -1;
        } else {
            sb_add(&a->early, end + 4, in.len - (size_t)(end + 4 - in.buf));
        }
    }
    sb_release(&in);
    return rc;
}

/* The connect-only handle to the client's engine. */
static CURLcode dkct_connect(dkct_attach *a, dk_client *c, const ep_endpoint *ep)
{
    CURL *h = a->h;
    CURLcode rc = lz_curl.easy_setopt(h, CURLOPT_URL, ep->base);
    if (rc == CURLE_OK)
        rc = lz_curl.easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
    if (rc == CURLE_OK)
        rc = (CURLcode)dk_conn_opts(c, h);
    if (rc == CURLE_OK)
        rc = lz_curl.easy_perform(h);
    if (rc == CURLE_OK)
        rc = lz_curl.easy_getinfo(h, CURLINFO_ACTIVESOCKET, &a->fd);
    return rc;
}

int dkct_attach_open(dk_client *c, const char *id, dkct_attach **out, strbuf *err)
{
    const ep_endpoint *ep = dk_endpoint(c);
    dkct_attach *a = xcalloc(1, sizeof *a);
    sb_init(&a->early);
    a->h = lz_curl.easy_init();
    CURLcode crc = a->h ? dkct_connect(a, c, ep) : CURLE_FAILED_INIT;
    if (crc != CURLE_OK) {
        sb_addf(err, "cannot connect to the Docker daemon at %s: %s", ep->host,
                lz_curl.easy_strerror(crc));
        dkct_attach_close(a);
        return -1;
    }
    const char *host = strstr(ep->base, "://");
    strbuf req = STRBUF_INIT;
    sb_addf(&req,
            "POST /v%s/containers/%s/attach?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\n"
            "Host: %s\r\nUser-Agent: fuse\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n"
            "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n",
            dk_api_version(c), id, host ? host + 3 : "localhost");
    int rc = dkct_attach_send(a, req.buf, req.len, err);
    sb_release(&req);
    if (rc == 0)
        rc = dkct_attach_answer(a, err);
    if (rc != 0) {
        dkct_attach_close(a);
        return rc;
    }
    *out = a;
    return 0;
}

int dkct_attach_read(dkct_attach *a, dkm_out_fn out, void *ud, strbuf *err)
{
    dkm m;
    dkm_init(&m, out, ud);
    if (dkm_feed(&m, a->early.buf, a->early.len) < 0) {
        sb_adds(err, "bad output stream from the attached container");
        return -1;
    }
    char buf[16384];
    for (;;) {
        long n = dkct_recv(a, buf, sizeof buf, err);
        if (n <= 0)
            return (int)n;
        if (dkm_feed(&m, buf, (size_t)n) < 0) {
            sb_adds(err, "bad output stream from the attached container");
            return -1;
        }
    }
}

void dkct_attach_close(dkct_attach *a)
{
    if (!a)
        return;
    if (a->h)
        lz_curl.easy_cleanup(a->h);
    sb_release(&a->early);
    free(a);
}

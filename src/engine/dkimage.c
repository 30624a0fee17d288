/* dkimage.c -- the engine client's image requests: inspect (ID, user, a
 * label), tag and untag, pull, the tags of a repository, and the image
 * store the engine keeps them in. The transfer itself is docker.c's. */
#include "docker.h"

#include "dk_int.h"

#include <string.h>
#include <yajl/yajl_tree.h>

/* Config.User of an image inspect answer: "" when unset. */
static void dk_get_str(yajl_val root, const char **path, strbuf *out)
{
    yajl_val v = yajl_tree_get(root, path, yajl_t_string);
    if (v)
        sb_adds(out, YAJL_GET_STRING(v));
}

static int dk_parse_image(const strbuf *body, const char *label, dk_image_info *out, strbuf *err)
{
    char ebuf[128];
    yajl_val root = yajl_tree_parse(body->buf, ebuf, sizeof ebuf);
    if (!root) {
        sb_addf(err, "bad JSON from Docker's image inspect: %s", ebuf);
        return -1;
    }
    const char *ipath[] = {"Id", NULL};
    const char *upath[] = {"Config", "User", NULL};
    const char *lpath[] = {"Config", "Labels", label, NULL};
    dk_get_str(root, ipath, &out->id);
    dk_get_str(root, upath, &out->user);
    if (label)
        dk_get_str(root, lpath, &out->label);
    yajl_tree_free(root);
    return 0;
}

int dk_image_inspect(dk_client *c, const char *name, const char *label, dk_image_info *out,
                     strbuf *err)
{
    /* The name goes into the path as is: image references are made of
     * letters, digits and "._-:/@" (the Dockerfile generator checks), all
     * legal in a URL path, and the engine routes /images/{name}/json with
     * slashes in the name. Id, Config.User and Config.Labels read the same
     * in every API version: before the version is settled, the path names
     * none (the engine's own), and an up-to-date check costs no /version
     * round trip. */
    strbuf path = STRBUF_INIT;
    if (c->ep.version[0])
        sb_addf(&path, "/v%s", c->ep.version);
    sb_addf(&path, "/images/%s/json", name);
    dk_xfer x = {.c = c, .stream_err = STRBUF_INIT, .body = STRBUF_INIT};
    int rc = dk_perform(c, path.buf, &x, NULL, err);
    if (rc == 0 && x.status == 404)
        rc = 1;
    else if (rc == 0 && x.status != 200) {
        dk_http_error(&x, err);
        rc = -1;
    } else if (rc == 0 && x.body.len >= DK_MAX_BODY) {
        sb_adds(err, "Docker's image inspect answer is too large");
        rc = -1;
    } else if (rc == 0)
        rc = dk_parse_image(&x.body, label, out, err);
    sb_release(&path);
    dk_xfer_release(&x);
    return rc;
}

void dk_image_info_release(dk_image_info *i)
{
    sb_release(&i->id);
    sb_release(&i->user);
    sb_release(&i->label);
}

int dk_image_user(dk_client *c, const char *name, strbuf *user, strbuf *err)
{
    dk_image_info i = DK_IMAGE_INFO_INIT;
    int rc = dk_image_inspect(c, name, NULL, &i, err);
    sb_addbuf(user, &i.user);
    dk_image_info_release(&i);
    return rc;
}

int dk_image_tag(dk_client *c, const char *id, const char *ref, strbuf *err)
{
    int rc = dk_negotiate(c, err);
    if (rc != 0)
        return rc;
    /* "repo:tag", the tag after the last ':' not followed by a '/'. */
    const char *colon = strrchr(ref, ':');
    if (colon && strchr(colon, '/'))
        colon = NULL;
    strbuf path = STRBUF_INIT, repo = STRBUF_INIT;
    sb_add(&repo, ref, colon ? (size_t)(colon - ref) : strlen(ref));
    sb_addf(&path, "/v%s/images/%s/tag?repo=", c->ep.version, id);
    dk_urlencode(&path, repo.buf);
    sb_adds(&path, "&tag=");
    dk_urlencode(&path, colon ? colon + 1 : "latest");
    dk_xfer x = {.c = c, .post = 1, .stream_err = STRBUF_INIT, .body = STRBUF_INIT};
    rc = dk_perform(c, path.buf, &x, NULL, err);
    if (rc == 0 && x.status != 201 && x.status != 200) {
        dk_http_error(&x, err);
        rc = -1;
    }
    sb_release(&path);
    sb_release(&repo);
    dk_xfer_release(&x);
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

/* Runs a request without a body whose answer is ok or an error. */
static int dk_simple(dk_client *c, const char *path, const char *method, strbuf *body, strbuf *err)
{
    dk_xfer x = {.c = c, .method = method, .stream_err = STRBUF_INIT, .body = STRBUF_INIT};
    int rc = dk_perform(c, path, &x, NULL, err);
    if (rc == 0 && (x.status < 200 || x.status > 299)) {
        dk_http_error(&x, err);
        rc = -1;
    } else if (rc == 0 && body) {
        sb_addbuf(body, &x.body);
    }
    dk_xfer_release(&x);
    return rc;
}

int dk_image_tags(dk_client *c, const char *repo, strvec *tags, strbuf *err)
{
    int rc = dk_negotiate(c, err);
    if (rc != 0)
        return rc;
    strbuf path = STRBUF_INIT, filter = STRBUF_INIT, body = STRBUF_INIT;
    sb_addf(&filter, "{\"reference\":[\"%s\"]}", repo);
    sb_addf(&path, "/v%s/images/json?filters=", c->ep.version);
    dk_urlencode(&path, filter.buf);
    rc = dk_simple(c, path.buf, NULL, &body, err);
    char ebuf[128];
    yajl_val root = rc == 0 ? yajl_tree_parse(body.buf, ebuf, sizeof ebuf) : NULL;
    if (rc == 0 && !YAJL_IS_ARRAY(root)) {
        sb_adds(err, "bad JSON from Docker's image list");
        rc = -1;
    }
    const char *tpath[] = {"RepoTags", NULL};
    for (size_t i = 0; rc == 0 && i < YAJL_GET_ARRAY(root)->len; i++) {
        yajl_val t = yajl_tree_get(YAJL_GET_ARRAY(root)->values[i], tpath, yajl_t_array);
        for (size_t k = 0; t && k < YAJL_GET_ARRAY(t)->len; k++) {
            const char *s = YAJL_GET_STRING(YAJL_GET_ARRAY(t)->values[k]);
            if (s && strncmp(s, repo, strlen(repo)) == 0 && s[strlen(repo)] == ':')
                strvec_push(tags, s);
        }
    }
    yajl_tree_free(root);
    sb_release(&path);
    sb_release(&filter);
    sb_release(&body);
    return rc;
}

int dk_image_untag(dk_client *c, const char *ref, strbuf *err)
{
    int rc = dk_negotiate(c, err);
    if (rc != 0)
        return rc;
    strbuf path = STRBUF_INIT;
    sb_addf(&path, "/v%s/images/", c->ep.version);
    dk_urlencode(&path, ref);
    sb_adds(&path, "?noprune=1");
    rc = dk_simple(c, path.buf, "DELETE", NULL, err);
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
    rc = dk_simple(c, path.buf, NULL, &body, err);
    if (rc == 0)
        rc = dk_parse_store(&body, containerd, err);
    sb_release(&path);
    sb_release(&body);
    return rc;
}

/* ship.c -- credentials for builds, and pushes (ship.h).
 *
 * A push answers with one JSON message per event of each layer:
 *   {"status":"Pushing","progressDetail":{"current":N,"total":M},"id":"LAYER"}
 * then {"status":"Pushed","id":"LAYER"}, and at the end the manifest's
 * digest in {"aux":{"Tag":"T","Digest":"sha256:...","Size":N}}. A refused
 * push is an errorDetail message in that same stream (HTTP 200). */
#include "ship.h"

#include "dkauth.h"
#include "dkcred.h"
#include "mem.h"
#include "strvec.h"
#include "term.h"

#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

/* The tags of the task, as the build gives them to the engine. */
static void ship_tags(const fv *opts, strvec *out)
{
    const char *tag;
    for (size_t i = 0; (tag = build_tag(opts, i)) != NULL; i++)
        if (*tag)
            strvec_push(out, tag);
}

int ship_check(const fv *opts, strbuf *err)
{
    strvec tags = STRVEC_INIT;
    ship_tags(opts, &tags);
    int rc = 0;
    if (tags.nr == 0) {
        sb_adds(err, "nothing to push: the task has no tag\n"
                     "hint: give it one that names a registry, tag = \"HOST:PORT/NAME:TAG\"");
        rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < tags.nr; i++) {
        strbuf reg = STRBUF_INIT;
        dka_registry_of(tags.v[i], &reg);
        if (reg.len == 0) {
            sb_addf(err,
                    "cannot push %s: the tag names no registry\n"
                    "hint: name the registry as its first part, tag = \"HOST:PORT/%s\"; fuse "
                    "never pushes to the engine's default registry unasked",
                    tags.v[i], tags.v[i]);
            rc = -1;
        }
        sb_release(&reg);
    }
    strvec_clear(&tags);
    return rc;
}

int ship_build_auth(dk_client *dk, strbuf *err)
{
    dka_config cfg;
    dka_cred *creds = NULL;
    size_t n = 0;
    int rc = dka_load(&cfg, err);
    if (rc == 0)
        rc = dkc_all(&cfg, &creds, &n, err);
    strbuf hdr = STRBUF_INIT;
    if (rc == 0 && n > 0) {
        sb_adds(&hdr, "X-Registry-Config: ");
        if (dka_config_header(creds, n, &hdr) != 0 || dk_add_header(dk, hdr.buf) != 0) {
            sb_adds(err, "cannot write the registry credentials: out of memory");
            rc = -1;
        }
    }
    explicit_bzero(hdr.buf, hdr.len);
    sb_release(&hdr);
    dkc_free_all(creds, n);
    dka_free(&cfg);
    return rc;
}

/* ---- progress ---- */

typedef struct ship_layer {
    char *id;
    char *status;
    long long cur, total, size; /* size: the largest total seen */
    int done;
} ship_layer;

typedef struct ship_prog {
    FILE *out;
    const build_flags *f;
    int tty;
    ship_layer *l;
    size_t n, alloc;
    strbuf digest;
} ship_prog;

static void ship_bytes(long long n, char *buf, size_t size)
{
    if (n >= 1000000)
        snprintf(buf, size, "%.1f MB", (double)n / 1e6);
    else if (n >= 1000)
        snprintf(buf, size, "%.1f kB", (double)n / 1e3);
    else
        snprintf(buf, size, "%lld B", n);
}

static void ship_layer_text(const ship_layer *l, strbuf *out)
{
    char a[32], b[32];
    sb_addf(out, "  %.12s  %s", l->id, l->status);
    if (!l->done && l->total > 0) {
        ship_bytes(l->cur, a, sizeof a);
        ship_bytes(l->total, b, sizeof b);
        sb_addf(out, " %s / %s", a, b);
    } else if (l->done && l->size > 0) {
        ship_bytes(l->size, a, sizeof a);
        sb_addf(out, " (%s)", a);
    }
}

/* On a terminal each layer has a line, redrawn in place: the cursor rests
 * below the last one, so layer i is n - i lines up. */
static void ship_draw(ship_prog *p, size_t i, int is_new)
{
    strbuf t = STRBUF_INIT;
    ship_layer_text(&p->l[i], &t);
    size_t up = p->n - i;
    if (is_new)
        fprintf(p->out, "%s\n", t.buf);
    else if (up == 1)
        fprintf(p->out, "\033[1A\r\033[K%s\n", t.buf);
    else
        fprintf(p->out, "\033[%zuA\r\033[K%s\n\033[%zuB", up, t.buf, up - 1);
    fflush(p->out);
    sb_release(&t);
}

static size_t ship_layer_of(ship_prog *p, const char *id, int *is_new)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->l[i].id, id) == 0)
            return i;
    ALLOC_GROW(p->l, p->n + 1, p->alloc);
    p->l[p->n] = (ship_layer){.id = xstrdup(id), .status = xstrdup("")};
    *is_new = 1;
    return p->n++;
}

static int ship_is_final(const char *status)
{
    return strcmp(status, "Pushed") == 0 || strcmp(status, "Layer already exists") == 0 ||
           strncmp(status, "Mounted from", 12) == 0;
}

static long long ship_num(yajl_val root, const char *a, const char *b)
{
    const char *path[] = {a, b, NULL};
    yajl_val v = yajl_tree_get(root, path, yajl_t_number);
    return v && YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : -1;
}

static void ship_layer_event(ship_prog *p, yajl_val root, const char *id, const char *status)
{
    int is_new = 0;
    size_t i = ship_layer_of(p, id, &is_new);
    ship_layer *l = &p->l[i];
    int was_done = l->done;
    free(l->status);
    l->status = xstrdup(status);
    l->cur = ship_num(root, "progressDetail", "current");
    l->total = ship_num(root, "progressDetail", "total");
    if (l->total > l->size)
        l->size = l->total;
    l->done = ship_is_final(status);
    if (p->f->quiet)
        return;
    if (p->tty && !p->f->verbose)
        ship_draw(p, i, is_new);
    else if (p->f->verbose ? l->total <= 0 : l->done && !was_done) {
        strbuf t = STRBUF_INIT;
        ship_layer_text(l, &t);
        fprintf(p->out, "%s\n", t.buf);
        fflush(p->out);
        sb_release(&t);
    }
}

/* The dk_msg_fn of a push. */
static void ship_on_msg(const dk_msg *m, void *ud)
{
    ship_prog *p = ud;
    if (p->f->on_chunk)
        p->f->on_chunk(m->json, m->json_len, p->f->ud);
    char *text = xmemdup(m->json, m->json_len);
    char ebuf[2];
    yajl_val root = yajl_tree_parse(text, ebuf, sizeof ebuf);
    free(text);
    const char *idp[] = {"id", NULL}, *dgp[] = {"aux", "Digest", NULL};
    yajl_val id = root ? yajl_tree_get(root, idp, yajl_t_string) : NULL;
    yajl_val dg = root ? yajl_tree_get(root, dgp, yajl_t_string) : NULL;
    if (dg && p->digest.len == 0)
        sb_adds(&p->digest, YAJL_GET_STRING(dg));
    if (id && m->status && !m->error)
        ship_layer_event(p, root, YAJL_GET_STRING(id), m->status);
    else if (m->status && p->f->verbose)
        fprintf(p->out, "%s\n", m->status);
    yajl_tree_free(root);
}

static void ship_prog_reset(ship_prog *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->l[i].id);
        free(p->l[i].status);
    }
    free(p->l);
    p->l = NULL;
    p->n = p->alloc = 0;
    sb_reset(&p->digest);
}

/* ---- pushing ---- */

/* Docker's reasons, in the three words a user acts on. */
static const char *ship_reason(const char *msg)
{
    static const struct {
        const char *needle, *reason;
    } map[] = {
        {"unknown authority", "the registry's certificate is signed by an unknown CA"},
        {"x509:", "the registry's certificate is not trusted"},
        {"unauthorized", "authentication refused"},
        {"authentication required", "authentication refused"},
        {"denied", "authentication refused"},
        {"no basic auth credentials", "authentication refused"},
        {"connection refused", "the registry is unreachable"},
        {"no such host", "the registry is unreachable"},
        {"i/o timeout", "the registry is unreachable"},
        {"connection reset", "the registry is unreachable"},
        {"EOF", "the registry is unreachable"},
        {"No such image", "the image is not in the engine"},
        {"does not exist", "the image is not in the engine"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strstr(msg, map[i].needle))
            return map[i].reason;
    return "the registry refused it";
}

/* docker.c's words for a daemon that cannot be reached: those errors are
 * about the engine, and are passed on as they are. */
static int ship_engine_error(const char *msg)
{
    return strstr(msg, "the Docker daemon") != NULL && strstr(msg, "Docker: ") != msg;
}

/* "127.0.0.1:5000/app:v1" -> repository "127.0.0.1:5000/app", tag "v1". */
static void ship_split(const char *ref, strbuf *repo, strbuf *tag)
{
    const char *slash = strrchr(ref, '/');
    const char *colon = strrchr(slash ? slash : ref, ':');
    if (colon) {
        sb_add(repo, ref, (size_t)(colon - ref));
        sb_adds(tag, colon + 1);
    } else {
        sb_adds(repo, ref);
        sb_adds(tag, "latest");
    }
}

static int ship_one(dk_client *dk, const dka_config *cfg, const char *ref, ship_prog *p,
                    strbuf *err)
{
    strbuf repo = STRBUF_INIT, tag = STRBUF_INIT, reg = STRBUF_INIT, auth = STRBUF_INIT;
    strbuf derr = STRBUF_INIT;
    ship_split(ref, &repo, &tag);
    dka_registry_of(ref, &reg);
    dka_cred cred;
    int rc = dkc_lookup(cfg, reg.buf, &cred, err) == 0 ? 0 : BUILD_FAILED;
    if (rc == 0 && dka_auth_header(&cred, &auth) != 0) {
        sb_adds(err, "cannot write the registry credentials: out of memory");
        rc = BUILD_FAILED;
    }
    dka_cred_clear(&cred);
    int r = rc ? -1 : dk_push(dk, repo.buf, tag.buf, auth.buf, ship_on_msg, p, &derr);
    if (rc == 0 && r == -2) {
        sb_addf(err, "interrupted; the push of %s was cancelled", ref);
        rc = BUILD_INTERRUPTED;
    } else if (rc == 0 && r != 0 && ship_engine_error(derr.buf)) {
        sb_addbuf(err, &derr); /* the engine, not the registry, failed */
        rc = BUILD_FAILED;
    } else if (rc == 0 && (r != 0 || p->digest.len == 0)) {
        const char *why = r ? derr.buf : "the engine reported no digest";
        sb_addf(err, "cannot push %s to %s: %s\n%s", ref, reg.buf, ship_reason(why), why);
        rc = BUILD_FAILED;
    } else if (rc == 0) {
        fprintf(p->out, "fuse: pushed %s:%s@%s\n", repo.buf, tag.buf, p->digest.buf);
        fflush(p->out);
    }
    explicit_bzero(auth.buf, auth.len);
    sb_release(&auth);
    sb_release(&repo);
    sb_release(&tag);
    sb_release(&reg);
    sb_release(&derr);
    return rc;
}

int ship_push(dk_client *dk, const fv *opts, const build_flags *f, FILE *out, strbuf *err)
{
    dka_config cfg;
    if (dka_load(&cfg, err) != 0) {
        dka_free(&cfg);
        return BUILD_FAILED;
    }
    strvec tags = STRVEC_INIT;
    ship_tags(opts, &tags);
    ship_prog p = {.out = out, .f = f, .tty = term_tty(out), .digest = STRBUF_INIT};
    int rc = BUILD_OK;
    for (size_t i = 0; rc == BUILD_OK && i < tags.nr; i++) {
        rc = ship_one(dk, &cfg, tags.v[i], &p, err);
        ship_prog_reset(&p);
    }
    sb_release(&p.digest);
    strvec_clear(&tags);
    dka_free(&cfg);
    return rc;
}

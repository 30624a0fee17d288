/* dkbuild.c -- POST /build with the builder chosen for the engine, its
 * answer read in the dialect that builder (or Podman) speaks. */
#include "dkbuild.h"

#include "endpoint.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* BuildKit came with Docker 18.09, API 1.39. */
#define DKB_BUILDKIT_API "1.39"
/* containerd's image store came with Docker 24 (API 1.43): older engines
 * are not asked about it. */
#define DKB_CONTAINERD_API "1.43"

/* The dialect gets each message first, then the caller's raw hook. */
typedef struct dkb_ctx {
    const dl_dialect *dl;
    void *st;
    const dkb_request *r;
} dkb_ctx;

static void dkb_on_msg(const dk_msg *m, void *ud)
{
    dkb_ctx *b = ud;
    if (b->r->on_msg)
        b->r->on_msg(m, b->r->msg_ud);
    b->dl->message(b->st, m);
}

void dkb_query(const dkb_request *r, strbuf *q)
{
    sb_adds(q, "rm=1&forcerm=1");
    for (const char *const *t = r->tags; t && *t; t++) {
        sb_adds(q, "&t=");
        dk_urlencode(q, *t);
    }
    if (r->no_cache)
        sb_adds(q, "&nocache=1");
    if (r->pull)
        sb_adds(q, "&pull=1");
    if (r->buildargs) {
        sb_adds(q, "&buildargs=");
        dk_urlencode(q, r->buildargs);
    }
}

/* Go's strconv.ParseBool, as the docker CLI reads DOCKER_BUILDKIT: 1, 0,
 * or -1 for anything else. */
static int dkb_parse_bool(const char *s)
{
    static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True"};
    static const char *const no[] = {"0", "f", "F", "false", "FALSE", "False"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
        if (strcmp(s, yes[i]) == 0)
            return 1;
        if (strcmp(s, no[i]) == 0)
            return 0;
    }
    return -1;
}

/* DOCKER_BUILDKIT is given: the user's word, not the engine's default. */
static int dkb_asked(const dkb_engine *e)
{
    return e->env && *e->env;
}

int dkb_choose(const dkb_engine *e, dkb_builder *b, const char **why, int *fallback, strbuf *err)
{
    int want = dkb_asked(e) ? dkb_parse_bool(e->env) : 1;
    *fallback = 0;
    *b = DKB_CLASSIC;
    if (want < 0) {
        sb_addf(err, "DOCKER_BUILDKIT must be a boolean (1 or 0), not '%s'", e->env);
        return -1;
    }
    int asked = dkb_asked(e);
    if (!want)
        *why = "DOCKER_BUILDKIT=0";
    else if (e->podman)
        *why = "Podman builds with its own builder";
    else if (e->by_id)
        *why = "BuildKit cannot build on a local image named by its ID (a task dependency, or the "
               "image a step with secrets committed)";
    else if (e->raw && !asked)
        *why = "DockerBuilder:build() reads the classic builder's messages";
    else if (ep_vnum(e->api) < ep_vnum(DKB_BUILDKIT_API))
        *why = "the engine's API is older than " DKB_BUILDKIT_API;
    else if (e->containerd)
        *why = "BuildKit on the containerd image store needs a session fuse does not open";
    else {
        *b = DKB_BUILDKIT;
        *why = asked ? "DOCKER_BUILDKIT=1" : "the engine has it";
        return 0;
    }
    /* The user asked for BuildKit, or would get it on a usual engine: a
     * store that cannot take fuse's request is worth a line. */
    *fallback = want && (asked || e->containerd) && !e->podman;
    return 0;
}

/* Settles the engine's facts for dkb_choose: 0, -1 with err, -2 when
 * interrupted. */
static int dkb_engine_of(dk_client *c, dkb_engine *e, strbuf *err)
{
    memset(e, 0, sizeof *e);
    int rc = dk_negotiate(c, err);
    if (rc != 0)
        return rc;
    e->api = dk_api_version(c);
    e->podman = dk_engine_of(c)->kind == DK_ENGINE_PODMAN;
    e->env = getenv("DOCKER_BUILDKIT");
    int want = dkb_asked(e) ? dkb_parse_bool(e->env) != 0 : 1;
    if (want && !e->podman && ep_vnum(e->api) >= ep_vnum(DKB_CONTAINERD_API))
        return dk_image_store(c, &e->containerd, err);
    return 0;
}

int dkb_names_id(const char *dockerfile)
{
    for (const char *l = dockerfile; l && *l;) {
        size_t n = strcspn(l, "\n");
        const char *w = l + strspn(l, " \t");
        if (strncasecmp(w, "FROM ", 5) == 0) {
            w += 5;
            while (*w == ' ' || (w[0] == '-' && w[1] == '-'))
                w += *w == ' ' ? 1 : strcspn(w, " \n");
            if (strncmp(w, "sha256:", 7) == 0)
                return 1;
        }
        const char *f = strstr(l, "--from=sha256:");
        if (f && f < l + n)
            return 1;
        l += n + (l[n] == '\n');
    }
    return 0;
}

int dkb_select(dk_client *c, int raw, const char *dockerfile, dkb_choice *ch, strbuf *err)
{
    dkb_engine e;
    memset(ch, 0, sizeof *ch);
    ch->why = "";
    int rc = dkb_engine_of(c, &e, err);
    if (rc != 0)
        return rc;
    e.raw = raw;
    e.by_id = dkb_names_id(dockerfile);
    ch->api = e.api;
    rc = dkb_choose(&e, &ch->builder, &ch->why, &ch->fallback, err);
    /* Podman's builder (buildah) reads cache mounts in its classic API. */
    ch->mounts = ch->builder == DKB_BUILDKIT || e.podman;
    ch->asked = dkb_asked(&e);
    return rc;
}

void dkb_for_pull(dk_client *c, dkb_choice *ch)
{
    if (ch->builder != DKB_BUILDKIT || ch->asked)
        return;
    ch->builder = DKB_CLASSIC;
    ch->why = "the base image must be pulled, with registry credentials only the classic "
              "builder is handed";
    ch->mounts = dk_engine_of(c)->kind == DK_ENGINE_PODMAN;
}

int dkb_describe(dk_client *c, strbuf *out, strbuf *err)
{
    dkb_choice ch;
    if (dkb_select(c, 0, NULL, &ch, err) < 0)
        return -1;
    sb_addf(out, "%s (%s; engine API %s)", ch.builder == DKB_BUILDKIT ? "BuildKit" : "classic",
            ch.why, ch.api);
    return 0;
}

int dkb_build(dk_client *c, const dkb_request *r, strbuf *err)
{
    dkb_choice ch;
    int sel = r->choice ? 0 : dkb_select(c, r->on_msg != NULL, r->dockerfile, &ch, err);
    if (sel != 0)
        return sel; /* -1, or -2 when interrupted */
    if (r->choice)
        ch = *r->choice;
    /* The classic request goes to Podman too, whose answer is in its words. */
    const dl_dialect *classic =
        dk_engine_of(c)->kind == DK_ENGINE_PODMAN ? &dl_podman : &dl_classic;
    dkb_ctx b = {.dl = ch.builder == DKB_BUILDKIT ? &dl_buildkit : classic, .r = r};
    if (r->on_builder)
        r->on_builder(b.dl->name, ch.why, ch.fallback, r->ud);
    b.st = b.dl->open(r->on_event, r->ud);
    if (b.dl->plan)
        b.dl->plan(b.st, r->dockerfile ? r->dockerfile : "");
    strbuf q = STRBUF_INIT;
    dkb_query(r, &q);
    if (ch.builder == DKB_BUILDKIT)
        sb_adds(&q, "&version=2");
    int rc = dk_build(c, q.buf, r->read, r->read_ud, dkb_on_msg, &b, err);
    b.dl->finish(b.st);
    b.dl->close(b.st);
    sb_release(&q);
    return rc;
}

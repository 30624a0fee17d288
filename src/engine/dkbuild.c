/* dkbuild.c -- POST /build, its answer read in the dialect of the engine. */
#include "dkbuild.h"

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

/* The dialect of c's engine, known once dk_negotiate() succeeded. */
static const dl_dialect *dkb_dialect(const dk_client *c)
{
    return dk_engine_of(c)->kind == DK_ENGINE_PODMAN ? &dl_podman : &dl_classic;
}

int dkb_build(dk_client *c, const dkb_request *r, strbuf *err)
{
    int neg = dk_negotiate(c, err);
    if (neg != 0)
        return neg; /* -1, or -2 when interrupted */
    dkb_ctx b = {.dl = dkb_dialect(c), .r = r};
    b.st = b.dl->open(r->on_event, r->ud);
    strbuf q = STRBUF_INIT;
    dkb_query(r, &q);
    int rc = dk_build(c, q.buf, r->read, r->read_ud, dkb_on_msg, &b, err);
    b.dl->finish(b.st);
    b.dl->close(b.st);
    sb_release(&q);
    return rc;
}

/* dkbuild.c -- POST /build with the classic builder's dialect. */
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
}

int dkb_build(dk_client *c, const dkb_request *r, strbuf *err)
{
    /* The classic builder is the one dialect so far; BuildKit's and
     * Podman's are chosen here once the engine says it speaks them. */
    dkb_ctx b = {.dl = &dl_classic, .r = r};
    b.st = b.dl->open(r->on_event, r->ud);
    strbuf q = STRBUF_INIT;
    dkb_query(r, &q);
    int rc = dk_build(c, q.buf, r->read, r->read_ud, dkb_on_msg, &b, err);
    b.dl->finish(b.st);
    b.dl->close(b.st);
    sb_release(&q);
    return rc;
}

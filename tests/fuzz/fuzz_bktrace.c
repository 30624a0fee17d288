/* fuzz_bktrace.c -- BuildKit's trace reader (bktrace.c) and dialect
 * (dl_buildkit.c).
 *
 * The input's first byte is a length L; the next L bytes are a Dockerfile
 * (the dialect's plan), the rest one StatusResponse as BuildKit sends it
 * (the seeds are real ones, captured from POST /build?version=2). The
 * protobuf reader must keep every string it reports inside the input and
 * give the same answer when the bytes sit in an allocation of their exact
 * size (ASan sees a read past the end). The same bytes then go through the
 * dialect twice, as one trace message and cut in two at a point the input
 * picks (each half its own message, as a broken trace would come), and its
 * events must keep dialect.h's promises: one line each, no escapes, a step
 * within the Dockerfile's count, at most one error, an exit code in range. */
#include "bktrace.h"
#include "dialect.h"
#include "fuzz.h"
#include "fvjson.h"
#include "mem.h"

#include <string.h>

typedef struct fz_span {
    const unsigned char *lo, *hi;
    size_t strings;
    int errors;
} fz_span;

static void fz_in(const fz_span *s, const bkt_str *v)
{
    const unsigned char *p = (const unsigned char *)v->p;
    FZ_ASSERT(v->len == 0 || (p >= s->lo && p + v->len <= s->hi), "a string outside the input");
}

static void fz_vertex(const bkt_vertex *v, void *ud)
{
    fz_span *s = ud;
    fz_in(s, &v->digest);
    fz_in(s, &v->name);
    fz_in(s, &v->error);
    s->strings += 3;
}

static void fz_status(const bkt_status *st, void *ud)
{
    fz_span *s = ud;
    fz_in(s, &st->id);
    fz_in(s, &st->vertex);
    fz_in(s, &st->name);
    s->strings += 3;
}

static void fz_log(const bkt_log *l, void *ud)
{
    fz_span *s = ud;
    fz_in(s, &l->vertex);
    fz_in(s, &l->msg);
    s->strings += 2;
}

static void fz_line(const char *s, const char *what)
{
    FZ_ASSERT(!strchr(s, '\n') && !strchr(s, '\033'), "%s \"%s\" has a newline or ESC", what, s);
}

static void fz_event(const dk_event *e, void *ud)
{
    fz_span *s = ud;
    FZ_ASSERT(e->text, "event %d without text", e->kind);
    fz_line(e->text, "text");
    FZ_ASSERT(!e->raw == !e->line, "raw and line must come together");
    if (e->line)
        fz_line(e->line, "line");
    FZ_ASSERT(e->step >= 0 && e->step <= e->nsteps, "step %ld/%ld", e->step, e->nsteps);
    FZ_ASSERT(e->kind != DK_EV_STEP || e->step >= 1, "a step numbered %ld", e->step);
    FZ_ASSERT(e->kind != DK_EV_ERROR || ++s->errors == 1, "a second error");
    FZ_ASSERT(e->code >= -1 && e->code <= 255, "exit code %d", e->code);
}

static void fz_trace(void *st, const unsigned char *p, size_t n)
{
    strbuf b64 = STRBUF_INIT;
    fvj_base64_encode(p, n, &b64);
    dk_msg m = {.json = "{}", .json_len = 2, .id = "moby.buildkit.trace", .aux = b64.buf};
    dl_buildkit.message(st, &m);
    sb_release(&b64);
}

static void fz_dialect(const char *dockerfile, const unsigned char *p, size_t n, size_t cut)
{
    fz_span s = {0};
    void *st = dl_buildkit.open(fz_event, &s);
    dl_buildkit.plan(st, dockerfile);
    if (cut >= n) {
        fz_trace(st, p, n);
    } else {
        fz_trace(st, p, cut);
        fz_trace(st, p + cut, n - cut);
    }
    dk_msg err = {.json = "{}", .json_len = 2, .error = "failed: exit code: 1"};
    dl_buildkit.message(st, &err);
    dl_buildkit.finish(st);
    dl_buildkit.close(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t dlen = data[0] < size - 1 ? data[0] : size - 1;
    char *dockerfile = xcalloc(1, dlen + 1);
    memcpy(dockerfile, data + 1, dlen);
    size_t n = size - 1 - dlen;
    unsigned char *pb = xcalloc(1, n ? n : 1);
    memcpy(pb, data + 1 + dlen, n);

    fz_span s = {pb, pb + n, 0, 0};
    bkt_handler h = {fz_vertex, fz_status, fz_log, &s};
    int rc = bkt_parse(pb, n, &h);
    FZ_ASSERT(rc == 0 || rc == -1, "bkt_parse returned %d", rc);
    FZ_ASSERT(n || rc == 0, "an empty message is a valid one");

    fz_dialect(dockerfile, pb, n, (size_t)-1);
    fz_dialect(dockerfile, pb, n, n ? (size_t)data[0] % n : 0);
    free(pb);
    free(dockerfile);
    return 0;
}

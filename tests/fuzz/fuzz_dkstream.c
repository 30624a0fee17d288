/* fuzz_dkstream.c -- Docker's response-stream parser (dkstream.c).
 *
 * The input after a 3-byte header is a stream. It is parsed twice: fed
 * whole, and fed split at a position taken from the header (then in pieces
 * of the header's size), both with the same cap on a message's size (the
 * default, or a small one the header picks). Network reads split a stream anywhere, so both
 * must deliver the same messages and agree on success. Each piece is a
 * separate allocation of its exact size, so ASan sees any read past a
 * piece. Every message is an object whose exact bytes occur, in order, in
 * the input.
 *
 * The messages also go through each text dialect (dialect.h: the classic
 * builder's and Podman's), which must give the same events for both splits, keep its promises about
 * each event (one line, no escapes, a step within its count, one error at
 * most), and account for every byte of stream text: a second dialect fed
 * only the "stream" fields gives back, joining its events' raw lines with
 * newlines, exactly the text it was fed. */
#include "dialect.h"
#include "dkstream.h"
#include "fuzz.h"
#include "mem.h"

#include <string.h>

typedef struct fz_msg {
    char *json;
    size_t len;
    char *field[4]; /* stream, status, error, aux_id; NULL when absent */
} fz_msg;

static const dl_dialect *const fz_dialects[] = {&dl_classic, &dl_podman};
#define FZ_NDL (sizeof fz_dialects / sizeof fz_dialects[0])

/* One dialect's view of the stream. */
typedef struct fz_dl {
    void *dl, *dl_text; /* the dialect fed every message, and only stream text */
    strbuf events;      /* what dl reported, one event a line */
    strbuf lines;       /* dl_text's raw lines, each with a newline */
    int errors;
} fz_dl;

typedef struct fz_msgs {
    fz_msg *m;
    size_t n, alloc;
    strbuf text; /* the stream text fed to each dl_text */
    fz_dl d[FZ_NDL];
} fz_msgs;

static void fz_check_line(const char *s, const char *what)
{
    FZ_ASSERT(!strchr(s, '\n') && !strchr(s, '\033'), "%s \"%s\" has a newline or ESC", what, s);
}

static void fz_on_event(const dk_event *e, void *ud)
{
    fz_dl *l = ud;
    FZ_ASSERT(e->text, "event %d without text", e->kind);
    fz_check_line(e->text, "text");
    FZ_ASSERT(!e->raw == !e->line, "raw and line must come together");
    if (e->raw) {
        fz_check_line(e->line, "line");
        FZ_ASSERT(!strchr(e->raw, '\n'), "raw \"%s\" has a newline", e->raw);
        /* line is raw without escapes: stripping again changes nothing. */
        char *again = xstrdup(e->line);
        dl_strip_escapes(again);
        FZ_ASSERT(strcmp(again, e->line) == 0, "stripping is not idempotent");
        free(again);
    }
    /* nsteps 0: the total is not known yet (Podman's earlier stages). */
    FZ_ASSERT(e->step >= 0 && (e->nsteps == 0 || e->step <= e->nsteps), "step %ld/%ld", e->step,
              e->nsteps);
    FZ_ASSERT(e->kind != DK_EV_STEP || e->step >= 1, "a step numbered %ld", e->step);
    FZ_ASSERT(e->kind != DK_EV_ERROR || ++l->errors == 1, "a second error");
    FZ_ASSERT(e->code >= -1 && e->code <= 255, "exit code %d", e->code);
    sb_addf(&l->events, "%d %ld/%ld %d %s\n", e->kind, e->step, e->nsteps, e->code, e->text);
}

static void fz_on_text_event(const dk_event *e, void *ud)
{
    fz_dl *l = ud;
    FZ_ASSERT(e->raw, "stream text gave an event without its line");
    sb_adds(&l->lines, e->raw);
    sb_addc(&l->lines, '\n');
}

static void fz_msgs_init(fz_msgs *l)
{
    memset(l, 0, sizeof *l);
    sb_init(&l->text);
    for (size_t i = 0; i < FZ_NDL; i++) {
        fz_dl *d = &l->d[i];
        sb_init(&d->events);
        sb_init(&d->lines);
        d->dl = fz_dialects[i]->open(fz_on_event, d);
        d->dl_text = fz_dialects[i]->open(fz_on_text_event, d);
    }
}

/* The stream is over: dl_text must have given back every byte it got. */
static void fz_msgs_finish(fz_msgs *l)
{
    if (l->text.len && l->text.buf[l->text.len - 1] != '\n')
        sb_addc(&l->text, '\n');
    for (size_t i = 0; i < FZ_NDL; i++) {
        fz_dl *d = &l->d[i];
        fz_dialects[i]->finish(d->dl);
        fz_dialects[i]->finish(d->dl_text);
        FZ_ASSERT(l->text.len == d->lines.len &&
                      memcmp(l->text.buf, d->lines.buf, l->text.len) == 0,
                  "%s: stream text \"%s\" came back as \"%s\"", fz_dialects[i]->name, l->text.buf,
                  d->lines.buf);
    }
}

static char *fz_dup(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static void fz_on_msg(const dk_msg *m, void *ud)
{
    fz_msgs *l = ud;
    ALLOC_GROW(l->m, l->n + 1, l->alloc);
    fz_msg *c = &l->m[l->n++];
    c->json = xmemdup(m->json, m->json_len);
    c->len = m->json_len;
    c->field[0] = fz_dup(m->stream);
    c->field[1] = fz_dup(m->status);
    c->field[2] = fz_dup(m->error);
    c->field[3] = fz_dup(m->aux_id);
    dk_msg t = {.json = m->json, .json_len = m->json_len, .stream = m->stream};
    if (m->stream)
        sb_adds(&l->text, m->stream);
    for (size_t i = 0; i < FZ_NDL; i++) {
        fz_dialects[i]->message(l->d[i].dl, m);
        if (m->stream)
            fz_dialects[i]->message(l->d[i].dl_text, &t);
    }
}

static void fz_msgs_free(fz_msgs *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->m[i].json);
        for (int f = 0; f < 4; f++)
            free(l->m[i].field[f]);
    }
    free(l->m);
    for (size_t i = 0; i < FZ_NDL; i++) {
        fz_dialects[i]->close(l->d[i].dl);
        fz_dialects[i]->close(l->d[i].dl_text);
        sb_release(&l->d[i].events);
        sb_release(&l->d[i].lines);
    }
    sb_release(&l->text);
}

/* Feeds data[from, to) as one exact-size allocation. */
static int fz_feed(dks *s, const uint8_t *data, size_t from, size_t to, strbuf *err)
{
    char *piece = xmalloc(to - from + 1);
    memcpy(piece, data + from, to - from);
    int rc = dks_feed(s, piece, to - from, err);
    free(piece);
    return rc;
}

/* Parses data[0, n) cut at pos and then every step bytes (step 0: once);
 * returns 0 when the stream was good. */
static int fz_parse(const uint8_t *data, size_t n, size_t pos, size_t step, size_t limit,
                    fz_msgs *out)
{
    dks *s = dks_new(fz_on_msg, out);
    FZ_ASSERT(s, "dks_new");
    if (limit)
        dks_set_limit(s, limit);
    strbuf err = STRBUF_INIT;
    int rc = fz_feed(s, data, 0, pos, &err);
    for (size_t at = pos; rc == 0 && at < n;) {
        size_t next = step && n - at > step ? at + step : n;
        rc = fz_feed(s, data, at, next, &err);
        at = next;
    }
    if (rc == 0)
        rc = dks_finish(s, &err);
    if (rc != 0)
        FZ_ASSERT(strncmp(err.buf, "bad JSON from Docker: ", 22) == 0 && !strchr(err.buf, '\n'),
                  "error \"%s\"", err.buf);
    /* A failed stream stays failed. */
    if (rc != 0) {
        strbuf again = STRBUF_INIT;
        FZ_ASSERT(dks_feed(s, "{}", 2, &again) == -1 && again.len > 0, "feed after failure");
        sb_release(&again);
    }
    FZ_ASSERT(dks_count(s) == out->n, "count %zu, delivered %zu", dks_count(s), out->n);
    dks_free(s);
    sb_release(&err);
    return rc;
}

static int fz_streq(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static void fz_check_in_input(const fz_msgs *l, const uint8_t *data, size_t n)
{
    const uint8_t *at = data, *end = data + n;
    for (size_t i = 0; i < l->n; i++) {
        const fz_msg *m = &l->m[i];
        FZ_ASSERT(m->len >= 2 && m->json[0] == '{' && m->json[m->len - 1] == '}',
                  "message %zu is not an object", i);
        const uint8_t *hit = memmem(at, (size_t)(end - at), m->json, m->len);
        FZ_ASSERT(hit, "message %zu not found in the input in order", i);
        at = hit + m->len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    size_t n = size - 3;
    size_t pos = ((size_t)data[0] << 8 | data[1]) % (n + 1);
    size_t step = data[2] & 0x7f;
    size_t limit = data[2] & 0x80 ? 16 + data[1] : 0;
    data += 3;

    fz_msgs whole, split;
    fz_msgs_init(&whole);
    fz_msgs_init(&split);
    int rc_whole = fz_parse(data, n, n, 0, limit, &whole);
    int rc_split = fz_parse(data, n, pos, step, limit, &split);
    fz_msgs_finish(&whole);
    fz_msgs_finish(&split);
    for (size_t i = 0; i < FZ_NDL; i++)
        FZ_ASSERT(strcmp(whole.d[i].events.buf, split.d[i].events.buf) == 0,
                  "%s: the dialect's events differ between whole and split", fz_dialects[i]->name);
    FZ_ASSERT((rc_whole == 0) == (rc_split == 0), "whole %d, split at %zu/%zu: %d", rc_whole, pos,
              step, rc_split);
    FZ_ASSERT(whole.n == split.n, "whole gave %zu messages, split %zu", whole.n, split.n);
    for (size_t i = 0; i < whole.n; i++) {
        FZ_ASSERT(whole.m[i].len == split.m[i].len &&
                      memcmp(whole.m[i].json, split.m[i].json, whole.m[i].len) == 0,
                  "message %zu bytes differ", i);
        for (int f = 0; f < 4; f++)
            FZ_ASSERT(fz_streq(whole.m[i].field[f], split.m[i].field[f]),
                      "message %zu field %d differs", i, f);
    }
    fz_check_in_input(&whole, data, n);
    for (size_t i = 0; limit && i < whole.n; i++)
        FZ_ASSERT(whole.m[i].len <= limit, "message %zu of %zu bytes passed a cap of %zu", i,
                  whole.m[i].len, limit);
    fz_msgs_free(&whole);
    fz_msgs_free(&split);
    return 0;
}

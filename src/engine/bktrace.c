/* bktrace.c -- a protobuf reader just large enough for StatusResponse.
 *
 * The wire format: each field is a varint key (number << 3 | wire type),
 * then a varint (type 0), 8 bytes (1), a varint length and that many bytes
 * (2) or 4 bytes (5). Groups (3, 4) are obsolete and never in BuildKit's
 * messages: they are refused like any malformed input. */
#include "bktrace.h"

#include <stdint.h>
#include <string.h>

typedef struct bkt_buf {
    const unsigned char *p, *end;
} bkt_buf;

enum { BKT_VARINT = 0, BKT_I64 = 1, BKT_LEN = 2, BKT_I32 = 5 };

/* A varint of at most 10 bytes: 0, or -1 when cut short or too long. */
static int bkt_varint(bkt_buf *b, uint64_t *v)
{
    uint64_t r = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (b->p >= b->end)
            return -1;
        unsigned char c = *b->p++;
        r |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = r;
            return 0;
        }
    }
    return -1;
}

/* One field: its number and wire type; a length-delimited one's bytes in
 * sub, a varint's value in *v. Skips fixed-size values. */
typedef struct bkt_field {
    uint64_t num;
    int type;
    uint64_t v;
    bkt_buf sub;
} bkt_field;

static int bkt_next(bkt_buf *b, bkt_field *f)
{
    uint64_t key;
    if (bkt_varint(b, &key) < 0)
        return -1;
    f->num = key >> 3;
    f->type = (int)(key & 7);
    size_t left = (size_t)(b->end - b->p);
    switch (f->type) {
    case BKT_VARINT:
        return bkt_varint(b, &f->v);
    case BKT_I64:
    case BKT_I32: {
        size_t n = f->type == BKT_I64 ? 8 : 4;
        if (left < n)
            return -1;
        b->p += n;
        return 0;
    }
    case BKT_LEN:
        if (bkt_varint(b, &f->v) < 0 || f->v > (uint64_t)(b->end - b->p))
            return -1;
        f->sub.p = b->p;
        f->sub.end = b->p + f->v;
        b->p = f->sub.end;
        return 0;
    default:
        return -1;
    }
}

static bkt_str bkt_string(const bkt_field *f)
{
    bkt_str s = {(const char *)f->sub.p, (size_t)(f->sub.end - f->sub.p)};
    return s;
}

/* Walks the fields of b, handing each to one(). A field of the wrong wire
 * type for its number is skipped as unknown: that is what protobuf does. */
typedef int (*bkt_one_fn)(const bkt_field *f, void *out);

static int bkt_walk(bkt_buf b, bkt_one_fn one, void *out)
{
    while (b.p < b.end) {
        bkt_field f;
        if (bkt_next(&b, &f) < 0 || one(&f, out) < 0)
            return -1;
    }
    return 0;
}

static int bkt_vertex_field(const bkt_field *f, void *out)
{
    bkt_vertex *v = out;
    if (f->type == BKT_LEN && f->num == 1)
        v->digest = bkt_string(f);
    else if (f->type == BKT_LEN && f->num == 3)
        v->name = bkt_string(f);
    else if (f->type == BKT_VARINT && f->num == 4)
        v->cached = f->v != 0;
    else if (f->type == BKT_LEN && f->num == 5)
        v->started = 1; /* a Timestamp: when, not needed; that it is set is */
    else if (f->type == BKT_LEN && f->num == 6)
        v->completed = 1;
    else if (f->type == BKT_LEN && f->num == 7)
        v->error = bkt_string(f);
    return 0;
}

static int bkt_status_field(const bkt_field *f, void *out)
{
    bkt_status *s = out;
    if (f->type == BKT_LEN && f->num == 1)
        s->id = bkt_string(f);
    else if (f->type == BKT_LEN && f->num == 2)
        s->vertex = bkt_string(f);
    else if (f->type == BKT_LEN && f->num == 3)
        s->name = bkt_string(f);
    else if (f->type == BKT_VARINT && f->num == 4)
        s->current = (long long)f->v;
    else if (f->type == BKT_VARINT && f->num == 5)
        s->total = (long long)f->v;
    else if (f->type == BKT_LEN && f->num == 8)
        s->completed = 1;
    return 0;
}

static int bkt_log_field(const bkt_field *f, void *out)
{
    bkt_log *l = out;
    if (f->type == BKT_LEN && f->num == 1)
        l->vertex = bkt_string(f);
    else if (f->type == BKT_VARINT && f->num == 3)
        l->stream = (long long)f->v;
    else if (f->type == BKT_LEN && f->num == 4)
        l->msg = bkt_string(f);
    return 0;
}

static int bkt_response_field(const bkt_field *f, void *out)
{
    const bkt_handler *h = out;
    if (f->type != BKT_LEN)
        return 0;
    if (f->num == 1) {
        bkt_vertex v;
        memset(&v, 0, sizeof v);
        if (bkt_walk(f->sub, bkt_vertex_field, &v) < 0)
            return -1;
        if (h->vertex)
            h->vertex(&v, h->ud);
    } else if (f->num == 2) {
        bkt_status s;
        memset(&s, 0, sizeof s);
        if (bkt_walk(f->sub, bkt_status_field, &s) < 0)
            return -1;
        if (h->status)
            h->status(&s, h->ud);
    } else if (f->num == 3) {
        bkt_log l;
        memset(&l, 0, sizeof l);
        if (bkt_walk(f->sub, bkt_log_field, &l) < 0)
            return -1;
        if (h->log)
            h->log(&l, h->ud);
    }
    return 0;
}

int bkt_parse(const unsigned char *p, size_t len, const bkt_handler *h)
{
    bkt_buf b = {p, p + len};
    return bkt_walk(b, bkt_response_field, (void *)h);
}

/* fvjson.c -- fv trees to and from JSON with yajl.
 *
 * Writing drives yajl_gen with a print callback into a strbuf. Reading uses
 * yajl_parse callbacks that build the fv tree directly, so no second tree
 * (yajl_tree) is built and thrown away, and binary strings come back as the
 * exact bytes. */
#include "fvjson.h"

#include "mem.h"

#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { FVJ_MAX_DEPTH = 64 };

static const char fvj_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int fvj_utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        size_t n;
        unsigned cp, min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            n = 1, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return 0;
        }
        if (len - i - 1 < n)
            return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += n + 1;
    }
    return 1;
}

void fvj_base64_encode(const unsigned char *d, size_t len, strbuf *out)
{
    sb_grow(out, (len + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 2 < len; i += 3) {
        unsigned v = (unsigned)d[i] << 16 | (unsigned)d[i + 1] << 8 | d[i + 2];
        char q[4] = {fvj_b64[v >> 18], fvj_b64[(v >> 12) & 63], fvj_b64[(v >> 6) & 63],
                     fvj_b64[v & 63]};
        sb_add(out, q, 4);
    }
    if (i < len) {
        unsigned v = (unsigned)d[i] << 16 | (i + 1 < len ? (unsigned)d[i + 1] << 8 : 0);
        char q[4] = {fvj_b64[v >> 18], fvj_b64[(v >> 12) & 63],
                     i + 1 < len ? fvj_b64[(v >> 6) & 63] : '=', '='};
        sb_add(out, q, 4);
    }
}

static int fvj_b64_value(char c)
{
    const char *p = c ? strchr(fvj_b64, c) : NULL;
    return p ? (int)(p - fvj_b64) : -1;
}

int fvj_base64_decode(const char *s, size_t len, strbuf *out)
{
    if (len % 4 != 0)
        return -1;
    for (size_t i = 0; i < len; i += 4) {
        int last = i + 4 == len;
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            /* '=' only as the last one or two characters of the input. */
            if (last && k >= 2 && s[i + k] == '=' && (k == 3 || s[i + 3] == '=')) {
                v[k] = 0;
                pad++;
                continue;
            }
            v[k] = fvj_b64_value(s[i + k]);
            if (v[k] < 0)
                return -1;
        }
        unsigned x =
            (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 | (unsigned)v[3];
        unsigned char b[3] = {(unsigned char)(x >> 16), (unsigned char)(x >> 8), (unsigned char)x};
        sb_add(out, b, (size_t)(3 - pad));
    }
    return 0;
}

/* Writing */

static void fvj_print(void *ctx, const char *str, size_t len)
{
    sb_add(ctx, str, len);
}

static int fvj_gen_fail(yajl_gen_status st, strbuf *err)
{
    static const char *const why[] = {
        [yajl_gen_keys_must_be_strings] = "map keys must be strings",
        [yajl_max_depth_exceeded] = "value nested too deeply",
        [yajl_gen_in_error_state] = "generator in error state",
        [yajl_gen_generation_complete] = "document already complete",
        [yajl_gen_invalid_number] = "number is infinite or not a number",
        [yajl_gen_no_buf] = "no buffer",
        [yajl_gen_invalid_string] = "string is not valid UTF-8",
    };
    const char *w = (size_t)st < sizeof why / sizeof *why && why[st] ? why[st] : "unknown error";
    sb_addf(err, "cannot write JSON: %s", w);
    return -1;
}

#define FVJ_TRY(call)                                                                              \
    do {                                                                                           \
        yajl_gen_status st_ = (call);                                                              \
        if (st_ != yajl_gen_status_ok)                                                             \
            return fvj_gen_fail(st_, err);                                                         \
    } while (0)

static int fvj_gen_string(yajl_gen g, const char *s, size_t len, strbuf *err)
{
    if (!memchr(s, '\0', len) && fvj_utf8_valid(s, len)) {
        FVJ_TRY(yajl_gen_string(g, (const unsigned char *)s, len));
        return 0;
    }
    /* JSON strings are text: bytes that are not go as {"$base64": "..."}. */
    strbuf b64 = STRBUF_INIT;
    fvj_base64_encode((const unsigned char *)s, len, &b64);
    yajl_gen_status st = yajl_gen_map_open(g);
    if (st == yajl_gen_status_ok)
        st = yajl_gen_string(g, (const unsigned char *)"$base64", 7);
    if (st == yajl_gen_status_ok)
        st = yajl_gen_string(g, (const unsigned char *)b64.buf, b64.len);
    if (st == yajl_gen_status_ok)
        st = yajl_gen_map_close(g);
    sb_release(&b64);
    return st == yajl_gen_status_ok ? 0 : fvj_gen_fail(st, err);
}

static int fvj_gen_value(yajl_gen g, const fv *v, strbuf *err)
{
    switch (v->kind) {
    case FV_NULL:
        FVJ_TRY(yajl_gen_null(g));
        return 0;
    case FV_BOOL:
        FVJ_TRY(yajl_gen_bool(g, v->b));
        return 0;
    case FV_NUM:
        if (fv_is_int(v)) {
            FVJ_TRY(yajl_gen_integer(g, (long long)v->num));
        } else {
            /* yajl_gen_double prints %.20g (noise digits); %.17g round-trips. */
            if (!isfinite(v->num))
                return fvj_gen_fail(yajl_gen_invalid_number, err);
            char num[40];
            int n = snprintf(num, sizeof num, "%.17g", v->num);
            FVJ_TRY(yajl_gen_number(g, num, (size_t)n));
        }
        return 0;
    case FV_STR:
        return fvj_gen_string(g, v->str, v->len, err);
    case FV_LIST:
        FVJ_TRY(yajl_gen_array_open(g));
        for (size_t i = 0; i < v->n; i++)
            if (fvj_gen_value(g, v->items[i], err) < 0)
                return -1;
        FVJ_TRY(yajl_gen_array_close(g));
        return 0;
    case FV_MAP:
        FVJ_TRY(yajl_gen_map_open(g));
        for (size_t i = 0; i < v->n; i++) {
            size_t klen = strlen(v->keys[i]);
            if (!fvj_utf8_valid(v->keys[i], klen)) {
                sb_adds(err, "cannot write JSON: a table key is not valid UTF-8");
                return -1;
            }
            FVJ_TRY(yajl_gen_string(g, (const unsigned char *)v->keys[i], klen));
            if (fvj_gen_value(g, v->items[i], err) < 0)
                return -1;
        }
        FVJ_TRY(yajl_gen_map_close(g));
        return 0;
    }
    return 0;
}

int fvj_write(const fv *v, strbuf *out, unsigned flags, strbuf *err)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g) {
        sb_adds(err, "cannot write JSON: out of memory");
        return -1;
    }
    int ok = yajl_gen_config(g, yajl_gen_print_callback, fvj_print, (void *)out);
    if (ok && (flags & FVJ_PRETTY))
        ok = yajl_gen_config(g, yajl_gen_beautify, 1) &&
             yajl_gen_config(g, yajl_gen_indent_string, "  ");
    if (!ok) {
        yajl_gen_free(g);
        sb_adds(err, "cannot write JSON: yajl_gen_config failed");
        return -1;
    }
    int rc = fvj_gen_value(g, v, err);
    yajl_gen_free(g);
    return rc;
}

/* Reading */

typedef struct fvj_frame {
    fv **slot; /* where the open container sits, so it can be replaced */
} fvj_frame;

typedef struct fvj_ctx {
    fv *root;
    fvj_frame stack[FVJ_MAX_DEPTH];
    size_t depth;
    char *key; /* the pending key of the innermost open map */
    strbuf *err;
    int failed; /* err holds our own message; yajl's is not wanted */
} fvj_ctx;

static int fvj_abort(fvj_ctx *c, const char *msg)
{
    sb_adds(c->err, msg);
    c->failed = 1;
    return 0;
}

/* Places v in the open container (or as the root); returns its slot. */
static fv **fvj_place(fvj_ctx *c, fv *v)
{
    if (c->depth == 0) {
        c->root = v;
        return &c->root;
    }
    fv *top = *c->stack[c->depth - 1].slot;
    if (top->kind == FV_LIST) {
        fv_push(top, v);
        return &top->items[top->n - 1];
    }
    fv_set(top, c->key ? c->key : "", v);
    free(c->key);
    c->key = NULL;
    for (size_t i = top->n; i-- > 0;)
        if (top->items[i] == v)
            return &top->items[i];
    return NULL;
}

static int fvj_scalar(fvj_ctx *c, fv *v)
{
    fvj_place(c, v);
    return 1;
}

static int fvj_on_null(void *ctx)
{
    return fvj_scalar(ctx, fv_null());
}

static int fvj_on_bool(void *ctx, int b)
{
    return fvj_scalar(ctx, fv_bool(b));
}

static int fvj_on_number(void *ctx, const char *s, size_t len)
{
    char buf[64];
    if (len >= sizeof buf)
        return fvj_abort(ctx, "number too long");
    memcpy(buf, s, len);
    buf[len] = '\0';
    return fvj_scalar(ctx, fv_num(strtod(buf, NULL)));
}

static int fvj_on_string(void *ctx, const unsigned char *s, size_t len)
{
    return fvj_scalar(ctx, fv_str((const char *)s, len));
}

static int fvj_open(fvj_ctx *c, fv *v)
{
    if (c->depth == FVJ_MAX_DEPTH) {
        fv_free(v);
        char msg[64];
        snprintf(msg, sizeof msg, "JSON nested deeper than %d levels", FVJ_MAX_DEPTH);
        return fvj_abort(c, msg);
    }
    fv **slot = fvj_place(c, v);
    c->stack[c->depth++].slot = slot;
    return 1;
}

static int fvj_on_start_map(void *ctx)
{
    return fvj_open(ctx, fv_map());
}

static int fvj_on_start_array(void *ctx)
{
    return fvj_open(ctx, fv_list());
}

static int fvj_on_map_key(void *ctx, const unsigned char *k, size_t len)
{
    fvj_ctx *c = ctx;
    if (memchr(k, '\0', len))
        return fvj_abort(c, "an object key holds a NUL byte");
    /* yajl lets a later duplicate win: {"resources": [...], "resources": []}
     * would silently drop every resource of a bundle. */
    fv *top = *c->stack[c->depth - 1].slot;
    for (size_t i = 0; i < top->n; i++) {
        if (strlen(top->keys[i]) == len && memcmp(top->keys[i], k, len) == 0) {
            char msg[96];
            snprintf(msg, sizeof msg, "duplicate key \"%.*s\"", len > 40 ? 40 : (int)len, k);
            return fvj_abort(c, msg);
        }
    }
    free(c->key);
    c->key = xmemdup(k, len);
    return 1;
}

static int fvj_on_end_map(void *ctx)
{
    fvj_ctx *c = ctx;
    fv **slot = c->stack[--c->depth].slot;
    fv *m = *slot;
    /* {"$base64": "..."} alone stands for a string of arbitrary bytes. */
    if (m->n == 1 && strcmp(m->keys[0], "$base64") == 0 && m->items[0]->kind == FV_STR) {
        strbuf bytes = STRBUF_INIT;
        if (fvj_base64_decode(m->items[0]->str, m->items[0]->len, &bytes) < 0) {
            sb_release(&bytes);
            return fvj_abort(c, "bad $base64 value");
        }
        *slot = fv_str(bytes.buf, bytes.len);
        sb_release(&bytes);
        fv_free(m);
    }
    return 1;
}

static int fvj_on_end_array(void *ctx)
{
    fvj_ctx *c = ctx;
    c->depth--;
    return 1;
}

static const yajl_callbacks fvj_callbacks = {
    .yajl_null = fvj_on_null,
    .yajl_boolean = fvj_on_bool,
    .yajl_number = fvj_on_number,
    .yajl_string = fvj_on_string,
    .yajl_start_map = fvj_on_start_map,
    .yajl_map_key = fvj_on_map_key,
    .yajl_end_map = fvj_on_end_map,
    .yajl_start_array = fvj_on_start_array,
    .yajl_end_array = fvj_on_end_array,
};

/* yajl's own message, made one line, with the byte offset at. */
static void fvj_yajl_error(yajl_handle h, const char *json, size_t len, size_t at, strbuf *err)
{
    unsigned char *msg = yajl_get_error(h, 0, (const unsigned char *)json, len);
    const char *m = msg ? (const char *)msg : "parse error";
    size_t mlen = strcspn(m, "\n");
    while (mlen > 0 && (m[mlen - 1] == ' ' || m[mlen - 1] == '.'))
        mlen--;
    sb_add(err, m, mlen);
    sb_addf(err, " at byte %zu", at);
    if (msg)
        yajl_free_error(h, msg);
}

fv *fvj_parse(const char *json, size_t len, strbuf *err)
{
    fvj_ctx c = {.err = err};
    yajl_handle h = yajl_alloc(&fvj_callbacks, NULL, &c);
    if (!h) {
        sb_adds(err, "cannot parse JSON: out of memory");
        return NULL;
    }
    yajl_status st = yajl_parse(h, (const unsigned char *)json, len);
    /* yajl counts bytes per parse call: after the whole text went through
     * yajl_parse, an error of yajl_complete_parse (a document cut short)
     * sits at the end of the text, not at what that empty call consumed. */
    size_t at = st == yajl_status_ok ? len : yajl_get_bytes_consumed(h);
    if (st == yajl_status_ok)
        st = yajl_complete_parse(h);
    if (st != yajl_status_ok || !c.root) {
        if (c.failed)
            sb_addf(err, " at byte %zu", at);
        else
            fvj_yajl_error(h, json, len, at, err);
        yajl_free(h);
        free(c.key);
        fv_free(c.root);
        return NULL;
    }
    yajl_free(h);
    free(c.key);
    return c.root;
}

/* dkstream.c -- Docker's JSON message stream, parsed as it arrives.
 *
 * yajl parses the bytes incrementally; the callbacks keep just enough state
 * to pick out the fields of interest (stream, status, error,
 * errorDetail.message, aux.ID, id, aux as a string) and to know where each top-level object
 * starts and ends, so its exact bytes can be handed on. */
#include "dkstream.h"

#include "mem.h"

#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

/* The fields of dk_msg, in the order of this enum. */
enum { F_STREAM, F_STATUS, F_ERROR, F_ERRMSG, F_AUXID, F_ID, F_AUX, F_COUNT };

/* The top-level key the parser is in (depth 1), and the nested one (depth 2). */
enum { K_OTHER, K_STREAM, K_STATUS, K_ERROR, K_ERRDETAIL, K_AUX, K_ID };
enum { K2_OTHER, K2_MESSAGE, K2_ID };

struct dks {
    yajl_handle h;
    dk_msg_fn on_msg;
    void *ud;
    int depth;
    int key1, key2;
    /* The chunk being parsed and where the current object starts in it:
     * the object's bytes are copied to raw at its end or at the chunk's. */
    const char *chunk;
    size_t obj_start;
    int in_obj;
    int seen;   /* any non-blank byte fed */
    int failed; /* a parse error happened: every later call fails */
    strbuf raw;
    strbuf field[F_COUNT];
    int has[F_COUNT];
    size_t count;
    size_t limit; /* the largest object accepted */
    strbuf why;   /* our own reason for cancelling the parse */
};

static void dks_set_why(dks *s, const char *what)
{
    sb_reset(&s->why);
    sb_adds(&s->why, what);
}

/* Any value outside an object: Docker only ever sends objects. */
static int dks_top_value(dks *s, const char *what)
{
    if (s->depth > 0)
        return 1;
    sb_reset(&s->why);
    sb_addf(&s->why, "expected a JSON object, got %s", what);
    return 0;
}

static int dks_null(void *ctx)
{
    return dks_top_value(ctx, "null");
}

static int dks_boolean(void *ctx, int v)
{
    (void)v;
    return dks_top_value(ctx, "a boolean");
}

static int dks_number(void *ctx, const char *v, size_t len)
{
    (void)v;
    (void)len;
    return dks_top_value(ctx, "a number");
}

static int dks_string(void *ctx, const unsigned char *v, size_t len)
{
    dks *s = ctx;
    if (!dks_top_value(s, "a string"))
        return 0;
    int f = -1;
    if (s->depth == 1)
        f = s->key1 == K_STREAM   ? F_STREAM
            : s->key1 == K_STATUS ? F_STATUS
            : s->key1 == K_ERROR  ? F_ERROR
            : s->key1 == K_ID     ? F_ID
            : s->key1 == K_AUX    ? F_AUX
                                  : -1;
    else if (s->depth == 2 && s->key1 == K_ERRDETAIL && s->key2 == K2_MESSAGE)
        f = F_ERRMSG;
    else if (s->depth == 2 && s->key1 == K_AUX && s->key2 == K2_ID)
        f = F_AUXID;
    if (f >= 0) {
        sb_reset(&s->field[f]);
        sb_add(&s->field[f], v, len);
        s->has[f] = 1;
    }
    return 1;
}

static int dks_key_is(const unsigned char *k, size_t len, const char *name)
{
    return len == strlen(name) && memcmp(k, name, len) == 0;
}

static int dks_map_key(void *ctx, const unsigned char *k, size_t len)
{
    dks *s = ctx;
    if (s->depth == 1)
        s->key1 = dks_key_is(k, len, "stream")        ? K_STREAM
                  : dks_key_is(k, len, "status")      ? K_STATUS
                  : dks_key_is(k, len, "error")       ? K_ERROR
                  : dks_key_is(k, len, "errorDetail") ? K_ERRDETAIL
                  : dks_key_is(k, len, "aux")         ? K_AUX
                  : dks_key_is(k, len, "id")          ? K_ID
                                                      : K_OTHER;
    else if (s->depth == 2)
        s->key2 = dks_key_is(k, len, "message") ? K2_MESSAGE
                  : dks_key_is(k, len, "ID")    ? K2_ID
                                                : K2_OTHER;
    return 1;
}

static int dks_start_map(void *ctx)
{
    dks *s = ctx;
    if (s->depth == 0) {
        /* The '{' is a one-byte token, so it always lies in the current
         * chunk, just before the parser's position. */
        s->obj_start = yajl_get_bytes_consumed(s->h) - 1;
        s->in_obj = 1;
        sb_reset(&s->raw);
        for (int i = 0; i < F_COUNT; i++)
            s->has[i] = 0;
    }
    s->depth++;
    if (s->depth == 1)
        s->key1 = K_OTHER;
    else if (s->depth == 2)
        s->key2 = K2_OTHER;
    return 1;
}

static const char *dks_get(const dks *s, int f)
{
    return s->has[f] ? s->field[f].buf : NULL;
}

static void dks_too_large(dks *s)
{
    sb_reset(&s->why);
    sb_addf(&s->why, "a message is larger than %zu bytes", s->limit);
}

static void dks_emit(dks *s)
{
    dk_msg m;
    m.json = s->raw.buf;
    m.json_len = s->raw.len;
    m.stream = dks_get(s, F_STREAM);
    m.status = dks_get(s, F_STATUS);
    m.error = dks_get(s, F_ERROR);
    if (!m.error)
        m.error = dks_get(s, F_ERRMSG);
    m.aux_id = dks_get(s, F_AUXID);
    m.id = dks_get(s, F_ID);
    m.aux = dks_get(s, F_AUX);
    s->count++;
    if (s->on_msg)
        s->on_msg(&m, s->ud);
}

static int dks_end_map(void *ctx)
{
    dks *s = ctx;
    s->depth--;
    if (s->depth == 0) {
        /* The '}' was just consumed: the object ends here in this chunk. */
        size_t end = yajl_get_bytes_consumed(s->h);
        sb_add(&s->raw, s->chunk + s->obj_start, end - s->obj_start);
        s->in_obj = 0;
        /* The cap holds however the stream was cut: a message that arrived
         * in one read is refused like one that grew across reads. */
        if (s->raw.len > s->limit) {
            dks_too_large(s);
            return 0;
        }
        dks_emit(s);
    } else if (s->depth == 1) {
        s->key1 = K_OTHER; /* a nested object closed: its key is done */
    }
    return 1;
}

static int dks_start_array(void *ctx)
{
    dks *s = ctx;
    if (!dks_top_value(s, "an array"))
        return 0;
    s->depth++;
    /* Strings inside an array are never one of our fields. */
    if (s->depth == 2)
        s->key2 = K2_OTHER;
    return 1;
}

static int dks_end_array(void *ctx)
{
    dks *s = ctx;
    s->depth--;
    if (s->depth == 1)
        s->key1 = K_OTHER;
    return 1;
}

static const yajl_callbacks dks_callbacks = {
    .yajl_null = dks_null,
    .yajl_boolean = dks_boolean,
    .yajl_number = dks_number, /* numbers as text: no integer/double callbacks */
    .yajl_string = dks_string,
    .yajl_start_map = dks_start_map,
    .yajl_map_key = dks_map_key,
    .yajl_end_map = dks_end_map,
    .yajl_start_array = dks_start_array,
    .yajl_end_array = dks_end_array,
};

dks *dks_new(dk_msg_fn on_msg, void *ud)
{
    dks *s = xcalloc(1, sizeof *s);
    sb_init(&s->raw);
    sb_init(&s->why);
    for (int i = 0; i < F_COUNT; i++)
        sb_init(&s->field[i]);
    s->on_msg = on_msg;
    s->ud = ud;
    s->limit = DKS_MAX_OBJECT;
    s->h = yajl_alloc(&dks_callbacks, NULL, s);
    if (!s->h) {
        free(s);
        return NULL;
    }
    if (!yajl_config(s->h, yajl_allow_multiple_values, 1)) {
        yajl_free(s->h);
        free(s);
        return NULL;
    }
    return s;
}

void dks_free(dks *s)
{
    if (!s)
        return;
    yajl_free(s->h);
    sb_release(&s->raw);
    for (int i = 0; i < F_COUNT; i++)
        sb_release(&s->field[i]);
    sb_release(&s->why);
    free(s);
}

void dks_set_limit(dks *s, size_t max)
{
    s->limit = max;
}

size_t dks_count(const dks *s)
{
    return s->count;
}

/* The reason of a failed parse: ours when a callback cancelled, else
 * yajl's (one line, without its trailing newline). */
static void dks_fail(dks *s, const char *data, size_t len, strbuf *err)
{
    if (!s->failed && s->why.len == 0) {
        unsigned char *e = yajl_get_error(s->h, 0, (const unsigned char *)data, len);
        if (e) {
            size_t n = strlen((char *)e);
            while (n && (e[n - 1] == '\n' || e[n - 1] == ' '))
                n--;
            sb_add(&s->why, e, n);
            yajl_free_error(s->h, e);
        } else {
            dks_set_why(s, "parse error");
        }
    }
    s->failed = 1;
    if (err)
        sb_addf(err, "bad JSON from Docker: %s", s->why.buf);
}

static void dks_note_seen(dks *s, const char *data, size_t len)
{
    for (size_t i = 0; i < len && !s->seen; i++)
        if (!strchr(" \t\r\n", data[i]))
            s->seen = 1;
}

int dks_feed(dks *s, const char *data, size_t len, strbuf *err)
{
    if (s->failed) {
        dks_fail(s, data, len, err);
        return -1;
    }
    if (len == 0)
        return 0;
    dks_note_seen(s, data, len);
    s->chunk = data;
    s->obj_start = 0;
    yajl_status st = yajl_parse(s->h, (const unsigned char *)data, len);
    s->chunk = NULL;
    if (st != yajl_status_ok) {
        dks_fail(s, data, len, err);
        return -1;
    }
    /* The object goes on in the next chunk: keep what we have of it. */
    if (s->in_obj) {
        if (s->raw.len + (len - s->obj_start) > s->limit) {
            dks_too_large(s);
            dks_fail(s, NULL, 0, err);
            return -1;
        }
        sb_add(&s->raw, data + s->obj_start, len - s->obj_start);
    }
    return 0;
}

int dks_finish(dks *s, strbuf *err)
{
    if (s->failed) {
        dks_fail(s, NULL, 0, err);
        return -1;
    }
    if (s->in_obj) {
        dks_set_why(s, "the stream ended inside a message");
        dks_fail(s, NULL, 0, err);
        return -1;
    }
    /* Only blanks so far: an empty stream, which yajl would call premature. */
    if (!s->seen)
        return 0;
    if (yajl_complete_parse(s->h) != yajl_status_ok) {
        dks_fail(s, NULL, 0, err);
        return -1;
    }
    return 0;
}

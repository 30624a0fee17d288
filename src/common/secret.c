/* secret.c -- build secrets in memory, and their frames (secret.h). */
#include "secret.h"

#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sec_wipe(void *p, size_t n)
{
    if (p && n)
        explicit_bzero(p, n);
}

int sec_buf_add(sec_buf *b, const void *data, size_t len)
{
    if (len > SEC_MAX_VALUE || b->len + len > SEC_MAX_VALUE)
        return -1;
    if (b->len + len + 1 > b->cap) {
        /* Not realloc: the old block would keep its bytes once freed. */
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + len + 1)
            cap *= 2;
        char *p = xmalloc(cap);
        if (b->len)
            memcpy(p, b->p, b->len);
        sec_wipe(b->p, b->cap);
        free(b->p);
        b->p = p;
        b->cap = cap;
    }
    if (len)
        memcpy(b->p + b->len, data, len);
    b->len += len;
    b->p[b->len] = '\0';
    return 0;
}

void sec_buf_free(sec_buf *b)
{
    sec_wipe(b->p, b->cap);
    free(b->p);
    memset(b, 0, sizeof *b);
}

int sec_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > SEC_MAX_NAME || name[0] == '.')
        return 0;
    return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

void sec_set_add(sec_set *s, const char *name, sec_buf *val)
{
    ALLOC_GROW(s->items, s->n + 1, s->alloc);
    s->items[s->n].name = xstrdup(name);
    s->items[s->n++].val = *val;
    memset(val, 0, sizeof *val);
}

const sec_item *sec_set_get(const sec_set *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->items[i].name, name) == 0)
            return &s->items[i];
    return NULL;
}

void sec_set_free(sec_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->items[i].name);
        sec_buf_free(&s->items[i].val);
    }
    free(s->items);
    memset(s, 0, sizeof *s);
}

void sec_frame(sec_buf *out, const char *name, const sec_buf *val)
{
    char head[SEC_MAX_NAME + 32];
    int n = snprintf(head, sizeof head, "%s %zu\n", name, val->len);
    /* Names and values were bounded when they were read. */
    if (n > 0 && (size_t)n < sizeof head && sec_buf_add(out, head, (size_t)n) == 0)
        (void)sec_buf_add(out, val->p ? val->p : "", val->len);
}

void sec_frame_end(sec_buf *out)
{
    (void)sec_buf_add(out, ".\n", 2);
}

/* One header line, byte by byte: nothing past the line may be consumed.
 * Returns its length, or -1 (EOF, error, or longer than the buffer). */
static long sec_read_line(sec_read_fn rd, void *ud, char *line, size_t cap)
{
    size_t n = 0;
    for (;;) {
        char c;
        if (rd(ud, &c, 1) != 1 || n + 1 >= cap)
            return -1;
        if (c == '\n')
            break;
        line[n++] = c;
    }
    line[n] = '\0';
    return (long)n;
}

/* "NAME LEN" into name and *len. */
static int sec_parse_head(char *line, char **name, size_t *len)
{
    char *sp = strchr(line, ' ');
    if (!sp || sp[1] < '0' || sp[1] > '9')
        return -1;
    *sp = '\0';
    char *end;
    unsigned long long v = strtoull(sp + 1, &end, 10);
    if (*end || v > SEC_MAX_VALUE || !sec_name_ok(line))
        return -1;
    *name = line;
    *len = (size_t)v;
    return 0;
}

/* Reads exactly len bytes into val. */
static int sec_read_value(sec_read_fn rd, void *ud, size_t len, sec_buf *val)
{
    char chunk[4096];
    while (len > 0) {
        long got = rd(ud, chunk, len < sizeof chunk ? len : sizeof chunk);
        if (got <= 0 || sec_buf_add(val, chunk, (size_t)got) < 0) {
            sec_wipe(chunk, sizeof chunk);
            return -1;
        }
        len -= (size_t)got;
    }
    sec_wipe(chunk, sizeof chunk);
    return 0;
}

int sec_frames_read(sec_read_fn rd, void *ud, sec_set *s, strbuf *err)
{
    char line[SEC_MAX_NAME + 32];
    for (;;) {
        long n = sec_read_line(rd, ud, line, sizeof line);
        if (n < 0) {
            sb_adds(err, "secrets: the input ended before its end mark");
            return -1;
        }
        if (strcmp(line, ".") == 0)
            return 0;
        char *name;
        size_t len;
        if (sec_parse_head(line, &name, &len) < 0) {
            sb_adds(err, "secrets: a frame header is not NAME LENGTH");
            return -1;
        }
        if (sec_set_get(s, name)) {
            sb_addf(err, "secrets: %s comes twice", name);
            return -1;
        }
        sec_buf val = {0};
        if (sec_read_value(rd, ud, len, &val) < 0) {
            sec_buf_free(&val);
            sb_addf(err, "secrets: the value of %s is cut short", name);
            return -1;
        }
        sec_set_add(s, name, &val);
    }
}

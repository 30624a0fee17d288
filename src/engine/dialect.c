/* dialect.c -- what every dialect shares: terminal escapes removed, lines
 * cut out of stream text. */
#include "dialect.h"

#include "mem.h"

#include <stdlib.h>
#include <string.h>

/* The end of the escape sequence starting at s (s[0] == ESC). */
static const char *dl_escape_end(const char *s)
{
    const char *p = s + 1;
    if (*p == '[') {
        /* CSI: parameter bytes, intermediate bytes, one final byte. */
        p++;
        while (*p >= 0x30 && *p <= 0x3f)
            p++;
        while (*p >= 0x20 && *p <= 0x2f)
            p++;
        return *p >= 0x40 && *p <= 0x7e ? p + 1 : p;
    }
    if (*p == ']') {
        /* OSC: up to BEL or ST (ESC \). */
        for (p++; *p; p++) {
            if (*p == '\a')
                return p + 1;
            if (p[0] == '\033' && p[1] == '\\')
                return p + 2;
        }
        return p;
    }
    /* nF and Fe: intermediate bytes, then one final byte ("\033(B"). */
    while (*p >= 0x20 && *p <= 0x2f)
        p++;
    return *p ? p + 1 : p;
}

void dl_strip_escapes(char *s)
{
    char *w = s;
    for (const char *r = s; *r;) {
        if (*r == '\033') {
            r = dl_escape_end(r);
            continue;
        }
        *w++ = *r++;
    }
    *w = '\0';
}

const char *dl_after(const char *s, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

void dl_clean(strbuf *b, const char *s)
{
    sb_reset(b);
    sb_adds(b, s);
    dl_strip_escapes(b->buf);
    sb_setlen(b, strlen(b->buf));
    if (b->len && b->buf[b->len - 1] == '\r')
        sb_setlen(b, b->len - 1);
}

void dl_first_line(strbuf *b, const char *msg)
{
    dl_clean(b, msg + strspn(msg, " \r\n"));
    sb_setlen(b, strcspn(b->buf, "\r\n"));
    sb_rtrim(b);
}

void dl_lines(strbuf *pending, const char *text, void (*line)(void *ud, const char *raw), void *ud)
{
    sb_adds(pending, text);
    char *nl;
    while ((nl = memchr(pending->buf, '\n', pending->len)) != NULL) {
        *nl = '\0';
        line(ud, pending->buf);
        sb_consume(pending, (size_t)(nl - pending->buf) + 1);
    }
}

void *dl_text_new(size_t size, dk_event_fn fn, void *ud)
{
    dl_text *t = xcalloc(1, size);
    t->fn = fn;
    t->ud = ud;
    sb_init(&t->pending);
    sb_init(&t->line);
    return t;
}

void dl_text_free(void *st)
{
    dl_text *t = st;
    if (!t)
        return;
    sb_release(&t->pending);
    sb_release(&t->line);
    free(t);
}

void dl_emit(dl_text *t, dk_ev_kind kind, const char *text, int code, const char *raw,
             const char *line)
{
    dk_event e = {.kind = kind,
                  .step = t->step,
                  .nsteps = t->nsteps,
                  .text = text,
                  .code = code,
                  .raw = raw,
                  .line = line};
    t->fn(&e, t->ud);
}

void dl_status(dl_text *t, const char *status)
{
    strbuf raw = STRBUF_INIT;
    for (const char *p = status;; p++) {
        size_t n = strcspn(p, "\n");
        sb_reset(&raw);
        sb_add(&raw, p, n);
        dl_clean(&t->line, raw.buf);
        dl_emit(t, DK_EV_NOTE, t->line.buf, -1, raw.buf, t->line.buf);
        p += n;
        if (!*p)
            break;
    }
    sb_release(&raw);
}

void dl_error(dl_text *t, const char *msg, int code)
{
    if (t->failed)
        return;
    t->failed = 1;
    strbuf first = STRBUF_INIT;
    dl_first_line(&first, msg);
    dl_emit(t, DK_EV_ERROR, first.buf, code, NULL, NULL);
    sb_release(&first);
}

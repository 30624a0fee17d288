/* dl_classic.c -- the dialect of Docker's classic builder (POST /build
 * without version=2).
 *
 * It speaks in the "stream" text of its JSON messages, split anywhere:
 *   Step 3/6 : RUN ["/.fuse/fuse-apply", ...]    an instruction begins
 *    ---> Running in 0123 / ---> Using cache     bookkeeping
 *   <the command's output, stderr in \033[91m>   the step's output
 *   Removing intermediate container 0123         bookkeeping
 *   Successfully built 0123456789ab              the image
 *   Successfully tagged x:1                      bookkeeping
 * and ends a failed RUN with {"error": "The command '...' returned a
 * non-zero code: 1"}; the image's full ID comes as {"aux":{"ID":...}}. */
#include "dialect.h"

#include "mem.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct dlc_state {
    dk_event_fn fn;
    void *ud;
    strbuf pending; /* stream text after the last newline */
    strbuf line;    /* the current line, escapes removed */
    long step, nsteps;
    int failed; /* an error was reported */
    int aux_id; /* a full image ID came in a JSON field */
} dlc_state;

static void *dlc_open(dk_event_fn fn, void *ud)
{
    dlc_state *s = xcalloc(1, sizeof *s);
    s->fn = fn;
    s->ud = ud;
    sb_init(&s->pending);
    sb_init(&s->line);
    return s;
}

static void dlc_close(void *st)
{
    dlc_state *s = st;
    if (!s)
        return;
    sb_release(&s->pending);
    sb_release(&s->line);
    free(s);
}

static void dlc_emit(dlc_state *s, dk_ev_kind kind, const char *text, int code, const char *raw,
                     const char *line)
{
    dk_event e = {.kind = kind,
                  .step = s->step,
                  .nsteps = s->nsteps,
                  .text = text,
                  .code = code,
                  .raw = raw,
                  .line = line};
    s->fn(&e, s->ud);
}

static const char *dlc_after(const char *s, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

/* The builder's own lines; everything else a step prints is its output. */
static int dlc_bookkeeping(const char *s)
{
    return dlc_after(s, " ---> ") || dlc_after(s, "Removing intermediate") ||
           dlc_after(s, "Successfully tagged ");
}

/* "Step N/M : INSTRUCTION": 1 with the step set, else 0. */
static int dlc_step(dlc_state *s, const char *l, const char **instr)
{
    long n, m;
    int off = 0;
    if (sscanf(l, "Step %ld/%ld :%n", &n, &m, &off) != 2 || off == 0 || n < 1 || m < n)
        return 0;
    s->step = n;
    s->nsteps = m;
    *instr = l[off] == ' ' ? l + off + 1 : l + off;
    return 1;
}

/* b = s without terminal escapes, and without a trailing CR (the line
 * ended in CRLF). */
static void dlc_clean(strbuf *b, const char *s)
{
    sb_reset(b);
    sb_adds(b, s);
    dl_strip_escapes(b->buf);
    sb_setlen(b, strlen(b->buf));
    if (b->len && b->buf[b->len - 1] == '\r')
        sb_setlen(b, b->len - 1);
}

/* One complete line of stream text, raw as sent, without its newline. */
static void dlc_line(dlc_state *s, const char *raw)
{
    dlc_clean(&s->line, raw);
    const char *l = s->line.buf, *v;
    if (dlc_step(s, l, &v))
        dlc_emit(s, DK_EV_STEP, v, -1, raw, l);
    else if ((v = dlc_after(l, "Successfully built ")) != NULL)
        /* The short ID of the same image, for an engine too old to send
         * aux.ID; after a full ID it would only hide it. */
        dlc_emit(s, s->aux_id ? DK_EV_NOTE : DK_EV_IMAGE, s->aux_id ? l : v, -1, raw, l);
    else
        dlc_emit(s, dlc_bookkeeping(l) ? DK_EV_NOTE : DK_EV_OUTPUT, l, -1, raw, l);
}

static void dlc_stream(dlc_state *s, const char *text)
{
    sb_adds(&s->pending, text);
    char *nl;
    while ((nl = memchr(s->pending.buf, '\n', s->pending.len)) != NULL) {
        *nl = '\0';
        dlc_line(s, s->pending.buf);
        sb_consume(&s->pending, (size_t)(nl - s->pending.buf) + 1);
    }
}

/* "The command '...' returned a non-zero code: 1" -> 1, else -1. */
static int dlc_exit_code(const char *msg)
{
    static const char mark[] = "' returned a non-zero code: ";
    const char *at = strstr(msg, mark);
    if (!dlc_after(msg, "The command '") || !at)
        return -1;
    char *end;
    long code = strtol(at + strlen(mark), &end, 10);
    return end != at + strlen(mark) && code >= 0 && code <= 255 ? (int)code : -1;
}

/* The first line of msg, trimmed, without escapes: an event's text is one
 * line whatever the engine put in a JSON field. */
static void dlc_first_line(strbuf *b, const char *msg)
{
    dlc_clean(b, msg + strspn(msg, " \r\n"));
    sb_setlen(b, strcspn(b->buf, "\r\n"));
    sb_rtrim(b);
}

static void dlc_error(dlc_state *s, const char *msg)
{
    if (s->failed)
        return;
    s->failed = 1;
    strbuf t = STRBUF_INIT;
    dlc_first_line(&t, msg);
    dlc_emit(s, DK_EV_ERROR, t.buf, dlc_exit_code(msg), NULL, NULL);
    sb_release(&t);
}

/* A pull's progress ("Pulling fs layer"): one note per line. */
static void dlc_status(dlc_state *s, const char *status)
{
    strbuf raw = STRBUF_INIT;
    for (const char *p = status;; p++) {
        size_t n = strcspn(p, "\n");
        sb_reset(&raw);
        sb_add(&raw, p, n);
        dlc_clean(&s->line, raw.buf);
        dlc_emit(s, DK_EV_NOTE, s->line.buf, -1, raw.buf, s->line.buf);
        p += n;
        if (!*p)
            break;
    }
    sb_release(&raw);
}

static void dlc_message(void *st, const dk_msg *m)
{
    dlc_state *s = st;
    if (m->stream)
        dlc_stream(s, m->stream);
    if (m->status)
        dlc_status(s, m->status);
    if (m->aux_id) {
        s->aux_id = 1;
        dlc_first_line(&s->line, m->aux_id);
        dlc_emit(s, DK_EV_IMAGE, s->line.buf, -1, NULL, NULL);
    }
    if (m->error)
        dlc_error(s, m->error);
}

static void dlc_finish(void *st)
{
    dlc_state *s = st;
    if (s->pending.len)
        dlc_stream(s, "\n");
}

const dl_dialect dl_classic = {"classic", dlc_open, dlc_message, dlc_finish, dlc_close, NULL};

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

#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct dlc_state {
    dl_text t;  /* first: the shared part */
    int aux_id; /* a full image ID came in a JSON field */
} dlc_state;

static void *dlc_open(dk_event_fn fn, void *ud)
{
    return dl_text_new(sizeof(dlc_state), fn, ud);
}

/* The builder's own lines; everything else a step prints is its output. */
static int dlc_bookkeeping(const char *s)
{
    return dl_after(s, " ---> ") || dl_after(s, "Removing intermediate") ||
           dl_after(s, "Successfully tagged ");
}

/* "Step N/M : INSTRUCTION": 1 with the step set, else 0. */
static int dlc_step(dlc_state *s, const char *l, const char **instr)
{
    long n, m;
    int off = 0;
    if (sscanf(l, "Step %ld/%ld :%n", &n, &m, &off) != 2 || off == 0 || n < 1 || m < n)
        return 0;
    s->t.step = n;
    s->t.nsteps = m;
    *instr = l[off] == ' ' ? l + off + 1 : l + off;
    return 1;
}

/* One complete line of stream text, raw as sent, without its newline. */
static void dlc_line(dlc_state *s, const char *raw)
{
    dl_clean(&s->t.line, raw);
    const char *l = s->t.line.buf, *v;
    if (dlc_step(s, l, &v))
        dl_emit(&s->t, DK_EV_STEP, v, -1, raw, l);
    else if ((v = dl_after(l, "Successfully built ")) != NULL)
        /* The short ID of the same image, for an engine too old to send
         * aux.ID; after a full ID it would only hide it. */
        dl_emit(&s->t, s->aux_id ? DK_EV_NOTE : DK_EV_IMAGE, s->aux_id ? l : v, -1, raw, l);
    else if ((v = dl_after(l, " ---> ")) != NULL && strspn(v, "0123456789abcdef") >= 12 &&
             v[strspn(v, "0123456789abcdef")] == '\0')
        dl_emit(&s->t, DK_EV_LAYER, v, -1, raw, l); /* not "Running in", "Using cache" */
    else
        dl_emit(&s->t, dlc_bookkeeping(l) ? DK_EV_NOTE : DK_EV_OUTPUT, l, -1, raw, l);
}

static void dlc_line_cb(void *st, const char *raw)
{
    dlc_line(st, raw);
}

static void dlc_stream(dlc_state *s, const char *text)
{
    dl_lines(&s->t.pending, text, dlc_line_cb, s);
}

/* "The command '...' returned a non-zero code: 1" -> 1, else -1. */
static int dlc_exit_code(const char *msg)
{
    static const char mark[] = "' returned a non-zero code: ";
    const char *at = strstr(msg, mark);
    if (!dl_after(msg, "The command '") || !at)
        return -1;
    char *end;
    long code = strtol(at + strlen(mark), &end, 10);
    return end != at + strlen(mark) && code >= 0 && code <= 255 ? (int)code : -1;
}

static void dlc_message(void *st, const dk_msg *m)
{
    dlc_state *s = st;
    if (m->stream)
        dlc_stream(s, m->stream);
    if (m->status)
        dl_status(&s->t, m->status);
    if (m->aux_id) {
        s->aux_id = 1;
        dl_first_line(&s->t.line, m->aux_id);
        dl_emit(&s->t, DK_EV_IMAGE, s->t.line.buf, -1, NULL, NULL);
    }
    if (m->error)
        dl_error(&s->t, m->error, dlc_exit_code(m->error));
}

static void dlc_finish(void *st)
{
    dlc_state *s = st;
    if (s->t.pending.len)
        dlc_stream(s, "\n");
}

const dl_dialect dl_classic = {"classic", dlc_open, dlc_message, dlc_finish, dl_text_free, NULL};

/* dl_podman.c -- the dialect of Podman's Docker-compatible POST /build
 * (`podman system service`), which runs buildah and passes on its words in
 * the "stream" text of Docker's JSON messages:
 *   STEP 3/7: RUN ["/.fuse/fuse-apply", ...]   an instruction begins
 *   [2/2] STEP 1/4: FROM busybox               the same in a multi-stage build
 *   <the command's output>                     the step's output
 *   --> Using cache 0123... / --> 0123abc       bookkeeping
 *   COMMIT docker.io/library/x:1               bookkeeping: the last stage ends
 *   Successfully tagged docker.io/library/x:1  bookkeeping
 *   0123...(64 hex digits)                     the image's full ID, after COMMIT
 * ends a failed step with {"error": "building at STEP \"RUN ...\": while
 * running runtime: exit status 1"}, and sends {"aux":{"ID":...}} and
 * "Successfully built 0123" as Docker does.
 *
 * buildah numbers the steps of each stage from 1 ("[2/2] STEP 1/4"); Docker
 * and the Dockerfile's step map number them across stages: stage k's step n
 * is n after every step of the stages before it. The total is known only in
 * the last stage (nsteps 0 before). buildah may skip a stage nothing copies
 * from; fuse's stages are all copied from, so none is skipped. */
#include "dialect.h"

#include "strbuf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct dlp_state {
    dl_text t;       /* first: the shared part */
    strbuf id;       /* "sha256:" and a bare ID line */
    long stage;      /* the current stage, 1-based; 0 before the first step */
    long stage_base; /* steps of the stages before it */
    long stage_len;  /* the current stage's step count */
    int committed;   /* COMMIT came: a bare ID line is the image's */
} dlp_state;

static void *dlp_open(dk_event_fn fn, void *ud)
{
    dlp_state *s = dl_text_new(sizeof *s, fn, ud);
    sb_init(&s->id);
    return s;
}

static void dlp_close(void *st)
{
    dlp_state *s = st;
    if (s)
        sb_release(&s->id);
    dl_text_free(s);
}

/* "[k/K] " before a multi-stage build's steps: k and K, and *rest after it;
 * 1/1 with *rest = l when there is none. 0 when it is malformed. */
static int dlp_stage(const char *l, long *k, long *total, const char **rest)
{
    *k = *total = 1;
    *rest = l;
    if (*l != '[')
        return 1;
    int off = 0;
    if (sscanf(l, "[%ld/%ld] %n", k, total, &off) != 2 || off == 0 || *k < 1 || *total < *k)
        return 0;
    *rest = l + off;
    return 1;
}

/* "[k/K] STEP n/m: INSTRUCTION": 1 with the step set, else 0. */
static int dlp_step(dlp_state *s, const char *l, const char **instr)
{
    long k, total, n, m;
    const char *p;
    int off = 0;
    if (!dlp_stage(l, &k, &total, &p) || !dl_after(p, "STEP ") ||
        sscanf(p, "STEP %ld/%ld:%n", &n, &m, &off) != 2 || off == 0 || n < 1 || m < n ||
        k < s->stage)
        return 0;
    if (k != s->stage) {
        s->stage_base += s->stage_len;
        s->stage = k;
        s->committed = 0;
    }
    s->stage_len = m;
    s->t.step = s->stage_base + n;
    s->t.nsteps = k == total ? s->stage_base + m : 0;
    *instr = p[off] == ' ' ? p + off + 1 : p + off;
    return 1;
}

/* l is 64 hex digits: an image ID as buildah prints it. */
static int dlp_bare_id(const char *l)
{
    size_t n = 0;
    while (isxdigit((unsigned char)l[n]) && !isupper((unsigned char)l[n]))
        n++;
    return n == 64 && !l[n];
}

/* buildah's own lines; everything else a step prints is its output. */
static int dlp_bookkeeping(const char *l)
{
    return dl_after(l, "--> ") || dl_after(l, "Successfully tagged ") ||
           dl_after(l, "Successfully built ");
}

/* One complete line of stream text, raw as sent, without its newline. */
static void dlp_line(void *st, const char *raw)
{
    dlp_state *s = st;
    dl_clean(&s->t.line, raw);
    const char *l = s->t.line.buf, *v;
    if (dlp_step(s, l, &v)) {
        dl_emit(&s->t, DK_EV_STEP, v, -1, raw, l);
    } else if (strcmp(l, "COMMIT") == 0 || dl_after(l, "COMMIT ")) {
        s->committed = 1;
        dl_emit(&s->t, DK_EV_NOTE, l, -1, raw, l);
    } else if (s->committed && dlp_bare_id(l)) {
        sb_reset(&s->id);
        sb_addf(&s->id, "sha256:%s", l);
        dl_emit(&s->t, DK_EV_IMAGE, s->id.buf, -1, raw, l);
    } else {
        dl_emit(&s->t, dlp_bookkeeping(l) ? DK_EV_NOTE : DK_EV_OUTPUT, l, -1, raw, l);
    }
}

/* "building at STEP \"...\": while running runtime: exit status 1" -> 1,
 * else -1. The number ends the message's first line. */
static int dlp_exit_code(const char *msg)
{
    static const char mark[] = "exit status ";
    size_t len = strcspn(msg, "\r\n");
    const char *at = NULL;
    for (const char *p = strstr(msg, mark); p && (size_t)(p - msg) < len; p = strstr(p + 1, mark))
        at = p + strlen(mark);
    if (!at || !strstr(msg, "building at STEP"))
        return -1;
    char *end;
    long code = strtol(at, &end, 10);
    return end != at && (size_t)(end - msg) == len && code >= 0 && code <= 255 ? (int)code : -1;
}

static void dlp_message(void *st, const dk_msg *m)
{
    dlp_state *s = st;
    if (m->stream)
        dl_lines(&s->t.pending, m->stream, dlp_line, s);
    if (m->status)
        dl_status(&s->t, m->status);
    if (m->aux_id) {
        dl_first_line(&s->t.line, m->aux_id);
        dl_emit(&s->t, DK_EV_IMAGE, s->t.line.buf, -1, NULL, NULL);
    }
    if (m->error)
        dl_error(&s->t, m->error, dlp_exit_code(m->error));
}

static void dlp_finish(void *st)
{
    dlp_state *s = st;
    if (s->t.pending.len)
        dl_lines(&s->t.pending, "\n", dlp_line, s);
}

const dl_dialect dl_podman = {"podman", dlp_open, dlp_message, dlp_finish, dlp_close, NULL};

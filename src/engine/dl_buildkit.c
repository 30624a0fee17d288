/* dl_buildkit.c -- the dialect of Docker's BuildKit builder (POST
 * /build?version=2).
 *
 * BuildKit speaks in trace messages ({"id":"moby.buildkit.trace","aux":
 * base64 StatusResponse}, decoded by bktrace.c) about vertexes: one per
 * FROM, COPY, ADD, RUN and WORKDIR, named "[2/5] RUN [...]" (the index
 * within its stage, space-padded to the width of the count, after the
 * stage's name in a multi-stage build: "[stage-0 2/5]", "[art 1/3]"), plus
 * "[internal] ..." ones of its own. Each vertex is started, completed,
 * cached, or fails with an error text ending "exit code: N"; its output
 * comes as logs (fd 1 and 2) in pieces of any size. The image comes as
 * {"id":"moby.image.id","aux":{"ID":"sha256:..."}}, and a failed build
 * ends with {"error":...} (no exit code in it).
 *
 * The events are the classic dialect's: a step is the instruction's number
 * in the whole Dockerfile, as the classic builder counts ("Step 7/12"), so
 * the build maps it to its resource the same way. The dialect reads the
 * Dockerfile (plan()) to turn a stage's index into that number. Vertexes
 * of parallel stages interleave: each keeps its own output, and a failing
 * one is announced again with its output before the error, so the error
 * report holds that step's output and no other's. */
#include "dialect.h"

#include "bktrace.h"
#include "fvjson.h"
#include "mem.h"
#include "strbuf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Output kept per vertex for the failure report: the tail explains. */
#define DLB_OUT_KEEP (64 * 1024)

typedef struct dlb_stage {
    char *name;  /* "AS name", lowercased as BuildKit does; "" when none */
    char *image; /* the FROM's image, lowercased, in short form (dlb_short) */
    long from;   /* the FROM's Dockerfile-wide step */
    long *steps; /* the Dockerfile-wide step of each vertex-making instruction */
    size_t n, alloc;
} dlb_stage;

typedef struct dlb_vertex {
    char *digest;
    long num;       /* "#N" for -v, in the order vertexes were first seen */
    long step;      /* the Dockerfile-wide step, 0 when none (internal) */
    int announced;  /* a STEP (or note) was sent */
    int done;       /* completed, cached or failed */
    strbuf pending; /* log text after the last newline */
    strbuf out;     /* the output so far (tail), for the error report */
} dlb_vertex;

typedef struct dlb_state {
    dk_event_fn fn;
    void *ud;
    dlb_stage *stages;
    size_t nstages, stages_alloc;
    long nsteps; /* instructions in the Dockerfile */
    dlb_vertex *vs;
    size_t nv, vs_alloc;
    long step; /* the last announced step */
    int failed;
    strbuf line, raw, bin, tmp;
} dlb_state;

static void *dlb_open(dk_event_fn fn, void *ud)
{
    dlb_state *s = xcalloc(1, sizeof *s);
    s->fn = fn;
    s->ud = ud;
    sb_init(&s->line);
    sb_init(&s->raw);
    sb_init(&s->bin);
    sb_init(&s->tmp);
    return s;
}

static void dlb_close(void *st)
{
    dlb_state *s = st;
    if (!s)
        return;
    for (size_t i = 0; i < s->nstages; i++) {
        free(s->stages[i].name);
        free(s->stages[i].image);
        free(s->stages[i].steps);
    }
    free(s->stages);
    for (size_t i = 0; i < s->nv; i++) {
        free(s->vs[i].digest);
        sb_release(&s->vs[i].pending);
        sb_release(&s->vs[i].out);
    }
    free(s->vs);
    sb_release(&s->line);
    sb_release(&s->raw);
    sb_release(&s->bin);
    sb_release(&s->tmp);
    free(s);
}

/* ---- the plan: which vertex is which Dockerfile step ---- */

/* The next word of *p (blank-separated), lowercased into w. */
static int dlb_word(const char **p, strbuf *w)
{
    const char *s = *p + strspn(*p, " \t");
    size_t n = strcspn(s, " \t");
    sb_reset(w);
    for (size_t i = 0; i < n; i++)
        sb_addc(w, (char)tolower((unsigned char)s[i]));
    *p = s + n;
    return n > 0;
}

/* An image reference as the Dockerfile may spell it: BuildKit names
 * "busybox" docker.io/library/busybox:latest in its vertexes. */
static void dlb_short(strbuf *ref)
{
    static const char *const pre[] = {"docker.io/", "library/"};
    for (size_t i = 0; i < 2; i++)
        if (strncmp(ref->buf, pre[i], strlen(pre[i])) == 0)
            sb_consume(ref, strlen(pre[i]));
    const char *slash = strrchr(ref->buf, '/');
    const char *colon = strrchr(slash ? slash : ref->buf, ':');
    if (colon && strcmp(colon, ":latest") == 0)
        sb_setlen(ref, (size_t)(colon - ref->buf));
}

/* "[internal] load metadata for REF": the FROM of the stage on REF, so a
 * base that cannot be had is reported at that step; 0 for none. */
static long dlb_metadata_step(dlb_state *s, const char *name)
{
    static const char mark[] = "[internal] load metadata for ";
    if (strncmp(name, mark, strlen(mark)) != 0)
        return 0;
    strbuf ref = STRBUF_INIT;
    sb_adds(&ref, name + strlen(mark));
    for (size_t i = 0; i < ref.len; i++)
        ref.buf[i] = (char)tolower((unsigned char)ref.buf[i]);
    dlb_short(&ref);
    long step = 0;
    for (size_t i = 0; i < s->nstages && !step; i++)
        if (strcmp(s->stages[i].image, ref.buf) == 0)
            step = s->stages[i].from;
    sb_release(&ref);
    return step;
}

static dlb_stage *dlb_find_stage(dlb_state *s, const char *name)
{
    for (size_t i = 0; *name && i < s->nstages; i++)
        if (strcmp(s->stages[i].name, name) == 0)
            return &s->stages[i];
    return NULL;
}

static void dlb_stage_add(dlb_stage *st, long step)
{
    ALLOC_GROW(st->steps, st->n + 1, st->alloc);
    st->steps[st->n++] = step;
}

/* "FROM [--platform=P] IMAGE [AS NAME]": a new stage. Its FROM makes a
 * vertex unless the base is scratch or an earlier stage. */
static void dlb_plan_from(dlb_state *s, const char *args, long step)
{
    strbuf img = STRBUF_INIT, w = STRBUF_INIT;
    while (dlb_word(&args, &img) && strncmp(img.buf, "--", 2) == 0)
        ;
    int base_is_stage = dlb_find_stage(s, img.buf) != NULL;
    ALLOC_GROW(s->stages, s->nstages + 1, s->stages_alloc);
    dlb_stage *st = &s->stages[s->nstages++];
    memset(st, 0, sizeof *st);
    st->name = xstrdup(
        dlb_word(&args, &w) && strcmp(w.buf, "as") == 0 && dlb_word(&args, &w) ? w.buf : "");
    dlb_short(&img);
    st->image = xstrdup(img.buf);
    st->from = step;
    if (strcmp(img.buf, "scratch") != 0 && !base_is_stage)
        dlb_stage_add(st, step);
    sb_release(&img);
    sb_release(&w);
}

/* One instruction of the Dockerfile, continuation lines joined. */
static void dlb_plan_instr(dlb_state *s, const char *text)
{
    strbuf kw = STRBUF_INIT;
    const char *args = text;
    if (!dlb_word(&args, &kw)) {
        sb_release(&kw);
        return;
    }
    long step = ++s->nsteps;
    if (strcmp(kw.buf, "from") == 0)
        dlb_plan_from(s, args, step);
    else if (s->nstages && (strcmp(kw.buf, "run") == 0 || strcmp(kw.buf, "copy") == 0 ||
                            strcmp(kw.buf, "add") == 0 || strcmp(kw.buf, "workdir") == 0))
        dlb_stage_add(&s->stages[s->nstages - 1], step);
    sb_release(&kw);
}

/* Reads the Dockerfile as BuildKit's parser does for counting: blank lines
 * and comments are no instruction, a line ending in a backslash goes on. */
static void dlb_plan(void *st, const char *dockerfile)
{
    dlb_state *s = st;
    strbuf instr = STRBUF_INIT;
    for (const char *l = dockerfile; l && *l;) {
        size_t n = strcspn(l, "\n");
        const char *t = l + strspn(l, " \t");
        size_t tn = n - (size_t)(t - l);
        while (tn && (t[tn - 1] == '\r' || t[tn - 1] == ' ' || t[tn - 1] == '\t'))
            tn--;
        int comment = tn && *t == '#';
        if (!comment && tn && t[tn - 1] == '\\') {
            sb_add(&instr, t, tn - 1);
            sb_addc(&instr, ' ');
        } else if (!comment) {
            sb_add(&instr, t, tn);
            dlb_plan_instr(s, instr.buf);
            sb_reset(&instr);
        }
        l += n + (l[n] == '\n');
    }
    if (instr.len)
        dlb_plan_instr(s, instr.buf);
    sb_release(&instr);
}

/* "[NAME K/N] TEXT" -> the Dockerfile-wide step, *text at TEXT; 0 when the
 * name is not a step of the plan ("[internal] load ..."). */
static long dlb_step_of(dlb_state *s, const char *name, const char **text)
{
    const char *close = name[0] == '[' ? strchr(name, ']') : NULL;
    if (!close)
        return 0;
    strbuf in = STRBUF_INIT;
    sb_add(&in, name + 1, (size_t)(close - name - 1));
    sb_rtrim(&in);
    char *slash = strrchr(in.buf, '/'), *sp = strrchr(in.buf, ' ');
    char *num = sp ? sp + 1 : in.buf, *end;
    long k = 0, n = 0;
    if (slash && slash > num) {
        k = strtol(num, &end, 10);
        n = end == slash ? strtol(slash + 1, &end, 10) : 0;
        n = *end ? 0 : n;
    }
    /* The stage's name is the word before the numbers (a platform may come
     * first); none in a one-stage build: the last stage is the target. */
    if (sp)
        *sp = '\0';
    char *sname = sp ? (strrchr(in.buf, ' ') ? strrchr(in.buf, ' ') + 1 : in.buf) : in.buf + in.len;
    for (char *c = sname; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    dlb_stage *st = *sname ? dlb_find_stage(s, sname) : NULL;
    size_t idx;
    if (!st && *sname && sscanf(sname, "stage-%zu", &idx) == 1 && idx < s->nstages)
        st = &s->stages[idx];
    if (!st && !*sname && s->nstages)
        st = &s->stages[s->nstages - 1];
    long step = 0;
    if (st && n == (long)st->n && k >= 1 && k <= n)
        step = st->steps[k - 1];
    sb_release(&in);
    *text = close[1] == ' ' ? close + 2 : close + 1;
    return step;
}

/* ---- events ---- */

/* sb as one line without escapes: a vertex name or a status the engine
 * sends may hold either, and an event's text and line never do. */
static void dlb_one_line(strbuf *sb)
{
    dl_strip_escapes(sb->buf);
    sb_setlen(sb, strlen(sb->buf));
    for (size_t i = 0; i < sb->len; i++)
        if (sb->buf[i] == '\n' || sb->buf[i] == '\r')
            sb->buf[i] = ' ';
}

static void dlb_emit(dlb_state *s, dk_ev_kind kind, long step, const char *text, int code,
                     const char *raw, const char *line)
{
    strbuf t = STRBUF_INIT, l = STRBUF_INIT;
    sb_adds(&t, text);
    dlb_one_line(&t);
    if (line) {
        sb_adds(&l, line);
        dlb_one_line(&l);
    }
    dk_event e = {.kind = kind,
                  .step = step,
                  .nsteps = s->nsteps,
                  .text = t.buf,
                  .code = code,
                  .raw = raw,
                  .line = line ? l.buf : NULL};
    s->fn(&e, s->ud);
    sb_release(&t);
    sb_release(&l);
}

static dlb_vertex *dlb_vertex_get(dlb_state *s, const bkt_str *digest)
{
    for (size_t i = 0; i < s->nv; i++)
        if (strlen(s->vs[i].digest) == digest->len &&
            memcmp(s->vs[i].digest, digest->p, digest->len) == 0)
            return &s->vs[i];
    ALLOC_GROW(s->vs, s->nv + 1, s->vs_alloc);
    dlb_vertex *v = &s->vs[s->nv++];
    memset(v, 0, sizeof *v);
    strbuf d = STRBUF_INIT;
    sb_add(&d, digest->p, digest->len);
    v->digest = sb_detach(&d, NULL);
    v->num = (long)s->nv;
    sb_init(&v->pending);
    sb_init(&v->out);
    return v;
}

/* The n bytes at p as a C string in s->tmp: a protobuf string may hold
 * NULs (dropped) and has no terminator; p may be NULL when n is 0. */
static const char *dlb_cstr(dlb_state *s, const char *p, size_t n)
{
    sb_reset(&s->tmp);
    for (size_t i = 0; i < n; i++)
        if (p[i])
            sb_addc(&s->tmp, p[i]);
    return s->tmp.buf;
}

static void dlb_announce(dlb_state *s, dlb_vertex *v, const bkt_vertex *bv)
{
    if (v->announced)
        return;
    v->announced = 1;
    strbuf name = STRBUF_INIT;
    dl_first_line(&name, dlb_cstr(s, bv->name.p, bv->name.len));
    const char *text = name.buf;
    v->step = dlb_step_of(s, name.buf, &text);
    sb_reset(&s->line);
    sb_addf(&s->line, "#%ld %s", v->num, name.buf);
    if (v->step > 0) {
        s->step = v->step;
        dlb_emit(s, DK_EV_STEP, v->step, text, -1, s->line.buf, s->line.buf);
    } else {
        dlb_emit(s, DK_EV_NOTE, s->step, s->line.buf, -1, s->line.buf, s->line.buf);
        /* Not a step, but its failure is that FROM's. */
        v->step = dlb_metadata_step(s, name.buf);
    }
    sb_release(&name);
}

/* "... exit code: 3" (BuildKit's words for a RUN that failed) -> 3, else -1. */
static int dlb_exit_code(const char *msg)
{
    static const char mark[] = "exit code: ";
    const char *at = NULL;
    for (const char *p = strstr(msg, mark); p; p = strstr(p + 1, mark))
        at = p;
    if (!at)
        return -1;
    char *end;
    long code = strtol(at + strlen(mark), &end, 10);
    return end != at + strlen(mark) && code >= 0 && code <= 255 ? (int)code : -1;
}

/* The build failed at v: it is announced again, with its own output (not
 * shown again: -v showed it as it came), so the report holds v's. */
static void dlb_fail(dlb_state *s, dlb_vertex *v, const bkt_str *err)
{
    strbuf text = STRBUF_INIT, msg = STRBUF_INIT;
    sb_add(&msg, err->p, err->len);
    if (v && v->step > 0) {
        s->step = v->step;
        dlb_emit(s, DK_EV_STEP, v->step, "", -1, NULL, NULL);
        for (const char *l = v->out.buf; *l;) {
            size_t n = strcspn(l, "\n");
            sb_reset(&s->line);
            sb_add(&s->line, l, n);
            dlb_emit(s, DK_EV_OUTPUT, v->step, s->line.buf, -1, NULL, NULL);
            l += n + (l[n] == '\n');
        }
    }
    dl_first_line(&text, msg.buf);
    s->failed = 1;
    dlb_emit(s, DK_EV_ERROR, s->step, text.buf, dlb_exit_code(msg.buf), NULL, NULL);
    sb_release(&text);
    sb_release(&msg);
}

static void dlb_on_vertex(const bkt_vertex *bv, void *ud)
{
    dlb_state *s = ud;
    if (!bv->digest.len)
        return;
    dlb_vertex *v = dlb_vertex_get(s, &bv->digest);
    if (!bv->started && !bv->cached && !bv->completed && !bv->error.len)
        return; /* known, not begun: nothing to say yet */
    dlb_announce(s, v, bv);
    if (v->done)
        return;
    if (bv->error.len) {
        v->done = 1;
        /* A vertex of another stage cancelled by the first failure says
         * so too: the first is the one that explains. */
        if (!s->failed)
            dlb_fail(s, v, &bv->error);
    } else if (bv->cached || bv->completed) {
        v->done = 1;
        sb_reset(&s->line);
        sb_addf(&s->line, "#%ld %s", v->num, bv->cached ? "CACHED" : "DONE");
        dlb_emit(s, DK_EV_NOTE, s->step, s->line.buf, -1, s->line.buf, s->line.buf);
    }
}

/* A pull's or an export's progress: a note once an item completes. */
static void dlb_on_status(const bkt_status *st, void *ud)
{
    dlb_state *s = ud;
    if (!st->completed || !st->id.len)
        return;
    dl_clean(&s->raw, dlb_cstr(s, st->id.p, st->id.len));
    sb_reset(&s->line);
    sb_addf(&s->line, "%s done", s->raw.buf);
    dlb_emit(s, DK_EV_NOTE, s->step, s->line.buf, -1, s->line.buf, s->line.buf);
}

/* One complete line of a vertex's log, raw as sent. */
static void dlb_log_line(dlb_state *s, dlb_vertex *v, const char *raw)
{
    dl_clean(&s->line, raw);
    if (v->step <= 0) {
        dlb_emit(s, DK_EV_NOTE, s->step, s->line.buf, -1, raw, s->line.buf);
        return;
    }
    if (v->out.len > 2 * DLB_OUT_KEEP)
        sb_consume(&v->out, v->out.len - DLB_OUT_KEEP);
    sb_addbuf(&v->out, &s->line);
    sb_addc(&v->out, '\n');
    dlb_emit(s, DK_EV_OUTPUT, v->step, s->line.buf, -1, raw, s->line.buf);
}

static void dlb_on_log(const bkt_log *l, void *ud)
{
    dlb_state *s = ud;
    if (!l->vertex.len)
        return;
    dlb_vertex *v = dlb_vertex_get(s, &l->vertex);
    for (size_t i = 0; i < l->msg.len; i++)
        if (l->msg.p[i])
            sb_addc(&v->pending, l->msg.p[i]);
    char *nl;
    while ((nl = memchr(v->pending.buf, '\n', v->pending.len)) != NULL) {
        *nl = '\0';
        sb_reset(&s->raw);
        sb_adds(&s->raw, v->pending.buf);
        sb_consume(&v->pending, (size_t)(nl - v->pending.buf) + 1);
        dlb_log_line(s, v, s->raw.buf);
    }
}

static void dlb_trace(dlb_state *s, const char *b64)
{
    sb_reset(&s->bin);
    bkt_handler h = {dlb_on_vertex, dlb_on_status, dlb_on_log, s};
    if (fvj_base64_decode(b64, strlen(b64), &s->bin) < 0 ||
        bkt_parse((const unsigned char *)s->bin.buf, s->bin.len, &h) < 0)
        /* A trace fuse cannot read costs only its progress: the build's
         * outcome comes in plain JSON. */
        dlb_emit(s, DK_EV_NOTE, s->step, "(an unreadable BuildKit trace message)", -1, NULL, NULL);
}

static void dlb_message(void *st, const dk_msg *m)
{
    dlb_state *s = st;
    if (m->id && m->aux && strcmp(m->id, "moby.buildkit.trace") == 0)
        dlb_trace(s, m->aux);
    if (m->aux_id) {
        dl_first_line(&s->line, m->aux_id);
        dlb_emit(s, DK_EV_IMAGE, s->step, s->line.buf, -1, NULL, NULL);
    }
    if (m->stream || m->status) {
        const char *t = m->stream ? m->stream : m->status;
        dl_first_line(&s->line, t);
        if (s->line.len)
            dlb_emit(s, DK_EV_NOTE, s->step, s->line.buf, -1, s->line.buf, s->line.buf);
    }
    if (m->error && !s->failed) {
        bkt_str e = {m->error, strlen(m->error)};
        dlb_fail(s, NULL, &e);
    }
}

/* A last log line without its newline is output all the same. */
static void dlb_finish(void *st)
{
    dlb_state *s = st;
    for (size_t i = 0; i < s->nv; i++) {
        dlb_vertex *v = &s->vs[i];
        if (v->pending.len) {
            sb_reset(&s->raw);
            sb_addbuf(&s->raw, &v->pending);
            sb_reset(&v->pending);
            dlb_log_line(s, v, s->raw.buf);
        }
    }
}

const dl_dialect dl_buildkit = {"BuildKit", dlb_open, dlb_message, dlb_finish, dlb_close, dlb_plan};

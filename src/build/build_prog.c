/* build_prog.c -- a build's progress and failure report from the engine's
 * events (src/engine/dialect.h): the engine numbers its steps by
 * instruction, the Dockerfile's step map turns that into the resource
 * ("[2/3] File /index.html"), and a failed step is reported with the
 * resource, its file:line and the payload's own words. */
#include "build.h"

#include "build_int.h"
#include "dockerfile.h"
#include "term.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void build_res_ident(const bundle_res *r, strbuf *out)
{
    if (r->ident)
        sb_adds(out, r->ident);
    else
        rt_ident(r->type, r->fields, out);
}

/* "File[/index.html]" -> "File /index.html", for progress lines. */
void build_res_label(const bundle_res *r, strbuf *out)
{
    strbuf id = STRBUF_INIT;
    build_res_ident(r, &id);
    size_t tn = strlen(r->type->name);
    if (id.len > tn + 1 && id.buf[tn] == '[' && id.buf[id.len - 1] == ']') {
        sb_addf(out, "%s ", r->type->name);
        sb_add(out, id.buf + tn + 1, id.len - tn - 2);
    } else {
        sb_add(out, id.buf, id.len);
    }
    sb_release(&id);
}

/* The resource of the engine's current step, or -1 for FROM, ENV, CMD... */
long build_cur_res(const build_prog *p)
{
    if (p->step < 0 || (size_t)p->step >= p->d->nsteps)
        return -1;
    return p->d->step_res[p->step];
}

/* Where the resources of the step that starts at resource res end: a
 * layer group or a batch is one step for several (the step map holds the
 * first), so the next resource a later step starts, or the bundle's end. */
static size_t build_span_end(const build_prog *p, long res)
{
    for (size_t s = (size_t)p->step + 1; s < p->d->nsteps; s++)
        if (p->d->step_res[s] > res)
            return (size_t)p->d->step_res[s];
    return p->b->n;
}

static void build_step_begins(build_prog *p, const dk_event *e)
{
    p->step = e->step - 1;
    /* Podman tells the total only in a build's last stage: the Dockerfile's. */
    p->nsteps = e->nsteps ? e->nsteps : (long)p->d->nsteps;
    sb_reset(&p->step_text);
    sb_adds(&p->step_text, e->text);
    sb_reset(&p->step_out);
    long res = build_cur_res(p);
    /* A blob's COPY and its RUN are one resource: announce it once. */
    if (res < 0 || res == p->shown)
        return;
    p->shown = res;
    if (p->f->quiet || p->f->verbose)
        return;
    strbuf label = STRBUF_INIT;
    const char *layer = fv_gets(p->b->items[res].fields, "layer");
    size_t more = build_span_end(p, res) - (size_t)res - 1;
    if (layer)
        sb_addf(&label, "layer %s: ", layer);
    build_res_label(&p->b->items[res], &label);
    if (more)
        sb_addf(&label, " +%zu", more);
    strbuf head = STRBUF_INIT;
    sb_addf(&head, "[%s%s%ld/%zu]", p->f->label ? p->f->label : "", p->f->label ? " " : "", res + 1,
            p->b->n);
    term_progress(p->out, head.buf, label.buf);
    sb_release(&head);
    sb_release(&label);
}

void build_keep_tail(strbuf *out)
{
    /* Dropped in halves, so the copy is paid once per BUILD_OUT_KEEP. */
    if (out->len > 2 * BUILD_OUT_KEEP)
        sb_consume(out, out->len - BUILD_OUT_KEEP);
}

static void build_step_output(build_prog *p, const char *line)
{
    build_keep_tail(&p->step_out);
    sb_adds(&p->step_out, line);
    sb_addc(&p->step_out, '\n');
}

/* The dk_event_fn of the build: progress, output, the image ID, the error. */
void build_on_event(const dk_event *e, void *ud)
{
    build_prog *p = ud;
    /* -v shows the engine's colours only where fuse would colour too; a
     * line that held nothing but colour codes is then no line at all. */
    const char *show = p->f->verbose && e->raw ? (term_color(p->out) ? e->raw : e->line) : NULL;
    if (show && (*show || !*e->raw)) {
        fprintf(p->out, "%s\n", show);
        fflush(p->out);
    }
    switch (e->kind) {
    case DK_EV_STEP:
        build_step_begins(p, e);
        break;
    case DK_EV_OUTPUT:
        build_step_output(p, e->text);
        break;
    case DK_EV_NOTE:
        break;
    case DK_EV_LAYER:
        sb_reset(&p->layer);
        sb_adds(&p->layer, e->text);
        break;
    case DK_EV_IMAGE:
        /* The last ID is the image: a multi-stage build (artifacts, see
         * df_stages.c) reports an ID for a stage first. */
        sb_reset(&p->image_id);
        sb_adds(&p->image_id, e->text);
        break;
    case DK_EV_ERROR:
        if (p->error.len == 0) {
            sb_adds(&p->error, e->text);
            p->code = e->code;
        }
        break;
    }
}

/* -v names the builder; a BuildKit that was wanted and cannot be had is
 * worth one line even without -v (a slower build is no surprise then). */
void build_on_builder(const char *name, const char *why, int fallback, void *ud)
{
    const build_prog *p = ud;
    if (fallback && !p->f->quiet)
        fprintf(p->out, "fuse: building with the %s builder: %s\n", name, why);
    else if (p->f->verbose)
        fprintf(p->out, "fuse: builder: %s (%s)\n", name, why);
    fflush(p->out);
}

/* DockerBuilder:build() wants the engine's messages themselves. */
void build_on_msg(const dk_msg *m, void *ud)
{
    const build_prog *p = ud;
    p->f->on_chunk(m->json, m->json_len, p->f->ud);
}

/* Every RUN of the Dockerfile runs fuse-apply; the engine's message for a
 * failed one repeats the whole command (the resource's JSON): the exit code
 * is the part worth keeping. */
static void build_short_error(const build_prog *p, const char *msg, strbuf *out)
{
    if (p->code >= 0)
        sb_addf(out, "fuse-apply returned a non-zero code: %d", p->code);
    else
        sb_adds(out, msg);
}

/* The payload's own error line in the step's output, "fuse-apply: IDENT:
 * reason" (its last one: fuse-apply stops at the first failure), or NULL;
 * *len is the line's length. */
static const char *build_payload_error(const strbuf *out, size_t *len)
{
    static const char mark[] = "fuse-apply: ";
    const char *found = NULL;
    for (const char *l = out->buf; *l;) {
        size_t n = strcspn(l, "\n");
        if (n > strlen(mark) && strncmp(l, mark, strlen(mark)) == 0) {
            found = l;
            *len = n;
        }
        l += n + (l[n] == '\n');
    }
    return found;
}

/* The reason first, from the payload's error line when it left one: the
 * engine's "returned a non-zero code" says only that the step failed. */
static void build_reason(const build_prog *p, const bundle_res *r, const char *msg, strbuf *err)
{
    size_t len = 0;
    const char *pe = r ? build_payload_error(&p->step_out, &len) : NULL;
    const fv *from = r ? fv_get(r->fields, "from") : NULL;
    const char *src = r ? fv_gets(r->fields, "source") : NULL;
    /* An artifact's COPY --from names its source without the leading "/"
     * ("stat out/nope: file does not exist"): say which path it is. */
    if (!pe && from && src && (strstr(msg, "does not exist") || strstr(msg, "not found")))
        sb_addf(err, "source %s is not in the image it is copied from: ", src);
    if (!pe) {
        build_short_error(p, msg, err);
        return;
    }
    const char *why = pe + strlen("fuse-apply: ");
    strbuf id = STRBUF_INIT;
    build_res_ident(r, &id);
    sb_adds(&id, ": ");
    if (strncmp(why, id.buf, id.len) == 0)
        why += id.len;
    sb_add(err, why, (size_t)(pe + len - why));
    sb_release(&id);
}

/* The step's output as detail lines, but for the payload's error line
 * the first line already says. */
static void build_detail(const build_prog *p, strbuf *err)
{
    size_t len = 0;
    const char *pe = build_payload_error(&p->step_out, &len);
    const char *s = p->step_out.buf;
    strbuf d = STRBUF_INIT;
    if (pe) {
        sb_add(&d, s, (size_t)(pe - s));
        s = pe + len + (pe[len] == '\n');
    }
    sb_adds(&d, s);
    while (d.len && d.buf[d.len - 1] == '\n')
        d.len--;
    if (d.len) {
        sb_addc(err, '\n');
        sb_add(err, d.buf, d.len);
    }
    sb_release(&d);
}

/* The resource the failed step was applying: the step's own, or, for a
 * step of several (a layer group, a batch), the one fuse-apply's error
 * line names ("fuse-apply: Execute[two]: ..."). */
static long build_failed_res(const build_prog *p)
{
    long res = build_cur_res(p);
    size_t len = 0;
    const char *pe = res >= 0 ? build_payload_error(&p->step_out, &len) : NULL;
    if (!pe)
        return res;
    const char *why = pe + strlen("fuse-apply: ");
    size_t end = build_span_end(p, res);
    strbuf id = STRBUF_INIT;
    for (size_t i = (size_t)res; i < end; i++) {
        sb_reset(&id);
        build_res_ident(&p->b->items[i], &id);
        sb_adds(&id, ": ");
        if (strncmp(why, id.buf, id.len) == 0) {
            res = (long)i;
            break;
        }
    }
    sb_release(&id);
    return res;
}

/* "build failed at [3/5] Execute[migrate] (fusefile.lua:12): REASON", then
 * the step's output. */
void build_failure(build_prog *p, const char *msg, strbuf *err)
{
    long res = build_failed_res(p);
    const bundle_res *r = res >= 0 ? &p->b->items[res] : NULL;
    sb_adds(err, "build failed");
    if (r) {
        sb_addf(err, " at [%ld/%zu] ", res + 1, p->b->n);
        build_res_ident(r, err);
        if (r->where)
            sb_addf(err, " (%s)", r->where);
    } else if (p->step >= 0) {
        sb_addf(err, " at step %ld/%ld (%s)", p->step + 1, p->nsteps, p->step_text.buf);
    }
    sb_adds(err, ": ");
    build_reason(p, r, msg, err);
    if (r)
        build_detail(p, err);
}

void build_prog_free(build_prog *p)
{
    sb_release(&p->step_text);
    sb_release(&p->step_out);
    sb_release(&p->error);
    sb_release(&p->image_id);
    sb_release(&p->layer);
}

void build_step_failed(const bundle *b, long res, const char *output, int code, strbuf *err)
{
    build_prog p = {.b = b,
                    .step = -1,
                    .shown = -1,
                    .code = code,
                    .step_text = STRBUF_INIT,
                    .step_out = STRBUF_INIT,
                    .error = STRBUF_INIT,
                    .image_id = STRBUF_INIT};
    dockerfile one = {.step_res = &res, .nsteps = 1};
    p.d = &one;
    p.step = 0;
    sb_adds(&p.step_out, output);
    build_failure(&p, "", err);
    build_prog_free(&p);
}

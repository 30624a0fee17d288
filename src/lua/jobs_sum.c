/* jobs_sum.c -- the end of a fuse -j run: one line per task, and the
 * error line naming what failed and what did not start. */
#include "jobs.h"

#include <stdio.h>
#include <string.h>

/* ---- the summary ---- */

/* The first failed task that keeps node i from starting, or NULL. */
static const char *tj_blocker(const tj_run *r, size_t i, int depth)
{
    const tf_node *nd = &r->g->nodes[i];
    for (size_t k = 0; k < nd->ndeps && depth < 64; k++) {
        size_t d = nd->deps[k];
        if (r->jobs[d].state == TJ_FAILED && !r->jobs[d].cancelled)
            return tf_node_name(r->g, d);
        const char *b = r->jobs[d].state == TJ_WAIT ? tj_blocker(r, d, depth + 1) : NULL;
        if (b)
            return b;
    }
    return NULL;
}

static const char *tj_first_failed(const tj_run *r)
{
    for (size_t k = 0; k < r->g->norder; k++)
        if (r->jobs[r->g->order[k]].state == TJ_FAILED && !r->jobs[r->g->order[k]].cancelled)
            return tf_node_name(r->g, r->g->order[k]);
    return NULL;
}

static void tj_hex(const strbuf *iid, char out[13])
{
    const char *id = iid->buf;
    const char *hex = strncmp(id, "sha256:", 7) == 0 ? id + 7 : id;
    snprintf(out, 13, "%.12s", hex);
}

/* One line per task, dependencies first; -q keeps the failures only.
 * Returns how many did not end with an image. */
size_t tj_summary(tj_run *r, int quiet)
{
    size_t bad = 0;
    for (size_t k = 0; k < r->g->norder; k++) {
        size_t i = r->g->order[k];
        tj_job *j = &r->jobs[i];
        const char *name = tf_node_name(r->g, i);
        char hex[13];
        tj_hex(&r->g->nodes[i].iid, hex);
        if (j->state == TJ_BUILT || j->state == TJ_UPTODATE) {
            if (!quiet)
                tj_print(r, "fuse: %s: %s sha256:%s%s%s (%.1fs)\n", name,
                         j->state == TJ_BUILT ? "built" : "up to date", hex, j->eng ? " on " : "",
                         j->eng ? j->eng : "", j->secs);
            continue;
        }
        bad++;
        if (j->cancelled) {
            tj_print(r, "fuse: %s: cancelled\n", name);
            continue;
        }
        if (j->state == TJ_FAILED) {
            tj_print(r, "fuse: %s: failed: %.*s\n", name, (int)strcspn(j->err.buf, "\n"),
                     j->err.buf);
            continue;
        }
        const char *b = tj_blocker(r, i, 0), *first = tj_first_failed(r);
        if (b)
            tj_print(r, "fuse: %s: not started: its dependency %s failed\n", name, b);
        else if (first)
            tj_print(r, "fuse: %s: not started: stopped after %s failed\n", name, first);
        else
            tj_print(r, "fuse: %s: not started: interrupted\n", name);
    }
    return bad;
}

/* "failed: a, b; not started: c": the one error line of a failed run. */
void tj_failed_list(const tj_run *r, strbuf *err)
{
    for (int pass = 0; pass < 2; pass++) {
        int any = 0;
        for (size_t k = 0; k < r->g->norder; k++) {
            size_t i = r->g->order[k];
            if (r->jobs[i].state != (pass == 0 ? TJ_FAILED : TJ_WAIT))
                continue;
            if (!any)
                sb_addf(err, "%s%s: ", err->len ? "; " : "", pass == 0 ? "failed" : "not started");
            sb_addf(err, "%s%s", any ? ", " : "", tf_node_name(r->g, i));
            any = 1;
        }
    }
}

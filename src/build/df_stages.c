/* df_stages.c -- artifacts from other images.
 *
 * A File or Directory with `from` is copied out of that image by the
 * builder itself: its image becomes a stage at the top of the Dockerfile
 * (`FROM <id> AS fuse-from-1`), and the resource a `COPY --from=` step. Only
 * what is copied enters the image; none of the stage's layers do, and
 * fuse-apply never sees the resource. */
#include "df_stages.h"

#include "dockerfile.h"

#include <string.h>

/* Whether a (possibly absent: a resource without from) names image f. */
static int df_same_from(const fv *a, const fv *f)
{
    return a && fv_equal(a, f);
}

long df_stage_of(const bundle *b, size_t i)
{
    const fv *want = fv_get(b->items[i].fields, "from");
    if (!want)
        return 0;
    long n = 0;
    for (size_t k = 0; k <= i; k++) {
        const fv *f = fv_get(b->items[k].fields, "from");
        if (!f)
            continue;
        size_t j = 0; /* is f the first use of its image? */
        while (j < k && !df_same_from(fv_get(b->items[j].fields, "from"), f))
            j++;
        if (j < k)
            continue;
        n++;
        if (fv_equal(f, want))
            return n;
    }
    return n;
}

int df_stage_line(const bundle *b, size_t i, strbuf *t, strbuf *err)
{
    const fv *f = fv_get(b->items[i].fields, "from");
    strbuf what = STRBUF_INIT;
    sb_addf(&what, "%s: from", b->items[i].ident ? b->items[i].ident : b->items[i].type->name);
    int rc = df_image_ok(what.buf, f, err);
    sb_release(&what);
    if (rc == 0)
        sb_addf(t, "FROM %s AS fuse-from-%ld\n", f->str, df_stage_of(b, i));
    return rc;
}

/* src and dest go through the Dockerfile lexer after JSON decoding (COPY
 * expands $VAR and reads quotes even in JSON form). */
static void df_copy_word(strbuf *t, const fv *v)
{
    strbuf w = STRBUF_INIT;
    df_escape(&w, v->str, v->len, "\\$\"'");
    df_json_str(t, w.buf, w.len);
    sb_release(&w);
}

int df_from_step(const bundle *b, size_t i, strbuf *t, strbuf *err)
{
    const bundle_res *r = &b->items[i];
    const fv *src = fv_get(r->fields, "source"), *dest = fv_get(r->fields, "name");
    const fv *owner = fv_get(r->fields, "owner"), *group = fv_get(r->fields, "group");
    if (!src || src->kind != FV_STR || !dest || dest->kind != FV_STR ||
        !df_utf8_ok(src->str, src->len) || !df_utf8_ok(dest->str, dest->len) ||
        memchr(src->str, '\n', src->len) || memchr(dest->str, '\n', dest->len)) {
        sb_addf(err, "%s: source and name must be one line of UTF-8 text", r->ident);
        return -1;
    }
    if ((owner && !df_chown_id_ok(owner)) || (group && !df_chown_id_ok(group))) {
        sb_addf(err, "%s: with from, owner and group must be ids or plain names", r->ident);
        return -1;
    }
    sb_addf(t, "COPY --from=fuse-from-%ld ", df_stage_of(b, i));
    if (owner && group) {
        sb_adds(t, "--chown=");
        df_chown_id(t, owner);
        sb_addc(t, ':');
        df_chown_id(t, group);
        sb_addc(t, ' ');
    }
    sb_addc(t, '[');
    df_copy_word(t, src);
    sb_addc(t, ',');
    df_copy_word(t, dest);
    sb_adds(t, "]\n");
    return 0;
}

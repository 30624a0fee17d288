/* build_plan.c -- what a build would do, without building: --plan (the
 * keys recorded in the tagged image against the new ones, plan.h) and -n
 * (the Dockerfile, the bundle and what each tree would copy). */
#include "build.h"

#include "build_int.h"
#include "dockerfile.h"
#include "options.h"
#include "plan.h"
#include "tree.h"

#include <stdio.h>
#include <stdlib.h>

int build_plan(const fv *opts, const bundle *b, const build_flags *f, const char *lead, FILE *out,
               strbuf *err)
{
    dockerfile d = {.nsteps = 0};
    plan p = {.steps = NULL};
    dk_image_info base = DK_IMAGE_INFO_INIT, img = DK_IMAGE_INFO_INIT;
    const char *tag = build_tag(opts, 0);
    const char *from = fv_gets(opts, "from_image");
    from = from ? from : OPT_DEFAULT_IMAGE;
    int rc = df_generate(opts, b, &d, err) == 0 ? BUILD_OK : BUILD_FAILED;
    dk_client *dk = rc == BUILD_OK ? dk_open(err) : NULL;
    int r = dk ? dk_image_inspect(dk, from, NULL, &base, err) : -1;
    if (r == 0 && base.user.len && df_base_user_needed(opts)) {
        df_free(&d);
        r = df_generate_on(opts, base.user.buf, b, &d, err);
    }
    if (r >= 0 && build_keys(b, &d, &base, f, &p, err) != BUILD_OK)
        r = -1;
    if (r >= 0 && tag && dk_image_inspect(dk, tag, PLAN_LABEL, &img, err) < 0)
        r = -1;
    /* A task depending on this one is planned on its current image. */
    if (r >= 0 && f->iid)
        sb_addbuf(f->iid, &img.id);
    if (r >= 0) {
        fprintf(out, "%stags: ", lead);
        if (tag)
            build_print_tags(out, opts);
        else
            fputs("(none)", out);
        fprintf(out, "\n%sbase: %s (%s)\n", lead, from, base.id.len ? base.id.buf : "not pulled");
        plan_print(&p, img.label.buf, b, lead, out);
        fflush(out);
    }
    rc = r >= 0 ? BUILD_OK : r == -2 ? BUILD_INTERRUPTED : BUILD_FAILED;
    if (p.steps)
        plan_free(&p);
    dk_image_info_release(&base);
    dk_image_info_release(&img);
    dk_close(dk);
    df_free(&d);
    return rc;
}

/* -n: what each tree will copy (counts and size; every entry with -v). */
static int build_dry_trees(const bundle *b, const dockerfile *d, int verbose, FILE *out,
                           strbuf *err)
{
    for (size_t i = 0; i < d->ntrees; i++) {
        strbuf id = STRBUF_INIT;
        build_res_ident(&b->items[d->trees[i].res], &id);
        int rc = tree_describe(&d->trees[i], id.buf, verbose, out, err);
        sb_release(&id);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int build_dry_run(const fv *opts, const bundle *b, int verbose, FILE *out, strbuf *err)
{
    dockerfile d = {.nsteps = 0};
    if (df_generate(opts, b, &d, err) < 0)
        return BUILD_FAILED;
    strbuf json = STRBUF_INIT;
    int rc = BUILD_OK;
    if (bundle_dump(b, &json, BUNDLE_PRETTY | BUNDLE_REDACT) < 0) {
        sb_adds(err, "cannot write the bundle as JSON");
        rc = BUILD_FAILED;
    } else {
        fwrite(d.text.buf, 1, d.text.len, out);
        fputc('\n', out);
        fwrite(json.buf, 1, json.len, out);
        if (json.len && json.buf[json.len - 1] != '\n')
            fputc('\n', out);
        if (build_dry_trees(b, &d, verbose, out, err) < 0)
            rc = BUILD_FAILED;
        fflush(out);
    }
    sb_release(&json);
    df_free(&d);
    return rc;
}

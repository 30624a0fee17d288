/* build_prune.c -- fuse --prune-caches: a task's cache mounts emptied by
 * a small build of their own, whose image is removed after. */
#include "build.h"

#include "build_int.h"
#include "context.h"
#include "dkbuild.h"
#include "dockerfile.h"
#include "payload.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* --prune-caches: what the emptying build reported. */
typedef struct build_prune {
    strbuf error, image;
} build_prune;

static void build_prune_event(const dk_event *e, void *ud)
{
    build_prune *p = ud;
    if (e->kind == DK_EV_ERROR && !p->error.len)
        sb_adds(&p->error, e->text);
    else if (e->kind == DK_EV_IMAGE) {
        sb_reset(&p->image);
        sb_adds(&p->image, e->text);
    }
}

/* FROM scratch, fuse-apply, and one RUN mounting every cache of the task
 * under /.fuse/cN and emptying them: the ids are the build's (df_cache_id),
 * so the same caches. Not a nocache build: BuildKit gives such a build
 * fresh cache mounts; an ENV of this run's own makes the RUN run. */
static void build_prune_dockerfile(const fv *caches, const char *key, strbuf *df)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        ts.tv_sec = ts.tv_nsec = 0;
    sb_addf(df,
            "FROM scratch\nCOPY " DF_PAYLOAD_DIR "/fuse-apply /.fuse/fuse-apply\n"
            "ENV FUSE_PRUNE=%ld.%ld.%ld\nRUN ",
            (long)ts.tv_sec, (long)ts.tv_nsec, (long)getpid());
    for (size_t i = 0; i < caches->n; i++) {
        sb_addf(df, "--mount=type=cache,target=/.fuse/c%zu,id=", i);
        df_cache_id(key, caches->items[i]->str, df);
        sb_addc(df, ' '); /* shared, as the build's (dockerfile.c) */
    }
    sb_adds(df, "[\"/.fuse/fuse-apply\"");
    for (size_t i = 0; i < caches->n; i++)
        sb_addf(df, ",\"--empty\",\"/.fuse/c%zu\"", i);
    sb_adds(df, "]\n");
}

static int build_prune_send(dk_client *dk, const fv *caches, const build_flags *f,
                            const dkb_choice *ch, strbuf *err)
{
    strbuf df = STRBUF_INIT, derr = STRBUF_INIT;
    build_prune_dockerfile(caches, f->cache_key ? f->cache_key : "", &df);
    ctx_entry es[2] = {{.name = "Dockerfile", .data = df.buf, .len = df.len, .mode = 0644},
                       {.name = DF_PAYLOAD_DIR "/fuse-apply",
                        .data = fuse_payload_start,
                        .len = payload_size(),
                        .mode = 0755}};
    ctx *c = ctx_new(es, 2, err);
    build_prune p = {STRBUF_INIT, STRBUF_INIT};
    int rc = BUILD_FAILED;
    if (c) {
        dkb_request req = {.dockerfile = df.buf,
                           .choice = ch,
                           .read = ctx_read_fn,
                           .read_ud = c,
                           .on_event = build_prune_event,
                           .ud = &p};
        int r = dkb_build(dk, &req, &derr);
        if (r == -2)
            rc = BUILD_INTERRUPTED;
        else if (r < 0 || p.error.len)
            sb_addf(err, "cannot empty the caches: %s", p.error.len ? p.error.buf : derr.buf);
        /* The emptying build's image is no one's: it goes at once. */
        else if (!p.image.len || dk_image_untag(dk, p.image.buf, err) == 0)
            rc = BUILD_OK;
    }
    ctx_free(c);
    sb_release(&df);
    sb_release(&derr);
    sb_release(&p.error);
    sb_release(&p.image);
    return rc;
}

int build_prune_caches(const fv *opts, const build_flags *f, FILE *out, strbuf *err)
{
    const fv *caches = fv_get(opts, "caches");
    if (!caches || caches->kind != FV_LIST || caches->n == 0) {
        if (!f->quiet)
            fprintf(out, "fuse: the task has no caches\n");
        return BUILD_OK;
    }
    dk_client *dk = dk_open(err);
    dkb_choice ch;
    int rc = BUILD_FAILED;
    if (dk && dkb_select(dk, 0, NULL, &ch, err) == 0) {
        if (!ch.mounts) {
            if (!f->quiet)
                fprintf(out, "fuse: the classic builder keeps no caches: nothing to prune\n");
            rc = BUILD_OK;
        } else if ((rc = build_prune_send(dk, caches, f, &ch, err)) == BUILD_OK && !f->quiet) {
            fputs("fuse: emptied the caches ", out);
            for (size_t i = 0; i < caches->n; i++)
                fprintf(out, "%s%s", i ? ", " : "", caches->items[i]->str);
            fputc('\n', out);
        }
    }
    dk_close(dk);
    return rc;
}

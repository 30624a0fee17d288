/* build.c -- from a docker_container task's options and bundle to an image.
 *
 * dockerfile.c writes the Dockerfile and says which file data travels as
 * context blobs; context.c turns those into a tar stream pulled by the
 * engine client as it sends the build. Here we glue them together: the
 * base image, the builder, the up-to-date check, the request and what
 * follows a build (tags, --iidfile, a failed step's kept state, the push).
 * build_prog.c turns the engine's events into progress and failure
 * reports; build_plan.c is --plan and -n, build_prune.c --prune-caches. */
#include "build.h"

#include "build_int.h"
#include "context.h"
#include "dkbuild.h"
#include "dockerfile.h"
#include "mem.h"
#include "options.h"
#include "payload.h"
#include "plan.h"
#include "ship.h"
#include "term.h"
#include "tree.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int build_no_cache(const fv *opts, const build_flags *f)
{
    const fv *v = fv_get(opts, "no_cache");
    return f->no_cache || (v && v->kind == FV_BOOL && v->b);
}

static int build_pull(const fv *opts, const build_flags *f)
{
    const fv *v = fv_get(opts, "pull");
    return f->pull || (v && v->kind == FV_BOOL && v->b);
}

const char *build_tag(const fv *opts, size_t i)
{
    const fv *t = fv_get(opts, "tag");
    if (t && t->kind == FV_STR)
        return i == 0 && t->len ? t->str : NULL;
    if (t && t->kind == FV_LIST && i < t->n && t->items[i]->kind == FV_STR)
        return t->items[i]->str;
    return NULL;
}

void build_print_tags(FILE *out, const fv *opts)
{
    const char *tag;
    for (size_t i = 0; (tag = build_tag(opts, i)) != NULL; i++)
        fprintf(out, "%s%s", i ? ", " : "", tag);
}

/* Every tag of opts, NULL-terminated, for the engine's request. */
static const char **build_tags(const fv *opts)
{
    size_t n = 0;
    while (build_tag(opts, n))
        n++;
    const char **tags = xcalloc(n + 1, sizeof *tags);
    for (size_t i = 0; i < n; i++)
        tags[i] = build_tag(opts, i);
    return tags;
}

/* The context: Dockerfile, the payload directory (fuse-apply and the cache
 * key, see DF_PAYLOAD_DIR), the blobs and trees the Dockerfile copies. A
 * tree's entries are walked now; only their names are held. */
static ctx *build_context(const dockerfile *d, const build_flags *f, strbuf *err)
{
    /* A later part of a build with secrets (secstep.c) has the payload in
     * its base image already. */
    size_t head = d->payload ? 3 : 1;
    size_t n = head + d->nblobs, alloc = n;
    const char *key = f->cache_key ? f->cache_key : "";
    ctx_entry *es = xcalloc(n, sizeof *es);
    es[0] =
        (ctx_entry){.name = "Dockerfile", .data = d->text.buf, .len = d->text.len, .mode = 0644};
    if (d->payload) {
        es[1] = (ctx_entry){.name = DF_PAYLOAD_DIR "/fuse-apply",
                            .data = fuse_payload_start,
                            .len = payload_size(),
                            .mode = 0755};
        es[2] = (ctx_entry){
            .name = DF_PAYLOAD_DIR "/key", .data = key, .len = strlen(key), .mode = 0644};
    }
    for (size_t i = 0; i < d->nblobs; i++) {
        const df_blob *bl = &d->blobs[i];
        es[head + i] = (ctx_entry){.name = bl->name,
                                   .data = bl->data,
                                   .len = bl->len,
                                   .path = bl->path,
                                   .mode = bl->mode,
                                   .keep_mtime = bl->path != NULL};
    }
    strvec own = STRVEC_INIT;
    ctx *c = NULL;
    for (size_t i = 0; i < d->ntrees; i++)
        if (tree_context(&d->trees[i], &es, &n, &alloc, &own, err) < 0)
            goto done;
    c = ctx_new(es, n, err);
done:
    strvec_clear(&own);
    free(es);
    return c;
}

/* --iidfile: written whole or not at all (a script may read it while
 * fuse runs), through a temporary file beside it renamed into place. */
static int build_write_iidfile(const char *path, const char *id, strbuf *err)
{
    strbuf tmp = STRBUF_INIT;
    sb_addf(&tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp.buf, "w");
    int ok = f && fputs(id, f) >= 0;
    ok = f && fclose(f) == 0 && ok;
    if (ok && rename(tmp.buf, path) == 0) {
        sb_release(&tmp);
        return 0;
    }
    sb_addf(err, "cannot write the image ID to %s: %s", path, strerror(errno));
    unlink(tmp.buf);
    sb_release(&tmp);
    return -1;
}

/* The last line: the image and its tags ("fuse: built sha256:0123456789ab as x:1, x:latest"). */
static void build_done(const build_prog *p, const fv *opts, FILE *out)
{
    if (p->f->quiet)
        return;
    const char *id = p->image_id.buf;
    const char *hex = strncmp(id, "sha256:", 7) == 0 ? id + 7 : id;
    fprintf(out, "fuse: built sha256:%.12s", hex);
    if (build_tag(opts, 0)) {
        fputs(" as ", out);
        build_print_tags(out, opts);
    }
    fputc('\n', out);
    fflush(out);
}

/* "fuse-failed/NAME": the task's name as a repository may spell it. */
static void build_failed_repo(const char *task, strbuf *out)
{
    sb_adds(out, "fuse-failed/");
    size_t start = out->len;
    for (const char *s = task; *s; s++) {
        char ch = *s >= 'A' && *s <= 'Z' ? (char)(*s - 'A' + 'a') : *s;
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
        if (ok || (out->len > start && out->buf[out->len - 1] != '-'))
            sb_addc(out, ok ? ch : '-');
    }
    while (out->len > start && out->buf[out->len - 1] == '-')
        sb_setlen(out, out->len - 1);
    if (out->len == start)
        sb_adds(out, "task");
}

/* A failed resource step: the image its previous step left is named
 * fuse-failed/TASK:STEP (the task's earlier one unnamed), and the error
 * ends with the command that opens a shell in it. That image is one the
 * engine's cache holds anyway: naming it makes no new cache entry, unlike
 * a commit of the failed container, which a later build could take for the
 * step's result. An engine that keeps no intermediate images (BuildKit)
 * reports none: nothing is kept. */
static void build_keep_failed(dk_client *dk, const build_prog *p, const build_flags *f, strbuf *err)
{
    long res = build_cur_res(p);
    if (!f->task || f->no_keep_failed || res < 0 || !p->layer.len)
        return;
    strbuf repo = STRBUF_INIT, ref = STRBUF_INIT, why = STRBUF_INIT;
    strvec old = STRVEC_INIT;
    build_failed_repo(f->task, &repo);
    sb_addf(&ref, "%s:%ld", repo.buf, res + 1);
    if (dk_image_tags(dk, repo.buf, &old, &why) == 0 &&
        dk_image_tag(dk, p->layer.buf, ref.buf, &why) == 0) {
        for (size_t i = 0; i < old.nr; i++)
            if (strcmp(old.v[i], ref.buf) != 0)
                dk_image_untag(dk, old.v[i], &why);
        sb_addf(err, "\nthe state before this step is kept: docker run --rm -it --entrypoint sh %s",
                ref.buf);
    }
    strvec_clear(&old);
    sb_release(&repo);
    sb_release(&ref);
    sb_release(&why);
}

/* Sends context c (freed here) of d to the engine and follows the build.
 * part says which part of a build with secrets it is (secstep.c): only the
 * first pulls, only the last is tagged and reported; a part that is not
 * the last leaves its image's ID in part->image. */
static int build_send(dk_client *dk, ctx *c, const fv *opts, const bundle *b, const dockerfile *d,
                      const build_flags *f, const build_part *part, const dkb_choice *ch, FILE *out,
                      strbuf *err)
{
    /* cache = false: a value no build had before (plan.h). */
    char bust[128];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    snprintf(bust, sizeof bust, "{\"" DF_BUST_ARG "\":\"%lld.%09ld.%ld\"}", (long long)now.tv_sec,
             now.tv_nsec, (long)getpid());
    /* As docker build: a failed build leaves no stale ID behind. */
    if (part->first && f->iidfile && unlink(f->iidfile) != 0 && errno != ENOENT) {
        sb_addf(err, "cannot remove %s: %s", f->iidfile, strerror(errno));
        ctx_free(c);
        return BUILD_FAILED;
    }
    int rc = BUILD_FAILED;
    build_prog p = {.b = b,
                    .d = d,
                    .f = f,
                    .out = out,
                    .step = -1,
                    .shown = -1,
                    .code = -1,
                    .step_text = STRBUF_INIT,
                    .step_out = STRBUF_INIT,
                    .error = STRBUF_INIT,
                    .image_id = STRBUF_INIT,
                    .layer = STRBUF_INIT};
    strbuf derr = STRBUF_INIT;
    if (dk_negotiate(dk, err) < 0 || ship_build_auth(dk, err) != 0)
        goto done;
    const char **tags = part->last ? build_tags(opts) : NULL;
    dkb_request req = {.dockerfile = d->text.buf,
                       .on_builder = build_on_builder,
                       .choice = ch,
                       .tags = tags,
                       .no_cache = build_no_cache(opts, f),
                       .pull = part->first && build_pull(opts, f),
                       .buildargs = df_first_no_cache(b) >= 0 ? bust : NULL,
                       .read = ctx_read_fn,
                       .read_ud = c,
                       .on_event = build_on_event,
                       .ud = &p,
                       .on_msg = f->on_chunk ? build_on_msg : NULL,
                       .msg_ud = &p};
    int r = dkb_build(dk, &req, &derr);
    free(tags);
    term_progress_end(); /* the last progress line, left open on a terminal */
    if (r == -2) {
        sb_adds(err, "interrupted; the build was cancelled");
        rc = BUILD_INTERRUPTED;
    } else if (*ctx_error(c)) {
        sb_addf(err, "cannot send the build context: %s", ctx_error(c));
    } else if (r < 0 || p.error.len) {
        build_failure(&p, p.error.len ? p.error.buf : derr.buf, err);
        build_keep_failed(dk, &p, f, err);
    } else if (p.image_id.len == 0) {
        sb_adds(err, "build failed: Docker did not report the image it built");
    } else if (!part->last) {
        sb_addbuf(part->image, &p.image_id);
        rc = BUILD_OK;
    } else if (!f->iidfile || build_write_iidfile(f->iidfile, p.image_id.buf, err) == 0) {
        build_done(&p, opts, out);
        if (f->iid)
            sb_adds(f->iid, p.image_id.buf);
        rc = f->push ? ship_push(dk, opts, f, out, err) : BUILD_OK;
    }
done:
    build_prog_free(&p);
    sb_release(&derr);
    ctx_free(c);
    return rc;
}

/* The base image's ID and USER (the keys of plan.h need the one, the
 * Dockerfile the other). A base the engine does not have yet is pulled
 * first (the build would pull it anyway), and with pull (the build will
 * fetch the newest base) it is pulled before it is read. When the pull
 * fails, what the engine has is read, or the base is taken as root and
 * unknown, and the build, pulling again, reports why in its usual words. */
static int build_base(dk_client *dk, const fv *opts, int pull_first, dk_image_info *base,
                      strbuf *err)
{
    const char *img = fv_gets(opts, "from_image");
    img = img ? img : OPT_DEFAULT_IMAGE;
    int r = pull_first ? 1 : dk_image_inspect(dk, img, NULL, base, err);
    if (r == 1) {
        strbuf why = STRBUF_INIT;
        r = dk_image_pull(dk, img, &why);
        if (r == -2)
            sb_addbuf(err, &why); /* interrupted */
        else if (r == 0 || pull_first)
            r = dk_image_inspect(dk, img, NULL, base, err);
        else
            r = 0;
        sb_release(&why);
    }
    if (!df_base_user_needed(opts))
        sb_reset(&base->user);
    if (r == -2)
        return BUILD_INTERRUPTED;
    return r < 0 ? BUILD_FAILED : BUILD_OK; /* 1: not even after a pull */
}

/* 1 when the task's caches are mounted: the builder can (BuildKit, Podman);
 * otherwise one line says they are not (for a later part of a build with
 * secrets, on the classic builder by rule, only with -v), and the build
 * goes on without. */
static int build_mounts(const fv *opts, const dkb_choice *ch, const build_flags *f, int later,
                        FILE *out)
{
    const fv *caches = fv_get(opts, "caches");
    if (!caches || caches->kind != FV_LIST || caches->n == 0)
        return 0;
    if (ch->mounts)
        return 1;
    if (later ? f->verbose : !f->quiet)
        fprintf(out, "fuse: the classic builder cannot mount caches: building without them\n");
    return 0;
}

/* The builder for d, part dp of b on a base whose USER is user (dkb_select
 * reads d: a FROM of a local image ID, a task dependency's or a later
 * secret part's, gets the classic builder), and d made again with the
 * task's caches mounted when that builder mounts them. The plan's keys
 * come from the Dockerfile without mounts: the builder changes no key. */
static int build_choose(dk_client *dk, const fv *opts, const char *user, const bundle *b,
                        const df_part *dp, const build_flags *f, int base_missing, dockerfile *d,
                        dkb_choice *ch, FILE *out, strbuf *err)
{
    int sel = dkb_select(dk, f->on_chunk != NULL, d->text.buf, ch, err);
    if (sel != 0)
        return sel == -2 ? BUILD_INTERRUPTED : BUILD_FAILED;
    if (ch->builder == DKB_BUILDKIT && !dp->from_id && base_missing)
        dkb_for_pull(dk, ch);
    if (!build_mounts(opts, ch, f, dp->from_id != NULL, out))
        return BUILD_OK;
    df_part mp = *dp;
    mp.cache_key = f->cache_key ? f->cache_key : "";
    dockerfile md = {.nsteps = 0};
    if (df_generate_part(opts, user, b, &mp, &md, err) < 0)
        return BUILD_FAILED;
    df_free(d);
    *d = md;
    return BUILD_OK;
}

/* The Dockerfile for a base whose USER is user (NULL: root) and its context.
 * The context is made now: a source or tree that cannot be sent fails
 * before the engine is asked anything. */
static ctx *build_prepare(const fv *opts, const char *user, const bundle *b, const df_part *dp,
                          const build_flags *f, dockerfile *d, strbuf *err)
{
    if (df_generate_part(opts, user, b, dp, d, err) < 0)
        return NULL;
    ctx *c = build_context(d, f, err);
    if (!c)
        df_free(d);
    return c;
}

/* The keys of d on base (plan.h). */
int build_keys(const bundle *b, const dockerfile *d, const dk_image_info *base,
               const build_flags *f, plan *p, strbuf *err)
{
    hc_cache *hc = hc_open();
    int rc = plan_compute(p, b, d, base->id.buf, f->cache_key ? f->cache_key : "", hc, err);
    hc_close(hc);
    return rc < 0 ? BUILD_FAILED : BUILD_OK;
}

/* The first tag's image when its label is what p would build: its ID goes
 * to iid. 1 up to date, 0 not, or BUILD_INTERRUPTED. */
static int build_fresh(dk_client *dk, const fv *opts, const plan *p, strbuf *iid)
{
    const char *tag = build_tag(opts, 0);
    if (!tag || p->no_cache >= 0)
        return 0;
    dk_image_info img = DK_IMAGE_INFO_INIT;
    strbuf why = STRBUF_INIT;
    int r = dk_image_inspect(dk, tag, PLAN_LABEL, &img, &why);
    int fresh = r == 0 && img.id.len && plan_fresh(p, img.label.buf);
    if (fresh)
        sb_addbuf(iid, &img.id);
    dk_image_info_release(&img);
    sb_release(&why);
    return r == -2 ? -2 : fresh;
}

/* Up to date: the other tags are moved to the image too, the ID written
 * and reported, the tags pushed when asked, as after a build. */
static int build_current(dk_client *dk, const fv *opts, const char *id, const build_flags *f,
                         FILE *out, strbuf *err)
{
    const char *tag;
    for (size_t i = 1; (tag = build_tag(opts, i)) != NULL; i++)
        if (dk_image_tag(dk, id, tag, err) != 0)
            return BUILD_FAILED;
    if (f->iidfile && build_write_iidfile(f->iidfile, id, err) != 0)
        return BUILD_FAILED;
    if (f->iid)
        sb_adds(f->iid, id);
    if (f->uptodate)
        *f->uptodate = 1;
    if (!f->quiet) {
        fprintf(out, "fuse: %s is up to date (%s)\n", build_tag(opts, 0), id);
        fflush(out);
    }
    return f->push ? ship_push(dk, opts, f, out, err) : BUILD_OK;
}

/* The base image, the Dockerfile for it, and its keys in p. */
static int build_settle(dk_client *dk, const fv *opts, const bundle *b, const build_flags *f,
                        dockerfile *d, plan *p, dk_image_info *base, strbuf *err)
{
    int rc = build_base(dk, opts, build_pull(opts, f), base, err);
    if (rc == BUILD_OK && base->user.len) {
        /* USER root and the base's USER again: a new Dockerfile. */
        df_free(d);
        if (df_generate_on(opts, base->user.buf, b, d, err) < 0)
            rc = BUILD_FAILED;
    }
    if (rc == BUILD_OK)
        rc = build_keys(b, d, base, f, p, err);
    return rc;
}

int build_up_to_date(const fv *opts, const bundle *b, const build_flags *f, strbuf *iid,
                     strbuf *err)
{
    dockerfile d = {.nsteps = 0};
    plan p = {.steps = NULL};
    dk_image_info base = DK_IMAGE_INFO_INIT;
    int fresh = 0;
    dk_client *dk = df_generate(opts, b, &d, err) == 0 ? dk_open(err) : NULL;
    if (dk && build_settle(dk, opts, b, f, &d, &p, &base, err) == BUILD_OK)
        fresh = build_fresh(dk, opts, &p, iid) == 1;
    if (p.steps)
        plan_free(&p);
    dk_image_info_release(&base);
    dk_close(dk);
    df_free(&d);
    return fresh;
}

/* Part dp of b, its Dockerfile d made: the builder, the last part's plan
 * label, the context, the request. */
static int build_part_send(dk_client *dk, const fv *opts, const char *user, const bundle *b,
                           const df_part *dp, const build_flags *f, const build_part *part,
                           dockerfile *d, FILE *out, strbuf *err)
{
    dkb_choice ch;
    int rc = build_choose(dk, opts, user, b, dp, f, part->base_missing, d, &ch, out, err);
    if (rc != BUILD_OK)
        return rc;
    if (part->last && part->plan_label)
        df_add_label(d, PLAN_LABEL, part->plan_label);
    ctx *c = build_context(d, f, err);
    return c ? build_send(dk, c, opts, b, d, f, part, &ch, out, err) : BUILD_FAILED;
}

int build_part_run(dk_client *dk, const fv *opts, const char *user, const bundle *b,
                   const df_part *dp, const build_flags *f, const build_part *part, FILE *out,
                   strbuf *err)
{
    dockerfile d = {.nsteps = 0};
    int rc = df_generate_part(opts, user, b, dp, &d, err) < 0
                 ? BUILD_FAILED
                 : build_part_send(dk, opts, user, b, dp, f, part, &d, out, err);
    df_free(&d);
    return rc;
}

int build_run(const fv *opts, const bundle *b, const build_flags *f, FILE *out, strbuf *err)
{
    dockerfile d = {.nsteps = 0};
    plan p = {.steps = NULL};
    dk_image_info base = DK_IMAGE_INFO_INIT;
    strbuf id = STRBUF_INIT, label = STRBUF_INIT;
    /* A tag that cannot be pushed stops the run before a long build. */
    if (f->push && ship_check(opts, err) != 0)
        return BUILD_FAILED;
    /* Made once before asking the engine anything, so that an option no
     * Dockerfile can hold, or a source that cannot be read, is reported as
     * such even with no engine. */
    df_part whole = {.from = 0, .to = b->n, .last = 1};
    ctx *c = build_prepare(opts, NULL, b, &whole, f, &d, err);
    if (!c)
        return BUILD_FAILED;
    ctx_free(c);
    c = NULL;
    dk_client *dk = dk_open(err);
    if (dk && f->verbose) {
        /* -v names the engine before its first word. */
        fprintf(out, "fuse: engine %s (context %s)\n", dk_host(dk), dk_context(dk));
        fflush(out);
    }
    int rc = dk ? build_settle(dk, opts, b, f, &d, &p, &base, err) : BUILD_FAILED;
    /* DockerBuilder (on_chunk) wants Docker's own stream, and builds a
     * bundle, not a task: always sent, and labelled with no keys. */
    int task = !f->on_chunk;
    int fresh =
        rc == BUILD_OK && task && !build_no_cache(opts, f) ? build_fresh(dk, opts, &p, &id) : 0;
    if (fresh == -2) {
        sb_adds(err, "interrupted");
        rc = BUILD_INTERRUPTED;
    } else if (fresh == 1) {
        rc = build_current(dk, opts, id.buf, f, out, err);
    } else if (rc == BUILD_OK) {
        plan_label(&p, &label);
        const char *user = base.user.len ? base.user.buf : NULL;
        /* build_base left a base it could not pull to the build. */
        int missing = base.id.len == 0;
        if (df_unit_secrets(b, 0, b->n)) {
            /* The steps with secrets run outside /build (secstep.c). */
            rc = ss_build(dk, opts, user, missing, b, f, task ? label.buf : NULL, out, err);
        } else {
            build_part whole_part = {.first = 1,
                                     .last = 1,
                                     .plan_label = task ? label.buf : NULL,
                                     .base_missing = missing};
            rc = build_part_send(dk, opts, user, b, &whole, f, &whole_part, &d, out, err);
        }
    }
    if (p.steps)
        plan_free(&p);
    dk_image_info_release(&base);
    sb_release(&id);
    sb_release(&label);
    dk_close(dk);
    df_free(&d);
    return rc;
}

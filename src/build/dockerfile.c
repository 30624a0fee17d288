/* dockerfile.c -- the generated Dockerfile: the steps of the resources
 * (dockerfile.h shows its shape; df_words.c writes the instructions that
 * come from options, and the quoting).
 *
 * Every File reaches the image through fuse-apply, whichever way its data
 * travels, so that the way never changes the result: a File has one set of
 * rules (fuse-resources(7)), not one per size. Contents travel in the
 * resource's JSON: on the RUN line, or, when a line is the wrong place for
 * them (too large, binary, secret: `docker history` shows RUN lines), in a
 * bundle file of the context. A source file travels as a context blob. */
#include "df_gen.h"

#include "df_stages.h"
#include "mem.h"
#include "strvec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define DF_APPLY "/.fuse/fuse-apply"
/* A Dockerfile line longer than 64 KiB is rejected by Docker's scanner. */
#define DF_LINE_MAX (60 * 1024)
/* Resource layers (see df_resources): 60, with the base image's and ours
 * well under overlay2's 128; the last 40 of them one resource each. */
#define DF_MAX_LAYERS 60
#define DF_TAIL_LAYERS 40
#define DF_MAX_BATCHES 10

/* Records that the instruction about to be written belongs to resource res. */
void df_step(df_gen *g, long res)
{
    dockerfile *d = g->d;
    ALLOC_GROW(d->step_res, d->nsteps + 1, g->cap_steps);
    d->step_res[d->nsteps++] = res;
}

static df_blob *df_add_blob(df_gen *g)
{
    dockerfile *d = g->d;
    ALLOC_GROW(d->blobs, d->nblobs + 1, g->cap_blobs);
    df_blob *bl = &d->blobs[d->nblobs++];
    memset(bl, 0, sizeof *bl);
    return bl;
}

/* 1 when a File's data must not go on a Dockerfile line: it is a file on
 * disk (source), or contents too large, binary, or secret (a RUN line shows
 * in `docker history`). */
int df_needs_blob(const bundle_res *r)
{
    if (strcmp(r->type->name, "File") != 0 || fv_get(r->fields, "from"))
        return 0;
    if (fv_get(r->fields, "source"))
        return 1;
    const fv *c = fv_get(r->fields, "contents");
    if (!c || c->kind != FV_STR)
        return 0;
    const fv *s = fv_get(r->fields, "sensitive");
    if (s && s->kind == FV_BOOL && s->b)
        return 1;
    return c->len > DF_INLINE_MAX || !df_utf8_ok(c->str, c->len);
}

/* The resource as fuse-apply gets it. A File with a source names, instead,
 * the blob added to the context as blob_name ("/" blob_name in the image);
 * its tar entry carries the source's mtime, which fuse-apply keeps. */
static int df_res_json(df_gen *g, const bundle_res *r, const char *blob_name, strbuf *json)
{
    const fv *src = fv_get(r->fields, "source");
    if (!blob_name || !src)
        return bundle_res_dump(r, json, 0);
    df_blob *bl = df_add_blob(g);
    bl->path = xstrdup(src->str);
    bl->name = xstrdup(blob_name);
    bl->mode = 0600;
    bundle_res copy = {.type = r->type, .fields = fv_copy(r->fields)};
    strbuf in_image = STRBUF_INIT;
    sb_addf(&in_image, "/%s", blob_name);
    fv_set(copy.fields, "source", fv_strz(in_image.buf));
    sb_release(&in_image);
    int rc = bundle_res_dump(&copy, json, 0);
    fv_free(copy.fields);
    return rc;
}

/* The start of every resource step's RUN. --no-sync: Docker keeps a step's
 * layer whole or drops it, so fsyncs buy nothing there. --state only when
 * something watches: without a watcher nobody reads the change markers,
 * and writing them costs two small files per change. */
static void df_run_prefix(const df_gen *g, strbuf *t)
{
    sb_adds(t, "RUN ");
    /* Shared, never sharing=locked: Podman's builder (4.3) hangs the
     * next RUN mounting a locked cache (buildah #4342), even one. The
     * package managers lock their own cache directories anyway. */
    for (size_t i = 0; g->caches && i < g->caches->n; i++) {
        sb_addf(t, "--mount=type=cache,target=%s,id=", g->caches->items[i]->str);
        df_cache_id(g->cache_key, g->caches->items[i]->str, t);
        sb_addc(t, ' ');
    }
    sb_adds(t, "[\"" DF_APPLY "\",\"--no-changes-ok\",\"--no-sync\",");
    if (g->watches)
        sb_adds(t, "\"--state\",\"/.fuse/state\",");
    /* fuse-apply keeps what a package manager downloads in a cache. */
    for (size_t i = 0; g->caches && i < g->caches->n; i++) {
        sb_adds(t, "\"--cache\",");
        df_json_str(t, g->caches->items[i]->str, g->caches->items[i]->len);
        sb_addc(t, ',');
    }
}

/* FNV-1a, 64 bits: a short stable name, not a secret. */
void df_cache_id(const char *key, const char *path, strbuf *out)
{
    uint64_t h = 0xcbf29ce484222325u;
    const char *parts[] = {key ? key : "", "\n", path};
    for (size_t i = 0; i < 3; i++)
        for (const unsigned char *p = (const unsigned char *)parts[i]; *p; p++)
            h = (h ^ *p) * 0x100000001b3u;
    sb_addf(out, "fuse-cache-%016llx", (unsigned long long)h);
}

void df_apply_argv(int watches, strvec *argv)
{
    strvec_pushv(argv, (const char *const[]){DF_APPLY, "--no-changes-ok", "--no-sync", NULL});
    if (watches)
        strvec_pushv(argv, (const char *const[]){"--state", "/.fuse/state", NULL});
}

/* Resources [from, to) as one step: their bundle and source blobs in the
 * context directory .fuse/steps/K (K = from + 1), one COPY of that
 * directory, one RUN of fuse-apply on the bundle file. A file, because a
 * batch can be far larger than a Dockerfile line (64 KiB) or an argument
 * (128 KiB) allows; a File whose contents cannot go on a line is a batch of
 * one. Contents stay in the bundle's JSON (binary ones as base64), so
 * fuse-apply gets the File exactly as the task file wrote it. */
static int df_batch(df_gen *g, const bundle *b, size_t from, size_t to, strbuf *err)
{
    strbuf dir = STRBUF_INIT, json = STRBUF_INIT, blob = STRBUF_INIT;
    sb_addf(&dir, ".fuse/steps/%zu", from + 1);
    sb_adds(&json, "{\"version\":1,\"resources\":[");
    for (size_t i = from; i < to; i++) {
        const bundle_res *r = &b->items[i];
        sb_reset(&blob);
        if (df_needs_blob(r) && fv_get(r->fields, "source"))
            sb_addf(&blob, "%s/%zu", dir.buf, i + 1);
        if (i > from)
            sb_addc(&json, ',');
        if (df_res_json(g, r, blob.len ? blob.buf : NULL, &json) < 0) {
            sb_addf(err, "resource %zu (%s): cannot write its JSON", i + 1, r->type->name);
            sb_release(&dir);
            sb_release(&json);
            sb_release(&blob);
            return -1;
        }
    }
    sb_adds(&json, "]}\n");
    df_blob *bl = df_add_blob(g);
    sb_reset(&blob);
    sb_addf(&blob, "%s/bundle.json", dir.buf);
    bl->name = sb_detach(&blob, NULL);
    bl->own = sb_detach(&json, &bl->len);
    bl->data = bl->own;
    bl->mode = 0600;
    strbuf *t = &g->d->text;
    df_step(g, (long)from);
    sb_addf(t, "COPY %s /%s\n", dir.buf, dir.buf);
    df_step(g, (long)from);
    df_run_prefix(g, t);
    sb_addf(t, "\"/%s/bundle.json\"]\n", dir.buf);
    sb_release(&dir);
    return 0;
}

/* The step of resource res that hands fuse-apply json inline. A step with
 * secrets never goes to the engine in a Dockerfile (secstep.c runs it in a
 * container of its own): -n shows it as its equivalent, marked. */
static void df_run_json(df_gen *g, long res, const strbuf *json, int secrets)
{
    strbuf *t = &g->d->text;
    /* The marking line is a step of res too: plan.c and -n read line k as
     * step k, so every line of the text needs its step_res. */
    if (secrets) {
        df_step(g, res);
        sb_adds(t, "# fuse: the next step runs in a container of its own, its secrets in "
                   "/run/secrets\n");
    }
    df_step(g, res);
    df_run_prefix(g, t);
    if (secrets)
        sb_adds(t, "\"--secrets\",\"/run/secrets\",");
    sb_adds(t, "\"--json\",");
    df_json_str(t, json->buf, json->len);
    sb_adds(t, "]\n");
}

/* One resource on a step of its own: its RUN with the JSON inline; a File
 * with a source, the COPY of its blob first; a File whose contents cannot
 * go on a line, a batch of one. */
static int df_resource(df_gen *g, const bundle *b, size_t i, strbuf *err)
{
    const bundle_res *r = &b->items[i];
    strbuf *t = &g->d->text;
    if (fv_get(r->fields, "from")) {
        df_step(g, (long)i);
        return df_from_step(b, i, t, err);
    }
    if (df_is_tree(r)) {
        df_step(g, (long)i);
        return df_tree_step(g->d, &g->cap_trees, b, i, err);
    }
    int blob = df_needs_blob(r);
    if (blob && !fv_get(r->fields, "source"))
        return df_batch(g, b, i, i + 1, err);
    strbuf json = STRBUF_INIT, name = STRBUF_INIT;
    if (blob)
        sb_addf(&name, ".fuse/blobs/%zu", i + 1);
    if (df_res_json(g, r, blob ? name.buf : NULL, &json) < 0) {
        sb_addf(err, "resource %zu (%s): cannot write its JSON", i + 1, r->type->name);
        sb_release(&json);
        sb_release(&name);
        return -1;
    }
    if (blob) {
        df_step(g, (long)i);
        sb_addf(t, "COPY %s /%s\n", name.buf, name.buf);
    }
    sb_release(&name);
    size_t start = t->len;
    df_run_json(g, (long)i, &json, fv_get(r->fields, "secrets") != NULL);
    sb_release(&json);
    if (t->len - start > DF_LINE_MAX) {
        strbuf id = STRBUF_INIT;
        rt_ident(r->type, r->fields, &id);
        /* The identity may be the huge part: keep the one-line error short. */
        sb_addf(err, "%.*s%s is too large for one build step (more than %d KiB of JSON)",
                id.len > 80 ? 80 : (int)id.len, id.buf, id.len > 80 ? "..." : "",
                DF_LINE_MAX / 1024);
        sb_release(&id);
        return -1;
    }
    return 0;
}

/* Resources [from, to) batched, but a tree (never in a bundle: it is a
 * COPY, see dockerfile_tree.c) or an artifact (a COPY --from, see
 * df_stages.c) on a step of its own between batches. */
static int df_batch_trees(df_gen *g, const bundle *b, size_t from, size_t to, strbuf *err)
{
    size_t start = from;
    for (size_t i = from; i < to; i++) {
        if (!df_is_tree(&b->items[i]) && !fv_get(b->items[i].fields, "from"))
            continue;
        if ((start < i && df_batch(g, b, start, i, err) < 0) || df_resource(g, b, i, err) < 0)
            return -1;
        start = i + 1;
    }
    return start < to ? df_batch(g, b, start, to, err) : 0;
}

/* The layers a resource takes as a step of its own: its RUN, and the COPY
 * of its blob or bundle file; an artifact is its COPY --from alone. */
static size_t df_res_layers(const bundle *b, size_t i)
{
    if (fv_get(b->items[i].fields, "from"))
        return 1;
    return 1 + (size_t)df_needs_blob(&b->items[i]);
}

/* Where the unit starting at resource i ends: the consecutive resources of
 * its layer (layer = "NAME", one step), or i alone. */
size_t df_unit_end(const bundle *b, size_t i)
{
    const char *layer = fv_gets(b->items[i].fields, "layer");
    size_t j = i + 1;
    while (layer && j < b->n && fv_gets(b->items[j].fields, "layer") &&
           strcmp(fv_gets(b->items[j].fields, "layer"), layer) == 0)
        j++;
    return j;
}

static size_t df_unit_layers(const bundle *b, size_t i)
{
    return df_unit_end(b, i) > i + 1 ? 2 : df_res_layers(b, i);
}

/* A layer group [from, to) as one step. Inline in the RUN line when it
 * can be (no blob, and the line fits): then nothing of it is copied into a
 * layer, so a file the group makes and removes leaves no trace; otherwise
 * as a batch, whose bundle and blobs a COPY layer keeps. */
static int df_group(df_gen *g, const bundle *b, size_t from, size_t to, strbuf *err)
{
    strbuf json = STRBUF_INIT;
    int inline_ok = 1;
    sb_addc(&json, '[');
    for (size_t i = from; i < to && inline_ok; i++) {
        if (i > from)
            sb_addc(&json, ',');
        inline_ok = !df_needs_blob(&b->items[i]) && bundle_res_dump(&b->items[i], &json, 0) == 0 &&
                    json.len < DF_LINE_MAX / 2;
    }
    sb_addc(&json, ']');
    if (inline_ok)
        df_run_json(g, (long)from, &json, df_unit_secrets(b, from, to));
    sb_release(&json);
    return inline_ok ? 0 : df_batch(g, b, from, to, err);
}

int df_unit_secrets(const bundle *b, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if (fv_get(b->items[i].fields, "secrets"))
            return 1;
    return 0;
}

/* The resource steps, by unit (a resource, or a layer group as one batch).
 * One step per unit while they fit in DF_MAX_LAYERS (overlay2 stacks at
 * most 128 layers, the base image's included); beyond that, the last units
 * keep a step each (DF_TAIL_LAYERS worth), so that editing the end of a
 * task still reruns little, and the earlier ones go in at most
 * DF_MAX_BATCHES batches of about equal size. */
long df_first_no_cache(const bundle *b)
{
    for (size_t i = 0; i < b->n; i++) {
        const fv *v = fv_get(b->items[i].fields, "cache");
        if (v && v->kind == FV_BOOL && !v->b)
            return (long)i;
    }
    return -1;
}

/* Before the unit or batch [from, to) holding the first resource with
 * cache = false: the ARG whose new value each build (plan.h) makes that
 * step and every later one miss the cache (build.c gives it). */
static void df_bust(df_gen *g, const bundle *b, size_t from, size_t to)
{
    long nc = df_first_no_cache(b);
    if (nc < 0 || (size_t)nc < from || (size_t)nc >= to)
        return;
    df_step(g, (long)from); /* the step's: a resource with lines starts a step (plan.c) */
    sb_adds(&g->d->text, "ARG " DF_BUST_ARG "\n");
}

static int df_resources(df_gen *g, const bundle *b, strbuf *err)
{
    size_t *starts = xcalloc(b->n + 1, sizeof *starts), nu = 0, total = 0, tail = 0;
    for (size_t i = 0; i < b->n; i = df_unit_end(b, i))
        starts[nu++] = i;
    starts[nu] = b->n;
    for (size_t u = 0; u < nu && total <= DF_MAX_LAYERS; u++)
        total += df_unit_layers(b, starts[u]);
    int rc = 0;
    if (total > DF_MAX_LAYERS) {
        size_t used = 0;
        tail = nu;
        while (tail > 0 && used + df_unit_layers(b, starts[tail - 1]) <= DF_TAIL_LAYERS)
            used += df_unit_layers(b, starts[--tail]);
        size_t nb = tail < DF_MAX_BATCHES ? tail : DF_MAX_BATCHES;
        size_t per = nb ? (tail + nb - 1) / nb : 0;
        for (size_t u = 0; u < tail && rc == 0; u += per) {
            size_t end = starts[u + per < tail ? u + per : tail];
            df_bust(g, b, starts[u], end);
            rc = df_batch_trees(g, b, starts[u], end, err);
        }
    }
    for (size_t u = tail; u < nu && rc == 0; u++) {
        df_bust(g, b, starts[u], starts[u + 1]);
        if (starts[u + 1] > starts[u] + 1)
            rc = df_group(g, b, starts[u], starts[u + 1], err);
        else
            rc = df_resource(g, b, starts[u], err);
    }
    free(starts);
    return rc;
}

int df_generate(const fv *opts, const bundle *b, dockerfile *d, strbuf *err)
{
    return df_generate_on(opts, NULL, b, d, err);
}

/* FROM the image the part continues, and the command and entrypoint of
 * the image before the secret steps again (secstep.c's containers run
 * fuse-apply as their entrypoint, and a commit keeps it). */
static void df_from_part(df_gen *g, const df_part *p)
{
    strbuf *t = &g->d->text;
    df_step(g, -1);
    sb_addf(t, "FROM %s\n", p->from_id);
    if (!p->entrypoint)
        return;
    /* An empty ENTRYPOINT over a set one never hits the classic builder's
     * cache (the step's container takes the image's): secstep.c sets
     * fuse-apply as the entrypoint only when the image has one. */
    if (*p->entrypoint) {
        df_step(g, -1);
        sb_addf(t, "ENTRYPOINT %s\n", p->entrypoint);
    }
    df_step(g, -1);
    sb_addf(t, "CMD %s\n", p->cmd && *p->cmd ? p->cmd : "[]");
}

/* The stages of artifacts first, each step credited to the first resource
 * copying from it, so a missing image names that resource. */
static int df_stages_all(df_gen *g, const bundle *b, strbuf *err)
{
    for (size_t i = 0, n = 0; i < b->n; i++) {
        if (!fv_get(b->items[i].fields, "from") || (size_t)df_stage_of(b, i) <= n)
            continue;
        n++;
        df_step(g, (long)i);
        if (df_stage_line(b, i, &g->d->text, err) < 0)
            return -1;
    }
    return 0;
}

int df_generate_part(const fv *opts, const char *base_user, const bundle *b, const df_part *p,
                     dockerfile *d, strbuf *err)
{
    const fv *caches = fv_get(opts, "caches");
    df_gen g = {d, 0, 0, 0, 0, NULL, p->cache_key};
    if (p->cache_key && caches && caches->kind == FV_LIST && caches->n)
        g.caches = caches;
    memset(d, 0, sizeof *d);
    sb_init(&d->text);
    /* The part's resources as a bundle of their own; their steps are
     * credited to their index in b. An empty bundle has no items array,
     * and NULL + 0 is undefined behaviour in C. */
    bundle view = *b;
    view.items = b->items ? b->items + p->from : NULL;
    view.n = p->to - p->from;
    if (df_stages_all(&g, &view, err) < 0)
        goto fail;
    if (p->from_id) {
        df_from_part(&g, p);
    } else {
        if (df_from(&g, opts, base_user, err) < 0 || df_env(&g, fv_get(opts, "env"), err) < 0)
            goto fail;
        /* A directory: its files (fuse-apply and the build's cache key) make
         * the step's cache key (see dockerfile.h). */
        df_step(&g, -1);
        sb_adds(&d->text, "COPY " DF_PAYLOAD_DIR " /.fuse/\n");
        d->payload = 1;
    }
    g.watches = bundle_any_watches(b);
    size_t first = d->nsteps;
    if (df_resources(&g, &view, err) < 0)
        goto fail;
    for (size_t k = first; k < d->nsteps; k++)
        if (d->step_res[k] >= 0)
            d->step_res[k] += (long)p->from;
    if (!p->last)
        return 0;
    df_step(&g, -1);
    sb_adds(&d->text, "RUN [\"" DF_APPLY "\",\"--cleanup\",\"/.fuse\"]\n");
    if (p->label) {
        df_step(&g, -1);
        sb_addf(&d->text, "LABEL %s=\"%s\"\n", p->label, p->label_value);
    }
    if (df_metadata(&g, opts, base_user, err) < 0)
        goto fail;
    return 0;
fail:
    df_free(d);
    return -1;
}

void df_add_label(dockerfile *d, const char *key, const char *value)
{
    d->step_res = xreallocarray(d->step_res, d->nsteps + 1, sizeof *d->step_res);
    d->step_res[d->nsteps++] = -1;
    sb_adds(&d->text, "LABEL ");
    df_json_str(&d->text, key, strlen(key));
    sb_addc(&d->text, '=');
    df_json_str(&d->text, value, strlen(value));
    sb_addc(&d->text, '\n');
}

int df_generate_on(const fv *opts, const char *base_user, const bundle *b, dockerfile *d,
                   strbuf *err)
{
    df_part whole = {.from = 0, .to = b->n, .last = 1};
    return df_generate_part(opts, base_user, b, &whole, d, err);
}

void df_free(dockerfile *d)
{
    sb_release(&d->text);
    for (size_t i = 0; i < d->nblobs; i++) {
        free(d->blobs[i].name);
        free(d->blobs[i].path);
        free(d->blobs[i].own);
    }
    free(d->blobs);
    df_tree_free(d);
    free(d->step_res);
    memset(d, 0, sizeof *d);
    sb_init(&d->text);
}

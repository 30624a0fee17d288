/* plan.c -- the keys a build records in its image, and the plan that
 * compares them with a new build's (plan.h). */
#include "plan.h"

#include "fvjson.h"
#include "mem.h"
#include "payload.h"
#include "tree.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void plan_hex(sha256_ctx *s, char *out, size_t nhex)
{
    unsigned char d[SHA256_LEN];
    sha256_final(s, d);
    strbuf h = STRBUF_INIT;
    sha256_hex(d, nhex / 2, &h);
    memcpy(out, h.buf, nhex);
    out[nhex] = '\0';
    sb_release(&h);
}

/* Ends s: its whole digest goes to whole (NULL: nowhere), its first 8 hex
 * digits to out (what the label shows). */
static void plan_part(sha256_ctx *s, sha256_ctx *whole, char out[9])
{
    unsigned char d[SHA256_LEN];
    sha256_final(s, d);
    if (whole)
        sha256_field(whole, d, sizeof d);
    strbuf h = STRBUF_INIT;
    sha256_hex(d, 4, &h);
    memcpy(out, h.buf, 9);
    sb_release(&h);
}

static void plan_short(const void *data, size_t len, sha256_ctx *whole, char out[9])
{
    sha256_ctx s;
    sha256_init(&s);
    sha256_update(&s, data, len);
    plan_part(&s, whole, out);
}

/* A Directory's tree: every entry's name, type and mode, link target and
 * file contents, in the walk's (byte) order. */
typedef struct plan_tree {
    sha256_ctx *s;
    hc_cache *hc;
} plan_tree;

static int plan_tree_item(const tree_item *it, void *ud, strbuf *err)
{
    plan_tree *t = ud;
    char mode[16];
    snprintf(mode, sizeof mode, "%o", (unsigned)it->st->st_mode);
    sha256_field(t->s, it->rel, strlen(it->rel));
    sha256_field(t->s, mode, strlen(mode));
    if (it->link)
        sha256_field(t->s, it->link, strlen(it->link));
    if (S_ISREG(it->st->st_mode)) {
        unsigned char h[SHA256_LEN];
        if (hc_file(t->hc, it->path, h, err) < 0)
            return -1;
        sha256_field(t->s, h, sizeof h);
    }
    return 0;
}

/* The hash of r's source (a File's file, a Directory's tree) fed to key,
 * and its first 8 hex digits into src; "-" when it copies none from the
 * host. */
static int plan_source(const bundle_res *r, hc_cache *hc, sha256_ctx *key, char src[9], strbuf *err)
{
    const char *path = fv_gets(r->fields, "source");
    strcpy(src, "-");
    if (!path || fv_get(r->fields, "from"))
        return 0;
    sha256_ctx s;
    sha256_init(&s);
    if (df_is_tree(r)) {
        plan_tree t = {&s, hc};
        if (tree_walk(path, fv_get(r->fields, "exclude"), plan_tree_item, &t, err) != 0)
            return -1;
    } else if (strcmp(r->type->name, "File") == 0) {
        unsigned char h[SHA256_LEN];
        if (hc_file(hc, path, h, err) < 0)
            return -1;
        sha256_update(&s, h, sizeof h);
    } else {
        return 0;
    }
    plan_part(&s, key, src);
    return 0;
}

/* "IDX:HASH6" for each field r sets, in the table's order, to out (the
 * label names changed fields by them); each field's whole hash to key
 * (which decides). */
static void plan_fields(const bundle_res *r, sha256_ctx *key, strbuf *out)
{
    strbuf json = STRBUF_INIT, why = STRBUF_INIT;
    for (size_t k = 0; r->type->fields[k].name; k++) {
        const fv *v = fv_get(r->fields, r->type->fields[k].name);
        if (!v)
            continue;
        sb_reset(&json);
        if (fvj_write(v, &json, 0, &why) < 0)
            sb_adds(&json, "?"); /* cannot happen for a validated field */
        sha256_ctx s;
        sha256_init(&s);
        sha256_update(&s, json.buf, json.len);
        unsigned char d[SHA256_LEN];
        sha256_final(&s, d);
        sha256_field(key, r->type->fields[k].name, strlen(r->type->fields[k].name));
        sha256_field(key, d, sizeof d);
        strbuf h = STRBUF_INIT;
        sha256_hex(d, 3, &h);
        sb_addf(out, "%s%zu:%s", out->len ? "." : "", k, h.buf);
        sb_release(&h);
    }
    if (!out->len)
        sb_addc(out, '-');
    sb_release(&json);
    sb_release(&why);
}

/* Feeds each line of d credited to resource res (-1: the lines before the
 * first resource's, -2: after the last's, FROM lines left out: the base
 * is its ID) to s. Returns how many. */
static size_t plan_lines(const dockerfile *d, long res, long first, long last, sha256_ctx *s)
{
    size_t taken = 0;
    const char *l = d->text.buf;
    for (size_t k = 0; *l; k++) {
        size_t n = strcspn(l, "\n");
        long r = k < d->nsteps ? d->step_res[k] : -1;
        int take = res >= 0    ? r == res
                   : res == -1 ? r < 0 && (long)k < first && strncmp(l, "FROM ", 5) != 0
                               : r < 0 && (long)k > last;
        if (take)
            sha256_field(s, l, n);
        taken += take != 0;
        l += n + (l[n] == '\n');
    }
    return taken;
}

int plan_compute(plan *p, const bundle *b, const dockerfile *d, const char *base_id,
                 const char *task_key, hc_cache *hc, strbuf *err)
{
    memset(p, 0, sizeof *p);
    sb_init(&p->base);
    p->no_cache = df_first_no_cache(b);
    /* Only an ID the label's format can hold: any other is "not known". */
    const char *hex = base_id && strncmp(base_id, "sha256:", 7) == 0 ? base_id + 7 : "";
    if (strlen(hex) == SHA256_HEX && strspn(hex, "0123456789abcdef") == SHA256_HEX)
        sb_adds(&p->base, hex);
    sha256_ctx s, whole;
    sha256_init(&whole);
    sha256_field(&whole, PLAN_VERSION, 1);
    sha256_field(&whole, p->base.buf, p->base.len);
    plan_short(task_key, strlen(task_key), &whole, p->t);
    plan_short(fuse_payload_start,
               (size_t)((uintptr_t)fuse_payload_end - (uintptr_t)fuse_payload_start), &whole, p->p);
    long first = -1, last = -1;
    for (size_t k = 0; k < d->nsteps; k++) {
        if (d->step_res[k] >= 0 && first < 0)
            first = (long)k;
        if (d->step_res[k] >= 0)
            last = (long)k;
    }
    if (first < 0)
        first = last = (long)d->nsteps;
    sha256_init(&s);
    plan_lines(d, -1, first, last, &s);
    plan_part(&s, &whole, p->o);
    sha256_init(&s);
    plan_lines(d, -2, first, last, &s);
    plan_part(&s, &whole, p->m);
    p->steps = xcalloc(b->n ? b->n : 1, sizeof *p->steps);
    for (size_t i = 0; i < b->n; i++, p->n++) {
        plan_step *st = &p->steps[i];
        const bundle_res *r = &b->items[i];
        sb_init(&st->fields);
        /* The key from whole hashes; the label's short ones only name. */
        sha256_init(&s);
        sha256_field(&s, r->type->name, strlen(r->type->name));
        if (plan_source(r, hc, &s, st->src, err) < 0) {
            plan_free(p);
            return -1;
        }
        plan_fields(r, &s, &st->fields);
        char ty[9];
        plan_short(r->type->name, strlen(r->type->name), NULL, ty);
        memcpy(st->type, ty, 4);
        /* A resource no line is credited to is in the step of the one
         * before (a layer group, a batch: dockerfile.c credits the first). */
        st->unit = plan_lines(d, (long)i, first, last, &s) || i == 0 ? i : p->steps[i - 1].unit;
        unsigned char dg[SHA256_LEN];
        sha256_final(&s, dg);
        sha256_update(&whole, dg, sizeof dg);
        strbuf h = STRBUF_INIT;
        sha256_hex(dg, 8, &h);
        memcpy(st->key, h.buf, 16);
        sb_release(&h);
    }
    plan_hex(&whole, p->whole, SHA256_HEX);
    return 0;
}

/* The hash recorded for field idx in fields ("IDX:HASH.IDX:HASH"), or NULL. */
static const char *plan_field_hash(const char *fields, size_t idx)
{
    for (const char *f = fields; *f && *f != '-';) {
        char *end;
        unsigned long k = strtoul(f, &end, 10);
        if (*end != ':')
            return NULL;
        if (k == idx)
            return end + 1;
        f = strchr(end, '.');
        if (!f)
            break;
        f++;
    }
    return NULL;
}

/* The names of the fields whose hashes differ between old and now. */
static void plan_changed_fields(const rt_type *t, const plan_step *old, const plan_step *now,
                                strbuf *out)
{
    for (size_t k = 0; t->fields[k].name; k++) {
        const char *a = plan_field_hash(old->fields.buf, k);
        const char *b = plan_field_hash(now->fields.buf, k);
        if ((a == NULL) != (b == NULL) || (a && strncmp(a, b, 6) != 0))
            sb_addf(out, "%s%s", out->len ? "," : "", t->fields[k].name);
    }
}

/* A source path as the user wrote it: relative to the working directory
 * when it is below it. */
static void plan_path(const char *path, strbuf *out)
{
    char cwd[4096];
    size_t n = getcwd(cwd, sizeof cwd) ? strlen(cwd) : 0;
    if (n > 1 && strncmp(path, cwd, n) == 0 && path[n] == '/')
        path += n + 1;
    sb_adds(out, path);
}

/* Why step i of now is not the recorded one (old, i < old->n), or "" when
 * it is. */
static void plan_step_reason(const plan *now, const plan *old, size_t i, const bundle_res *r,
                             strbuf *why)
{
    const plan_step *a = &old->steps[i], *b = &now->steps[i];
    if (strcmp(a->type, b->type) != 0) {
        sb_adds(why, "never built");
        return;
    }
    if (strcmp(a->key, b->key) == 0)
        return;
    if (strcmp(a->src, b->src) != 0 && strcmp(b->src, "-") != 0) {
        sb_adds(why, "source changed: ");
        plan_path(fv_gets(r->fields, "source"), why);
        return;
    }
    strbuf names = STRBUF_INIT;
    plan_changed_fields(r->type, a, b, &names);
    if (strcmp(names.buf, "contents") == 0)
        sb_adds(why, "contents changed");
    else if (names.len)
        sb_addf(why, "fields changed: %s", names.buf);
    else
        sb_adds(why, "options changed");
    sb_release(&names);
}

/* Why every step must run (before the first resource), or "". */
static void plan_head_reason(const plan *now, const plan *old, int have, strbuf *why)
{
    if (!have || strcmp(old->t, now->t) != 0)
        sb_adds(why, "never built");
    else if (strcmp(old->p, now->p) != 0)
        sb_adds(why, "fuse-apply changed");
    else if (strcmp(old->base.buf, now->base.buf) != 0 || !now->base.len)
        sb_adds(why, "base image changed");
    else if (strcmp(old->o, now->o) != 0)
        sb_adds(why, "options changed");
}

static void plan_ident(const bundle_res *r, strbuf *id)
{
    sb_reset(id);
    if (r->ident)
        sb_adds(id, r->ident);
    else
        rt_ident(r->type, r->fields, id);
}

/* Each step's reason ("" cached) into why[0..n); the image settings' into
 * why[n]. */
/* Step i's lines changed but not its fields or source: a resource later in
 * its step (a layer group, a batch) holds the change. Its index, or i. */
static size_t plan_member(const plan *now, const plan *old, size_t i, const bundle *b)
{
    for (size_t j = i + 1; j < now->n && j < old->n && now->steps[j].unit == i; j++) {
        strbuf why = STRBUF_INIT;
        plan_step_reason(now, old, j, &b->items[j], &why);
        int found = why.len && strcmp(why.buf, "options changed") != 0;
        sb_release(&why);
        if (found)
            return j;
    }
    return i;
}

/* Step i's own reason; when a later resource of its step holds the change,
 * "in one step with" that one, whose index goes to *member. */
static void plan_own_reason(const plan *now, const plan *old, size_t i, const bundle *b,
                            size_t *member, strbuf *why)
{
    plan_step_reason(now, old, i, &b->items[i], why);
    size_t j = strcmp(why->buf, "options changed") == 0 ? plan_member(now, old, i, b) : i;
    if (j == i)
        return;
    *member = j;
    strbuf id = STRBUF_INIT;
    plan_ident(&b->items[j], &id);
    sb_reset(why);
    sb_addf(why, "in one step with %s", id.buf);
    sb_release(&id);
}

static void plan_reasons(const plan *now, const plan *old, int have, const bundle *b, strbuf *why)
{
    int changed = 0;
    size_t first = now->n, member = now->n;
    plan_head_reason(now, old, have, &why[0]);
    for (size_t i = 0; i < now->n; i++) {
        if (i > 0 && (!have || !changed))
            sb_addbuf(&why[i], &why[i - 1]); /* never built / the head's reason */
        if (i == member)
            plan_step_reason(now, old, i, &b->items[i], &why[i]);
        else if (changed && have)
            sb_adds(&why[i], "after a change above");
        else if (!why[i].len && (long)i == now->no_cache)
            sb_adds(&why[i], "cache = false");
        else if (!why[i].len && i < old->n)
            plan_own_reason(now, old, i, b, &member, &why[i]);
        else if (!why[i].len)
            sb_adds(&why[i], "never built");
        if (why[i].len && !changed)
            first = i;
        changed = changed || why[i].len;
    }
    strbuf *set = &why[now->n]; /* with no resource, it holds the head's reason */
    if (now->n > 0 && changed)
        sb_adds(set, have ? "after a change above" : "never built");
    else if (!set->len && strcmp(old->m, now->m) != 0)
        sb_adds(set, "options changed");
    /* The resources before the first change in its step run with it. */
    if (have && first < now->n) {
        strbuf id = STRBUF_INIT;
        plan_ident(&b->items[first], &id);
        for (size_t i = now->steps[first].unit; i < first; i++)
            sb_addf(&why[i], "in one step with %s", id.buf);
        sb_release(&id);
    }
}

void plan_print(const plan *now, const char *label, const bundle *b, const char *lead, FILE *out)
{
    plan old;
    int have = plan_parse(&old, label) == 0;
    strbuf *why = xcalloc(now->n + 1, sizeof *why), id = STRBUF_INIT;
    for (size_t i = 0; i <= now->n; i++)
        sb_init(&why[i]);
    plan_reasons(now, &old, have, b, why);
    for (size_t i = 0; i <= now->n; i++) {
        if (i < now->n) {
            plan_ident(&b->items[i], &id);
            fprintf(out, "%s[%zu/%zu] %s: ", lead, i + 1, now->n, id.buf);
        } else {
            fprintf(out, "%simage settings: ", lead);
        }
        fprintf(out, "%s%s\n", why[i].len ? "build: " : "", why[i].len ? why[i].buf : "cached");
        sb_release(&why[i]);
    }
    free(why);
    sb_release(&id);
    if (have)
        plan_free(&old);
}

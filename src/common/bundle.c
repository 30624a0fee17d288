/* bundle.c -- an ordered, validated list of resources, and its JSON form. */
#include "bundle.h"

#include "bundle_fuselage.h"
#include "fvjson.h"
#include "mem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bundles hold up to tens of thousands of resources (fuse-apply's batch
 * steps), and every add checks for a duplicate identity: a scan made that
 * O(n^2), about 1 s for 10,000. So bundle_add keeps an open-addressing hash
 * index, two tables of item position + 1 (0 is an empty slot) sharing one
 * size, a power of two at most half full: one keyed by identity, one by bare
 * name holding the first item of each name (bundle_find's fallback). */
struct bundle_index {
    size_t cap; /* slots in each table */
    size_t n;   /* items indexed: b->items[0..n) */
    size_t *by_ident;
    size_t *by_name;
};

void bundle_init(bundle *b)
{
    b->items = NULL;
    b->n = b->cap = 0;
    b->index = NULL;
}

static void bundle_index_free(struct bundle_index *x)
{
    if (!x)
        return;
    free(x->by_ident);
    free(x->by_name);
    free(x);
}

void bundle_free(bundle *b)
{
    for (size_t i = 0; i < b->n; i++) {
        fv_free(b->items[i].fields);
        free(b->items[i].where);
        free(b->items[i].ident);
    }
    free(b->items);
    bundle_index_free(b->index);
    bundle_init(b);
}

/* The name part of a cached identity: "File[/x]" -> "/x" (length in *len). */
static const char *bundle_res_name(const bundle_res *r, size_t *len)
{
    size_t skip = strlen(r->type->name) + 1;
    *len = strlen(r->ident) - skip - 1;
    return r->ident + skip;
}

/* FNV-1a, 64-bit: short keys, no attacker to fear (the task file is ours). */
static uint64_t bundle_hash(const char *s, size_t len)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* The slot of key in a table: the one holding it, or the empty one where it
 * goes. name selects which part of an item's identity is the key. */
static size_t *bundle_slot(const bundle *b, size_t *table, int name, const char *key, size_t len)
{
    size_t mask = b->index->cap - 1;
    for (size_t i = (size_t)bundle_hash(key, len) & mask;; i = (i + 1) & mask) {
        if (!table[i])
            return &table[i];
        const bundle_res *r = &b->items[table[i] - 1];
        size_t klen;
        const char *k = name ? bundle_res_name(r, &klen) : r->ident;
        if (!name)
            klen = strlen(k);
        if (klen == len && memcmp(k, key, len) == 0)
            return &table[i];
    }
}

/* Indexes b->items[pos]; an identity or a name already there keeps its slot
 * (identities are unique, and for names the first item wins). */
static void bundle_index_put(bundle *b, size_t pos)
{
    const bundle_res *r = &b->items[pos];
    size_t len;
    const char *name = bundle_res_name(r, &len);
    size_t *slot = bundle_slot(b, b->index->by_ident, 0, r->ident, strlen(r->ident));
    if (!*slot)
        *slot = pos + 1;
    slot = bundle_slot(b, b->index->by_name, 1, name, len);
    if (!*slot)
        *slot = pos + 1;
}

/* Makes room for one more item, rebuilding the tables twice as large when
 * they would pass half full, and brings the index up to b->n. */
static void bundle_index_grow(bundle *b)
{
    struct bundle_index *x = b->index;
    if (!x) {
        x = b->index = xcalloc(1, sizeof *x);
    }
    if ((b->n + 1) * 2 > x->cap) {
        size_t cap = x->cap ? x->cap : 64;
        while ((b->n + 1) * 2 > cap)
            cap *= 2;
        free(x->by_ident);
        free(x->by_name);
        x->by_ident = xcalloc(cap, sizeof *x->by_ident);
        x->by_name = xcalloc(cap, sizeof *x->by_name);
        x->cap = cap;
        x->n = 0;
    }
    for (; x->n < b->n; x->n++)
        bundle_index_put(b, x->n);
}

/* Position of the item whose identity is ref, or -1. The index is used when
 * it covers every item (bundles are built by bundle_add, which keeps it so);
 * otherwise, a scan. */
static long bundle_find_ident(const bundle *b, const char *ref)
{
    if (b->index && b->index->n == b->n && b->n) {
        size_t *slot = bundle_slot(b, b->index->by_ident, 0, ref, strlen(ref));
        return *slot ? (long)*slot - 1 : -1;
    }
    for (size_t i = 0; i < b->n; i++)
        if (strcmp(b->items[i].ident, ref) == 0)
            return (long)i;
    return -1;
}

int bundle_any_watches(const bundle *b)
{
    for (size_t i = 0; i < b->n; i++) {
        const fv *w = fv_get(b->items[i].fields, "watches");
        if (w && w->kind == FV_LIST && w->n)
            return 1;
    }
    return 0;
}

long bundle_find(const bundle *b, const char *ref)
{
    long i = bundle_find_ident(b, ref);
    if (i >= 0)
        return i;
    size_t rlen = strlen(ref);
    if (b->index && b->index->n == b->n && b->n) {
        size_t *slot = bundle_slot(b, b->index->by_name, 1, ref, rlen);
        return *slot ? (long)*slot - 1 : -1;
    }
    for (size_t j = 0; j < b->n; j++) {
        size_t len;
        const char *name = bundle_res_name(&b->items[j], &len);
        if (len == rlen && memcmp(name, ref, len) == 0)
            return (long)j;
    }
    return -1;
}

/* Checks that every watches entry of the resource at pos names an earlier
 * resource, as fuselage does: a watch on a later one would fire a run late,
 * one on nothing never. elsewhere lets an entry name no resource of b at all
 * (fuse-apply --state: it came in an earlier invocation). who begins the
 * message: the identity, or "resource 3 (Execute)" for a loaded bundle. */
static int bundle_check_watches(const bundle *b, const fv *fields, size_t pos, int elsewhere,
                                const char *who, strbuf *err)
{
    const fv *w = fv_get(fields, "watches");
    if (!w || w->kind != FV_LIST)
        return 0;
    for (size_t i = 0; i < w->n; i++) {
        long at = bundle_find(b, w->items[i]->str);
        if ((at >= 0 && (size_t)at < pos) || (at < 0 && elsewhere))
            continue;
        sb_addf(err, "%s: watches ", who);
        rt_quote(err, w->items[i]->str, w->items[i]->len);
        if (at < 0)
            sb_adds(err, ", which is not an earlier resource");
        else if ((size_t)at == pos)
            sb_adds(err, ", which is itself");
        else
            sb_adds(err, ", which comes later in the bundle (a watched resource must come first)");
        return -1;
    }
    return 0;
}

/* Drops JSON nulls: validation took them as absent, and providers should
 * not have to tell the two apart. */
static void bundle_drop_nulls(fv *fields)
{
    for (size_t i = fields->n; i-- > 0;)
        if (fields->items[i]->kind == FV_NULL)
            fv_del(fields, fields->keys[i]);
}

/* layer = "NAME" makes one build step of consecutive resources; a name
 * used again after other resources would have to split or reorder them. */
static int bundle_check_layer(const bundle *b, const fv *fields, const char *ident, strbuf *err)
{
    const char *layer = fv_gets(fields, "layer");
    if (!layer || b->n == 0)
        return 0;
    const char *prev = fv_gets(b->items[b->n - 1].fields, "layer");
    if (prev && strcmp(prev, layer) == 0)
        return 0;
    for (size_t i = b->n - 1; i-- > 0;) {
        const char *l = fv_gets(b->items[i].fields, "layer");
        if (!l || strcmp(l, layer) != 0)
            continue;
        sb_addf(err, "%s: layer \"%s\" is on resources that are not consecutive: %s", ident, layer,
                b->items[i].ident);
        if (b->items[i].where)
            sb_addf(err, " (%s)", b->items[i].where);
        sb_addf(err, " is in it, %s is not", b->items[b->n - 1].ident);
        return -1;
    }
    return 0;
}

/* check_watches is off for bundle_load, which checks them once the whole
 * bundle is in (bundle_load_watches): only then is a later resource known. */
static int bundle_add_opt(bundle *b, const rt_type *t, fv *fields, const char *where,
                          int check_watches, strbuf *err)
{
    if (rt_validate(t, fields, err) < 0)
        return -1;
    strbuf ident = STRBUF_INIT;
    rt_ident(t, fields, &ident);
    bundle_index_grow(b);
    long dup = bundle_find_ident(b, ident.buf);
    if (dup >= 0) {
        sb_addf(err, "duplicate resource %s", ident.buf);
        if (b->items[dup].where)
            sb_addf(err, "\nfirst defined at %s", b->items[dup].where);
        sb_release(&ident);
        return -1;
    }
    if ((check_watches && bundle_check_watches(b, fields, b->n, 0, ident.buf, err) < 0) ||
        bundle_check_layer(b, fields, ident.buf, err) < 0) {
        sb_release(&ident);
        return -1;
    }
    /* Valid fields are a map: every type requires a name, so the empty
     * list an empty Lua table may arrive as never passes validation. */
    bundle_drop_nulls(fields);
    ALLOC_GROW(b->items, b->n + 1, b->cap);
    bundle_res *r = &b->items[b->n++];
    r->type = t;
    r->fields = fields;
    r->where = where ? xstrdup(where) : NULL;
    r->ident = sb_detach(&ident, NULL);
    bundle_index_put(b, b->n - 1);
    b->index->n = b->n;
    return 0;
}

int bundle_add(bundle *b, const rt_type *t, fv *fields, const char *where, strbuf *err)
{
    return bundle_add_opt(b, t, fields, where, 1, err);
}

/* A shell is a container made only to present existing values in another
 * order or wrapping: it owns its arrays and keys, not its items. */
static void bundle_shell_free(fv *s)
{
    for (size_t i = 0; s->keys && i < s->n; i++)
        free(s->keys[i]);
    free(s->keys);
    free(s->items);
    free(s);
}

/* Holds what a dump view allocated, to free it afterwards. */
typedef struct bundle_view {
    fv **shells;
    size_t nshells, cap;
    fv *redacted; /* one "<sensitive>" string, shared by every redacted resource */
} bundle_view;

static fv *bundle_view_shell(bundle_view *w, fv *s)
{
    ALLOC_GROW(w->shells, w->nshells + 1, w->cap);
    w->shells[w->nshells++] = s;
    return s;
}

static void bundle_view_free(bundle_view *w)
{
    for (size_t i = 0; i < w->nshells; i++)
        bundle_shell_free(w->shells[i]);
    free(w->shells);
    fv_free(w->redacted);
}

static int bundle_is_sensitive(const bundle_res *r)
{
    const fv *s = fv_get(r->fields, "sensitive");
    return s && s->kind == FV_BOOL && s->b;
}

/* {"Type": {fields in table order}}, borrowing the values of r. */
static fv *bundle_res_view(bundle_view *w, const bundle_res *r, unsigned flags)
{
    fv *fields = bundle_view_shell(w, fv_map());
    int redact = (flags & BUNDLE_REDACT) && bundle_is_sensitive(r);
    for (const rt_field *f = r->type->fields; f->name; f++) {
        fv *v = fv_get(r->fields, f->name);
        if (!v || v->kind == FV_NULL)
            continue;
        if (redact && (f->flags & RT_SENSITIVE)) {
            if (!w->redacted)
                w->redacted = fv_strz("<sensitive>");
            v = w->redacted;
        }
        fv_set(fields, f->name, v);
    }
    fv *res = bundle_view_shell(w, fv_map());
    fv_set(res, r->type->name, fields);
    return res;
}

static int bundle_write(const fv *v, strbuf *out, unsigned flags)
{
    strbuf err = STRBUF_INIT;
    int rc = fvj_write(v, out, (flags & BUNDLE_PRETTY) ? FVJ_PRETTY : 0, &err);
    sb_release(&err);
    return rc;
}

int bundle_res_dump(const bundle_res *r, strbuf *out, unsigned flags)
{
    bundle_view w = {0};
    fv *res = bundle_res_view(&w, r, flags);
    int rc = bundle_write(res, out, flags);
    bundle_view_free(&w);
    return rc;
}

int bundle_dump(const bundle *b, strbuf *out, unsigned flags)
{
    bundle_view w = {0};
    fv *version = fv_num(1);
    fv *list = bundle_view_shell(&w, fv_list());
    for (size_t i = 0; i < b->n; i++)
        fv_push(list, bundle_res_view(&w, &b->items[i], flags));
    fv *root = bundle_view_shell(&w, fv_map());
    fv_set(root, "version", version);
    fv_set(root, "resources", list);
    int rc = bundle_write(root, out, flags);
    bundle_view_free(&w);
    fv_free(version);
    return rc;
}

/* Loading */

/* The list of resources in any of the three accepted forms, or NULL. */
static const fv *bundle_resources(const fv *root, strbuf *err)
{
    if (root->kind == FV_LIST)
        return root;
    if (root->kind == FV_MAP && fv_get(root, "resources")) {
        const fv *ver = fv_get(root, "version");
        if (ver && !(ver->kind == FV_NUM && ver->num == 1)) {
            sb_adds(err, "bad bundle: unsupported version");
            if (ver->kind == FV_NUM)
                sb_addf(err, " %g", ver->num);
            sb_adds(err, "\nthis fuse-apply reads version 1");
            return NULL;
        }
        const fv *res = fv_get(root, "resources");
        if (res->kind == FV_LIST || (res->kind == FV_MAP && res->n == 0))
            return res;
        sb_adds(err, "bad bundle: \"resources\" must be a list");
        return NULL;
    }
    sb_adds(err, "bad bundle: expected {\"version\": 1, \"resources\": [...]}, "
                 "a list of resources or one resource");
    return NULL;
}

/* Validates and adds the fields in *slot as resource number index; on
 * success the bundle owns them and *slot is left holding a null. */
static int bundle_load_fields(bundle *b, const rt_type *t, fv **slot, size_t index, strbuf *err)
{
    strbuf why = STRBUF_INIT;
    if (bundle_fuselage_fields(t, *slot, &why) < 0 ||
        bundle_add_opt(b, t, *slot, NULL, 0, &why) < 0) {
        /* rt_validate says "File: ..."; here the prefix names the resource. */
        const char *m = why.buf;
        size_t tl = strlen(t->name);
        if (strncmp(m, t->name, tl) == 0 && m[tl] == ':' && m[tl + 1] == ' ')
            m += tl + 2;
        sb_addf(err, "resource %zu (%s): %s", index, t->name, m);
        sb_release(&why);
        return -1;
    }
    sb_release(&why);
    *slot = fv_null();
    return 0;
}

/* One {"Type": {...}} entry; fuselage also allows {"Type": [{...}, ...]}.
 * *index counts resources, 1-based, across the whole bundle. */
static int bundle_load_entry(bundle *b, fv *res, size_t *index, strbuf *err)
{
    if (res->kind != FV_MAP || res->n != 1) {
        sb_addf(err, "resource %zu: expected an object like {\"File\": {...}}", *index + 1);
        return -1;
    }
    const rt_type *t = rt_find(res->keys[0]);
    const char *missing = bundle_fuselage_missing(res->keys[0]);
    if (!t && missing) {
        sb_addf(err, "resource %zu: fuse does not carry fuselage's %s resource (%s)", *index + 1,
                res->keys[0], missing);
        return -1;
    }
    if (!t) {
        sb_addf(err, "resource %zu: unknown type ", *index + 1);
        rt_quote(err, res->keys[0], strlen(res->keys[0]));
        sb_adds(err, "\naccepted: ");
        for (size_t i = 0; rt_types[i]; i++)
            sb_addf(err, "%s%s", i ? ", " : "", rt_types[i]->name);
        return -1;
    }
    fv *body = res->items[0];
    if (body->kind != FV_LIST)
        return bundle_load_fields(b, t, &res->items[0], ++*index, err);
    for (size_t i = 0; i < body->n; i++)
        if (bundle_load_fields(b, t, &body->items[i], ++*index, err) < 0)
            return -1;
    return 0;
}

/* Rewrites the watches entries of item i that name an earlier Line the
 * way fuselage names it (bundle_fuselage_line_ref) to that Line's identity,
 * which is what its change marker is kept under. */
static void bundle_load_line_refs(bundle *b, size_t i)
{
    fv *w = fv_get(b->items[i].fields, "watches");
    for (size_t k = 0; w && w->kind == FV_LIST && k < w->n; k++) {
        if (bundle_find(b, w->items[k]->str) >= 0)
            continue;
        long at = bundle_fuselage_line_ref(b, w->items[k]->str, i);
        if (at < 0)
            continue;
        fv_free(w->items[k]);
        w->items[k] = fv_strz(b->items[at].ident);
    }
}

/* The watches of every loaded resource, once all are in. */
static int bundle_load_watches(bundle *b, unsigned flags, strbuf *err)
{
    strbuf who = STRBUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < b->n && rc == 0; i++) {
        bundle_load_line_refs(b, i);
        sb_reset(&who);
        sb_addf(&who, "resource %zu (%s)", i + 1, b->items[i].type->name);
        rc = bundle_check_watches(b, b->items[i].fields, i, flags & BUNDLE_WATCH_ELSEWHERE, who.buf,
                                  err);
    }
    sb_release(&who);
    return rc;
}

int bundle_load(bundle *b, const char *json, size_t len, strbuf *err)
{
    return bundle_load_ext(b, json, len, 0, err);
}

int bundle_load_ext(bundle *b, const char *json, size_t len, unsigned flags, strbuf *err)
{
    strbuf why = STRBUF_INIT;
    fv *root = fvj_parse(json, len, &why);
    if (!root) {
        sb_addf(err, "bad bundle JSON: %s", why.buf);
        sb_release(&why);
        return -1;
    }
    sb_release(&why);
    int rc = 0;
    size_t index = 0;
    if (root->kind == FV_MAP && root->n == 1 &&
        (rt_find(root->keys[0]) || bundle_fuselage_missing(root->keys[0]))) {
        rc = bundle_load_entry(b, root, &index, err);
    } else {
        const fv *list = bundle_resources(root, err);
        rc = list ? 0 : -1;
        for (size_t i = 0; list && i < list->n && rc == 0; i++)
            rc = bundle_load_entry(b, list->items[i], &index, err);
    }
    fv_free(root);
    return rc < 0 ? rc : bundle_load_watches(b, flags, err);
}

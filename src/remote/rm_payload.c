/* rm_payload.c -- what a blueprint sends each host besides fuse-apply: the
 * bundle, and the files it names on this machine.
 *
 * A File's source travels as src/N. A Directory with a source (a tree) has
 * no provider in fuse-apply (in an image, the build's COPY puts it in
 * place), so it is sent as what it means: the Directory itself (its mode,
 * owner, group), then one resource per entry below it, in tree.c's order:
 * a Directory (the entry's mode), a File whose source is tree/N/REL (mode
 * and data); then its links (the target as written) after everything else,
 * since fuse-apply refuses a link whose target is not there yet. The owner
 * and group given to the tree go to every entry, as in an image. */
#include "rm_int.h"

#include "mem.h"
#include "tree.h"

#include <stdlib.h>
#include <string.h>

/* Refuses what only an image build can do. */
static int rm_unsupported(const bundle_res *r, strbuf *err)
{
    if (fv_get(r->fields, "from")) {
        sb_addf(err, "blueprint: %s: from copies out of an image; a host has none", r->ident);
        return -1;
    }
    return 0;
}

static const char *rm_entry(rm_payload *p, const char *name, const char *path)
{
    ALLOC_GROW(p->es, p->n + 1, p->cap);
    name = strvec_push(&p->own, name);
    p->es[p->n++] = (ctx_entry){
        .name = name, .path = strvec_push(&p->own, path), .mode = 0600, .keep_mtime = 1};
    return name;
}

/* Adds fields as a resource of type to the bundle; takes fields. */
static int rm_add(bundle *b, const char *type, fv *fields, const char *where, strbuf *err)
{
    if (bundle_add(b, rt_find(type), fields, where, err) == 0)
        return 0;
    fv_free(fields);
    return -1;
}

/* tree_walk's state for one tree. */
typedef struct rm_tree {
    rm_payload *p;
    bundle *b;
    const bundle_res *r;
    size_t index; /* the tree's resource: tree/INDEX/ */
    fv *links;    /* the Links, added once the walk is done */
} rm_tree;

static int rm_tree_entry(const tree_item *it, void *ud, strbuf *err)
{
    rm_tree *t = ud;
    const fv *f = t->r->fields;
    if (!*it->rel) {
        /* The Directory itself, without the tree. */
        fv *top = fv_copy(f);
        fv_del(top, "source");
        fv_del(top, "exclude");
        return rm_add(t->b, "Directory", top, t->r->where, err);
    }
    strbuf name = STRBUF_INIT, mode = STRBUF_INIT;
    sb_addf(&name, "%s/%s", fv_gets(f, "name"), it->rel);
    sb_addf(&mode, "%04o", (unsigned)(it->st->st_mode & 07777));
    fv *e = fv_map();
    fv_set(e, "name", fv_strz(name.buf));
    const char *type = it->link ? "Link" : S_ISDIR(it->st->st_mode) ? "Directory" : "File";
    if (it->link) {
        fv_set(e, "to", fv_strz(it->link));
    } else {
        fv_set(e, "mode", fv_strz(mode.buf));
    }
    if (!it->link && !S_ISDIR(it->st->st_mode)) {
        sb_reset(&name);
        sb_addf(&name, "tree/%zu/%s", t->index, it->rel);
        fv_set(e, "source", fv_strz(rm_entry(t->p, name.buf, it->path)));
    }
    for (const char *k = "owner"; k; k = strcmp(k, "owner") == 0 ? "group" : NULL)
        if (fv_get(f, k))
            fv_set(e, k, fv_copy(fv_get(f, k)));
    sb_release(&name);
    sb_release(&mode);
    if (it->link) {
        fv_push(t->links, e);
        return 0;
    }
    return rm_add(t->b, type, e, t->r->where, err);
}

static int rm_tree_links(rm_tree *t, strbuf *err)
{
    for (size_t i = 0; i < t->links->n; i++) {
        fv *e = t->links->items[i];
        t->links->items[i] = NULL;
        if (rm_add(t->b, "Link", e, t->r->where, err) < 0)
            return -1;
    }
    return 0;
}

/* One resource into the bundle sent to the host. */
static int rm_resource(rm_payload *p, bundle *copy, const bundle_res *r, size_t i, strbuf *err)
{
    if (rm_unsupported(r, err) < 0)
        return -1;
    const char *src = fv_gets(r->fields, "source");
    if (src && strcmp(r->type->name, "Directory") == 0) {
        rm_tree t = {p, copy, r, i, fv_list()};
        strbuf why = STRBUF_INIT;
        int rc = tree_walk(src, fv_get(r->fields, "exclude"), rm_tree_entry, &t, &why);
        if (rc == 0)
            rc = rm_tree_links(&t, &why);
        if (rc != 0)
            sb_addf(err, "blueprint: %s: %s", r->ident, why.len ? why.buf : "cannot send the tree");
        sb_release(&why);
        fv_free(t.links);
        return rc == 0 ? 0 : -1;
    }
    fv *f = fv_copy(r->fields);
    if (src) {
        strbuf name = STRBUF_INIT;
        sb_addf(&name, "src/%zu", i);
        fv_set(f, "source", fv_strz(rm_entry(p, name.buf, src)));
        sb_release(&name);
    }
    return rm_add(copy, r->type->name, f, r->where, err);
}

int rm_payload_make(const bundle *b, rm_payload *p, unsigned flags, strbuf *err)
{
    bundle copy;
    bundle_init(&copy);
    /* bundle.json first: its data is filled in once the bundle is whole. */
    ALLOC_GROW(p->es, 1, p->cap);
    p->n = 1;
    int rc = 0;
    for (size_t i = 0; i < b->n && rc == 0; i++)
        rc = rm_resource(p, &copy, &b->items[i], i, err);
    if (rc == 0 && bundle_dump(&copy, &p->json, flags) < 0) {
        sb_adds(err, "blueprint: cannot write the bundle");
        rc = -1;
    }
    bundle_free(&copy);
    p->es[0] =
        (ctx_entry){.name = "bundle.json", .data = p->json.buf, .len = p->json.len, .mode = 0600};
    return rc;
}

void rm_payload_free(rm_payload *p)
{
    free(p->es);
    sb_release(&p->json);
    strvec_clear(&p->own);
}

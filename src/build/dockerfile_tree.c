/* dockerfile_tree.c -- the step of a Directory with a source (a tree).
 *
 * The tree travels in the context as .fuse/trees/N/BASE (BASE the last
 * component of the Directory's name; tree.c writes it) and one COPY puts
 * it in place:
 *
 *   COPY --chown=U:G [".fuse/trees/N/","/srv/"]
 *
 * Copying into the parent, not onto the name itself, because Docker's COPY
 * of a directory applies the source's mode and --chown to the entries it
 * copies but never to the destination directory: BASE is an entry, so the
 * Directory's mode and owner reach the top directory too, whether it
 * existed or not. The engine keys the cache of a COPY on the content of
 * what it copies (names, data, modes, link targets), so touching one file
 * reruns this step and touching nothing reuses it. */
#include "dockerfile.h"

#include "mem.h"

#include <stdlib.h>
#include <string.h>

/* ---- COPY's words: --chown and destinations (declared in dockerfile.h) ---- */

/* An owner or group that --chown=U:G carries as fuse-apply reads it: a
 * number (both take all digits as an ID), or a name of the portable
 * characters; ':' would split the flag, and names are looked up in the
 * image's /etc/passwd and /etc/group by both. */
int df_chown_id_ok(const fv *v)
{
    if (fv_is_int(v))
        return v->num >= 0 && v->num <= 999999999;
    if (v->kind != FV_STR || v->len == 0 || v->len > 32 || v->str[0] == '-')
        return 0;
    size_t digits = strspn(v->str, "0123456789");
    if (digits == v->len)
        return v->len <= 9;
    for (size_t i = 0; i < v->len; i++) {
        unsigned char c = (unsigned char)v->str[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

/* A destination COPY writes as a file of that very name: one line of UTF-8
 * text, and not a directory spelling ("/x/", "/x/.", "/x/..") that COPY
 * would copy into. */
int df_copy_dest_ok(const char *name, size_t len)
{
    if (len < 2 || len > 4096 || name[0] != '/' || name[len - 1] == '/' || !df_utf8_ok(name, len))
        return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7F)
            return 0;
    const char *base = strrchr(name, '/') + 1;
    return strcmp(base, ".") != 0 && strcmp(base, "..") != 0;
}

/* 1 when a watches entry of the bundle names r, resolved as fuse-apply
 * resolves every watch (bundle_find: the identity, or else the bare name):
 * the watcher needs the change marker only fuse-apply writes. */
int df_is_watched(const bundle *b, const bundle_res *r)
{
    long pos = (long)(r - b->items);
    for (size_t i = 0; i < b->n; i++) {
        const fv *w = fv_get(b->items[i].fields, "watches");
        for (size_t j = 0; w && w->kind == FV_LIST && j < w->n; j++)
            if (w->items[j]->kind == FV_STR && bundle_find(b, w->items[j]->str) == pos)
                return 1;
    }
    return 0;
}

void df_chown_id(strbuf *t, const fv *v)
{
    if (!v)
        sb_addc(t, '0');
    else if (v->kind == FV_STR)
        sb_add(t, v->str, v->len);
    else
        sb_addf(t, "%lld", (long long)v->num);
}

int df_is_tree(const bundle_res *r)
{
    /* With from, source is inside another image: an artifact (df_stages.c). */
    return strcmp(r->type->name, "Directory") == 0 && fv_gets(r->fields, "source") != NULL &&
           !fv_get(r->fields, "from");
}

/* Where the tree goes: name without trailing slashes, and its parent.
 * Messages start with id, the identity (control bytes escaped: one line). */
static int df_tree_name(const bundle_res *r, const char *id, strbuf *name, strbuf *parent,
                        strbuf *err)
{
    const fv *v = fv_get(r->fields, "name");
    sb_add(name, v->str, v->len);
    while (name->len > 1 && name->buf[name->len - 1] == '/')
        sb_setlen(name, name->len - 1);
    if (!df_copy_dest_ok(name->buf, name->len)) {
        sb_addf(err, "%s: a tree cannot be copied to this name", id);
        return -1;
    }
    const char *slash = strrchr(name->buf, '/');
    sb_add(parent, name->buf, (size_t)(slash - name->buf));
    sb_addc(parent, '/');
    return 0;
}

static int df_tree_mode(const bundle_res *r, unsigned *mode, strbuf *err)
{
    const char *m = fv_gets(r->fields, "mode");
    if (!m)
        m = rt_default(r->type, "mode");
    char *end = NULL;
    long v = strtol(m, &end, 8);
    if (!*m || *end || v < 0 || v > 07777) {
        sb_adds(err, "Directory: mode is not an octal mode");
        return -1;
    }
    *mode = (unsigned)v;
    return 0;
}

/* --chown=U:G when an owner or group is given; both named, as for a File
 * (a user alone would make Docker take the group of the same name). */
static int df_tree_chown(const bundle_res *r, const char *id, strbuf *t, strbuf *err)
{
    const fv *owner = fv_get(r->fields, "owner"), *group = fv_get(r->fields, "group");
    if (!owner && !group)
        return 0;
    if ((owner && !df_chown_id_ok(owner)) || (group && !df_chown_id_ok(group))) {
        sb_addf(err,
                "%s: owner and group of a tree must be numbers or names of letters, digits, _ . -",
                id);
        return -1;
    }
    sb_adds(t, "--chown=");
    df_chown_id(t, owner);
    sb_addc(t, ':');
    df_chown_id(t, group);
    sb_addc(t, ' ');
    return 0;
}

int df_tree_step(dockerfile *d, size_t *alloc, const bundle *b, size_t i, strbuf *err)
{
    const bundle_res *r = &b->items[i];
    strbuf name = STRBUF_INIT, parent = STRBUF_INIT, dest = STRBUF_INIT, dir = STRBUF_INIT;
    strbuf id = STRBUF_INIT;
    strbuf *t = &d->text;
    unsigned mode = 0;
    int rc = -1;
    rt_ident(r->type, r->fields, &id);
    if (df_tree_name(r, id.buf, &name, &parent, err) < 0 || df_tree_mode(r, &mode, err) < 0)
        goto done;
    /* A watcher needs the change marker that only fuse-apply writes. */
    if (df_is_watched(b, r)) {
        sb_addf(err, "%s: a tree (source) cannot be watched", id.buf);
        goto done;
    }
    sb_adds(t, "COPY ");
    if (df_tree_chown(r, id.buf, t, err) < 0)
        goto done;
    sb_addf(&dir, ".fuse/trees/%zu", i + 1);
    sb_addc(t, '[');
    sb_addf(&dest, "%s/", dir.buf);
    df_json_str(t, dest.buf, dest.len);
    sb_addc(t, ',');
    sb_reset(&dest);
    /* COPY expands $VAR and reads quotes even in JSON form. */
    df_escape(&dest, parent.buf, parent.len, "\\$\"'");
    df_json_str(t, dest.buf, dest.len);
    sb_adds(t, "]\n");
    ALLOC_GROW(d->trees, d->ntrees + 1, *alloc);
    df_tree *tr = &d->trees[d->ntrees++];
    const char *slash = strrchr(name.buf, '/');
    *tr = (df_tree){.res = i,
                    .dir = sb_detach(&dir, NULL),
                    .base = xstrdup(slash + 1),
                    .source = fv_gets(r->fields, "source"),
                    .exclude = fv_get(r->fields, "exclude"),
                    .mode = mode};
    rc = 0;
done:
    sb_release(&name);
    sb_release(&parent);
    sb_release(&dest);
    sb_release(&dir);
    sb_release(&id);
    return rc;
}

void df_tree_free(dockerfile *d)
{
    for (size_t i = 0; i < d->ntrees; i++) {
        free(d->trees[i].dir);
        free(d->trees[i].base);
    }
    free(d->trees);
    d->trees = NULL;
    d->ntrees = 0;
}

/* tree.c -- walking the host tree of a Directory { source = ... } (see
 * tree.h), for the context (tree_context) and for -n (tree_describe).
 *
 * Memory: the walk keeps the sorted names of each directory it is inside
 * of and nothing of the files; the context keeps one entry (names only) per
 * file, its data is read while it is sent. */
#include "tree.h"

#include "ignore.h"
#include "mem.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* An excluded directory, walked because a "!" pattern may bring back
 * something below it; reported (shown) only when one does. */
typedef struct tree_pend {
    char *rel, *path;
    struct stat st;
} tree_pend;

typedef struct tree_walker {
    ign_list *ign;
    strbuf path; /* the current entry on the host */
    size_t root_len;
    tree_fn fn;
    void *ud;
    strbuf *err;
    tree_pend *pend;
    size_t npend, nshown, apend;
} tree_walker;

/* The Directory's patterns, then those of the source's .fuseignore. */
static ign_list *tree_ignore(const char *root, const fv *exclude, strbuf *err)
{
    ign_list *l = ign_new();
    strbuf why = STRBUF_INIT, path = STRBUF_INIT, text = STRBUF_INIT;
    for (size_t i = 0; exclude && exclude->kind == FV_LIST && i < exclude->n; i++) {
        if (exclude->items[i]->kind != FV_STR || ign_add(l, exclude->items[i]->str, &why) < 0) {
            sb_addf(err, "exclude[%zu] is a bad pattern: %s", i + 1, why.buf);
            goto fail;
        }
    }
    sb_addf(&path, "%s/%s", root, TREE_IGNORE_FILE);
    if (sb_read_file(&text, path.buf) < 0) {
        if (errno != ENOENT) {
            sb_addf(err, "%s: %s", path.buf, strerror(errno));
            goto fail;
        }
    } else if (ign_add_text(l, text.buf, text.len, path.buf, err) < 0) {
        goto fail;
    }
    sb_release(&why);
    sb_release(&path);
    sb_release(&text);
    return l;
fail:
    sb_release(&why);
    sb_release(&path);
    sb_release(&text);
    ign_free(l);
    return NULL;
}

/* The root must be a directory we can list. */
static int tree_stat_root(const char *root, struct stat *st, strbuf *err)
{
    if (stat(root, st) < 0) {
        sb_addf(err, "cannot read source %s: %s", root, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st->st_mode)) {
        sb_addf(err, "source %s is not a directory", root);
        return -1;
    }
    return 0;
}

int tree_check(const char *root, strbuf *err)
{
    struct stat st;
    if (tree_stat_root(root, &st, err) < 0)
        return -1;
    if (access(root, R_OK | X_OK) < 0) {
        sb_addf(err, "cannot read source %s: %s", root, strerror(errno));
        return -1;
    }
    ign_list *l = tree_ignore(root, NULL, err);
    ign_free(l);
    return l ? 0 : -1;
}

static int tree_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of the directory w->path, sorted by bytes. */
static int tree_names(tree_walker *w, strvec *names)
{
    DIR *d = opendir(w->path.buf);
    if (!d) {
        sb_addf(w->err, "%s: %s", w->path.buf, strerror(errno));
        return -1;
    }
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de)
            break;
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            strvec_push(names, de->d_name);
    }
    int e = errno;
    closedir(d);
    if (e) {
        sb_addf(w->err, "%s: %s", w->path.buf, strerror(e));
        return -1;
    }
    qsort(names->v, names->nr, sizeof *names->v, tree_cmp);
    return 0;
}

/* Reports the pending excluded directories above it first, then it. */
static int tree_emit(tree_walker *w, const struct stat *st, const char *link)
{
    for (; w->nshown < w->npend; w->nshown++) {
        const tree_pend *p = &w->pend[w->nshown];
        tree_item it = {p->rel, p->path, &p->st, NULL};
        int rc = w->fn(&it, w->ud, w->err);
        if (rc)
            return rc;
    }
    const char *rel = w->path.len > w->root_len ? w->path.buf + w->root_len + 1 : "";
    tree_item it = {rel, w->path.buf, st, link};
    return w->fn(&it, w->ud, w->err);
}

static int tree_link(tree_walker *w, const struct stat *st)
{
    char target[PATH_MAX + 1];
    ssize_t n = readlink(w->path.buf, target, PATH_MAX);
    if (n < 0) {
        sb_addf(w->err, "%s: %s", w->path.buf, strerror(errno));
        return -1;
    }
    target[n] = '\0';
    return tree_emit(w, st, target);
}

static int tree_dir(tree_walker *w);

/* One entry of a directory (w->path names it). */
static int tree_entry(tree_walker *w, int top_level)
{
    struct stat st;
    const char *rel = w->path.buf + w->root_len + 1;
    if (top_level && strcmp(rel, TREE_IGNORE_FILE) == 0)
        return 0;
    if (lstat(w->path.buf, &st) < 0) {
        sb_addf(w->err, "%s: %s", w->path.buf, strerror(errno));
        return -1;
    }
    int is_dir = S_ISDIR(st.st_mode);
    int excluded = ign_match(w->ign, rel, is_dir);
    if (!is_dir) {
        if (excluded)
            return 0;
        if (S_ISLNK(st.st_mode))
            return tree_link(w, &st);
        if (S_ISREG(st.st_mode))
            return tree_emit(w, &st, NULL);
        sb_addf(w->err, "%s: not a regular file, directory or symbolic link", w->path.buf);
        return -1;
    }
    if (!excluded) {
        int rc = tree_emit(w, &st, NULL);
        return rc ? rc : tree_dir(w);
    }
    if (!ign_has_negation(w->ign))
        return 0;
    ALLOC_GROW(w->pend, w->npend + 1, w->apend);
    w->pend[w->npend++] = (tree_pend){xstrdup(rel), xstrdup(w->path.buf), st};
    int rc = tree_dir(w);
    tree_pend *p = &w->pend[--w->npend];
    free(p->rel);
    free(p->path);
    if (w->nshown > w->npend)
        w->nshown = w->npend;
    return rc;
}

/* The entries of the directory w->path, in byte order of their names. */
static int tree_dir(tree_walker *w)
{
    strvec names = STRVEC_INIT;
    int rc = tree_names(w, &names);
    size_t len = w->path.len;
    for (size_t i = 0; rc == 0 && i < names.nr; i++) {
        sb_addf(&w->path, "/%s", names.v[i]);
        rc = tree_entry(w, len == w->root_len);
        sb_setlen(&w->path, len);
    }
    strvec_clear(&names);
    return rc;
}

int tree_walk(const char *root, const fv *exclude, tree_fn fn, void *ud, strbuf *err)
{
    struct stat st;
    if (tree_stat_root(root, &st, err) < 0)
        return -1;
    tree_walker w = {.path = STRBUF_INIT, .fn = fn, .ud = ud, .err = err};
    w.ign = tree_ignore(root, exclude, err);
    if (!w.ign)
        return -1;
    sb_adds(&w.path, root);
    while (w.path.len > 1 && w.path.buf[w.path.len - 1] == '/')
        sb_setlen(&w.path, w.path.len - 1);
    w.root_len = w.path.len;
    int rc = tree_emit(&w, &st, NULL);
    if (rc == 0)
        rc = tree_dir(&w);
    ign_free(w.ign);
    free(w.pend);
    sb_release(&w.path);
    return rc;
}

/* tree_context's state: the entries being added. */
typedef struct tree_ctx {
    const df_tree *t;
    ctx_entry **es;
    size_t *n, *alloc;
    strvec *own;
} tree_ctx;

static int tree_ctx_add(const tree_item *it, void *ud, strbuf *err)
{
    (void)err;
    tree_ctx *c = ud;
    ALLOC_GROW(*c->es, *c->n + 1, *c->alloc);
    ctx_entry *e = &(*c->es)[(*c->n)++];
    memset(e, 0, sizeof *e);
    e->name = *it->rel ? strvec_pushf(c->own, "%s/%s/%s", c->t->dir, c->t->base, it->rel)
                       : strvec_pushf(c->own, "%s/%s", c->t->dir, c->t->base);
    /* The top directory is the Directory's: its mode, not the source's. */
    e->mode = *it->rel ? (unsigned)(it->st->st_mode & 07777) : c->t->mode;
    if (S_ISDIR(it->st->st_mode)) {
        e->mode |= S_IFDIR;
    } else if (it->link) {
        e->mode |= S_IFLNK;
        e->data = strvec_push(c->own, it->link);
        e->len = strlen(it->link);
    } else {
        e->path = strvec_push(c->own, it->path);
    }
    return 0;
}

int tree_context(const df_tree *t, ctx_entry **es, size_t *n, size_t *alloc, strvec *own,
                 strbuf *err)
{
    tree_ctx c = {t, es, n, alloc, own};
    return tree_walk(t->source, t->exclude, tree_ctx_add, &c, err);
}

/* tree_describe's state. */
typedef struct tree_desc {
    tree_stats st;
    FILE *out; /* lists each entry when set */
    strbuf line;
} tree_desc;

/* A name as one printable line: control bytes as \xHH. */
static void tree_add_name(strbuf *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f)
            sb_addf(out, "\\x%02x", c);
        else
            sb_addc(out, c);
    }
}

static int tree_desc_add(const tree_item *it, void *ud, strbuf *err)
{
    (void)err;
    tree_desc *d = ud;
    if (!*it->rel)
        return 0;
    mode_t m = it->st->st_mode;
    if (S_ISDIR(m))
        d->st.dirs++;
    else if (it->link)
        d->st.links++;
    else
        d->st.files++, d->st.bytes += (uint64_t)it->st->st_size;
    if (!d->out)
        return 0;
    sb_reset(&d->line);
    if (it->link)
        sb_adds(&d->line, "  link      ");
    else
        sb_addf(&d->line, "  %s %04o ", S_ISDIR(m) ? "dir " : "file", (unsigned)(m & 07777));
    tree_add_name(&d->line, it->rel);
    if (S_ISDIR(m))
        sb_addc(&d->line, '/');
    if (it->link) {
        sb_adds(&d->line, " -> ");
        tree_add_name(&d->line, it->link);
    } else if (!S_ISDIR(m)) {
        sb_addf(&d->line, " (%llu bytes)", (unsigned long long)it->st->st_size);
    }
    fprintf(d->out, "%s\n", d->line.buf);
    return 0;
}

/* "2.1 MiB", "512 bytes". */
static void tree_add_size(strbuf *out, uint64_t n)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
    if (n < 1024) {
        sb_addf(out, "%llu byte%s", (unsigned long long)n, n == 1 ? "" : "s");
        return;
    }
    double v = (double)n / 1024;
    size_t u = 0;
    while (v >= 1024 && u + 1 < sizeof units / sizeof *units)
        v /= 1024, u++;
    sb_addf(out, "%.1f %s", v, units[u]);
}

/* The source as the user is likely to know it: relative to the current
 * directory when below it. */
static void tree_add_source(strbuf *out, const char *source)
{
    char cwd[PATH_MAX];
    size_t n = getcwd(cwd, sizeof cwd) ? strlen(cwd) : 0;
    if (n > 1 && strncmp(source, cwd, n) == 0 && source[n] == '/' && source[n + 1])
        source += n + 1;
    tree_add_name(out, source);
    if (out->len && out->buf[out->len - 1] != '/')
        sb_addc(out, '/');
}

static const char *tree_plural(size_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

int tree_describe(const df_tree *t, const char *ident, int verbose, FILE *out, strbuf *err)
{
    tree_desc d = {.line = STRBUF_INIT};
    struct stat st;
    /* Under -n a source may not exist yet (sh() ran nothing). */
    if (lstat(t->source, &st) < 0 && errno == ENOENT) {
        sb_addf(&d.line, "%s: nothing yet, ", ident);
        tree_add_source(&d.line, t->source);
        sb_adds(&d.line, " does not exist");
        fprintf(out, "%s\n", d.line.buf);
        sb_release(&d.line);
        return 0;
    }
    if (tree_walk(t->source, t->exclude, tree_desc_add, &d, err) < 0) {
        sb_release(&d.line);
        return -1;
    }
    sb_reset(&d.line);
    sb_addf(&d.line, "%s: %zu %s, %zu %s, %zu %s, ", ident, d.st.files,
            tree_plural(d.st.files, "file", "files"), d.st.dirs,
            tree_plural(d.st.dirs, "directory", "directories"), d.st.links,
            tree_plural(d.st.links, "link", "links"));
    tree_add_size(&d.line, d.st.bytes);
    sb_adds(&d.line, " from ");
    tree_add_source(&d.line, t->source);
    fprintf(out, "%s\n", d.line.buf);
    int rc = 0;
    if (verbose) {
        d.out = out;
        rc = tree_walk(t->source, t->exclude, tree_desc_add, &d, err);
    }
    sb_release(&d.line);
    return rc;
}

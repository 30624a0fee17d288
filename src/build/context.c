/* context.c -- the tar build context as a pull stream (see context.h).
 *
 * libarchive pushes: it calls our write callback with the bytes it wants
 * written. curl pulls: it asks for up to N bytes. The bridge is a small
 * pending buffer: ctx_read() serves from it and, when it runs dry, makes
 * libarchive do one more small unit of work (a header, a 64 KiB piece of
 * data, the trailer), which refills it. Memory stays bounded by one piece
 * plus one tar block, whatever the size of the context. */
#include "context.h"

#include "lazy.h"
#include "mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CTX_PIECE (64 * 1024)

typedef enum { CTX_START, CTX_HEADER, CTX_DATA, CTX_CLOSE, CTX_DONE, CTX_FAILED } ctx_state;

typedef struct ctx_item {
    char *name;
    const unsigned char *data;
    char *path;
    size_t len; /* the data's length, or the source's size when stat()ed */
    unsigned mode;
    unsigned type; /* S_IFREG, S_IFDIR, S_IFLNK */
    char *link;    /* a link's target */
    time_t mtime;  /* the source's (whole seconds); 0 for data in memory */
} ctx_item;

struct ctx {
    ctx_item *items;
    size_t n;
    size_t cur;  /* entry being written */
    size_t done; /* bytes of the current entry written */
    int fd;      /* the current entry's source file, or -1 */
    char *piece; /* read buffer for source files */
    ctx_state state;
    struct archive *a;
    strbuf pending; /* tar bytes produced but not yet read */
    size_t pos;     /* bytes of pending already handed out */
    strbuf err;
};

/* libarchive's write callback: keep the bytes until ctx_read() hands them out. */
static la_ssize_t ctx_sink(struct archive *a, void *ud, const void *buf, size_t len)
{
    (void)a;
    ctx *c = ud;
    sb_add(&c->pending, buf, len);
    return (la_ssize_t)len;
}

static int ctx_cmp(const void *x, const void *y)
{
    return strcmp(((const ctx_item *)x)->name, ((const ctx_item *)y)->name);
}

/* A source file must exist, be a regular file, and be readable now. */
static int ctx_stat_source(ctx_item *it, strbuf *err)
{
    struct stat st;
    if (stat(it->path, &st) < 0) {
        sb_addf(err, "%s: %s", it->path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        sb_addf(err, "%s: not a regular file", it->path);
        return -1;
    }
    if (access(it->path, R_OK) < 0) {
        sb_addf(err, "%s: %s", it->path, strerror(errno));
        return -1;
    }
    it->len = (size_t)st.st_size;
    it->mtime = st.st_mtime;
    return 0;
}

ctx *ctx_new(const ctx_entry *entries, size_t n, strbuf *err)
{
    ctx *c = xcalloc(1, sizeof *c);
    sb_init(&c->pending);
    sb_init(&c->err);
    c->fd = -1;
    c->items = xcalloc(n ? n : 1, sizeof *c->items);
    for (size_t i = 0; i < n; i++) {
        ctx_item *it = &c->items[c->n++];
        it->name = xstrdup(entries[i].name);
        it->mode = entries[i].mode & 07777;
        it->type = entries[i].mode & S_IFMT ? entries[i].mode & S_IFMT : S_IFREG;
        if (it->type == S_IFLNK) {
            it->link = xmalloc(entries[i].len + 1);
            memcpy(it->link, entries[i].data, entries[i].len);
            it->link[entries[i].len] = '\0';
        }
        if (it->type != S_IFREG)
            continue;
        if (entries[i].path) {
            it->path = xstrdup(entries[i].path);
            if (ctx_stat_source(it, err) < 0)
                goto fail;
            it->mtime = entries[i].keep_mtime ? it->mtime : 0;
        } else {
            it->data = entries[i].data;
            it->len = entries[i].len;
        }
    }
    /* Sorted names: the same set of files always gives the same tar. */
    qsort(c->items, c->n, sizeof *c->items, ctx_cmp);
    for (size_t i = 1; i < c->n; i++) {
        if (!strcmp(c->items[i - 1].name, c->items[i].name)) {
            sb_addf(err, "build context: %s appears twice", c->items[i].name);
            goto fail;
        }
    }
    if (lz_archive_load(err) != 0)
        goto fail;
    c->a = lz_archive.write_new();
    if (!c->a) {
        sb_adds(err, "build context: libarchive could not start a writer");
        goto fail;
    }
    if (lz_archive.write_set_format_pax_restricted(c->a) != ARCHIVE_OK ||
        lz_archive.write_add_filter_none(c->a) != ARCHIVE_OK ||
        lz_archive.write_set_bytes_per_block(c->a, 10240) != ARCHIVE_OK) {
        sb_addf(err, "build context: %s", lz_archive.error_string(c->a));
        goto fail;
    }
    return c;
fail:
    ctx_free(c);
    return NULL;
}

void ctx_free(ctx *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    if (c->a)
        lz_archive.write_free(c->a);
    for (size_t i = 0; i < c->n; i++) {
        free(c->items[i].name);
        free(c->items[i].path);
        free(c->items[i].link);
    }
    free(c->items);
    free(c->piece);
    sb_release(&c->pending);
    sb_release(&c->err);
    free(c);
}

const char *ctx_error(const ctx *c)
{
    return c->err.buf;
}

static int ctx_fail_archive(ctx *c, const char *what)
{
    const char *msg = lz_archive.error_string(c->a);
    sb_addf(&c->err, "build context: %s: %s", what, msg ? msg : "libarchive error");
    c->state = CTX_FAILED;
    return -1;
}

/* Opens the current entry's source and makes sure it is the file we sized. */
static int ctx_open_source(ctx *c, ctx_item *it)
{
    struct stat st;
    c->fd = open(it->path, O_RDONLY | O_CLOEXEC);
    if (c->fd < 0) {
        sb_addf(&c->err, "%s: %s", it->path, strerror(errno));
        return -1;
    }
    if (fstat(c->fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size != it->len) {
        sb_addf(&c->err, "%s: changed while the build context was being sent", it->path);
        return -1;
    }
    if (!c->piece)
        c->piece = xmalloc(CTX_PIECE);
    return 0;
}

static int ctx_header(ctx *c)
{
    ctx_item *it = &c->items[c->cur];
    if (it->path && ctx_open_source(c, it) < 0) {
        c->state = CTX_FAILED;
        return -1;
    }
    struct archive_entry *e = lz_archive.entry_new();
    if (!e) {
        sb_adds(&c->err, "build context: libarchive could not make an entry");
        c->state = CTX_FAILED;
        return -1;
    }
    lz_archive.entry_set_pathname(e, it->name);
    lz_archive.entry_set_filetype(e, it->type == S_IFDIR   ? AE_IFDIR
                                     : it->type == S_IFLNK ? AE_IFLNK
                                                           : AE_IFREG);
    if (it->type == S_IFLNK)
        lz_archive.entry_set_symlink(e, it->link);
    lz_archive.entry_set_perm(e, it->mode);
    lz_archive.entry_set_size(e, (la_int64_t)it->len);
    /* A source keeps its mtime (fuse-apply gives it to the File, as
     * cp -p would); whole seconds, the part every tar reader keeps. The
     * rest is the same in every build, so that the same files always make
     * the same tar: the Dockerfile, fuse-apply and bundle files (which are
     * removed before the image is done) are dated 1970-01-01. */
    lz_archive.entry_set_mtime(e, it->mtime, 0);
    lz_archive.entry_set_uid(e, 0);
    lz_archive.entry_set_gid(e, 0);
    int rc = lz_archive.write_header(c->a, e);
    lz_archive.entry_free(e);
    if (rc != ARCHIVE_OK)
        return ctx_fail_archive(c, it->name);
    c->done = 0;
    c->state = CTX_DATA;
    return 0;
}

/* The next piece of the current entry's bytes: from memory or from disk. */
static int ctx_next_piece(ctx *c, ctx_item *it, const void **p, size_t *n)
{
    size_t want = it->len - c->done;
    if (want > CTX_PIECE)
        want = CTX_PIECE;
    if (!it->path) {
        *p = it->data + c->done;
        *n = want;
        return 0;
    }
    ssize_t got;
    do
        got = read(c->fd, c->piece, want);
    while (got < 0 && errno == EINTR);
    if (got < 0) {
        sb_addf(&c->err, "%s: %s", it->path, strerror(errno));
        return -1;
    }
    if (got == 0) {
        sb_addf(&c->err, "%s: shrank while the build context was being sent", it->path);
        return -1;
    }
    *p = c->piece;
    *n = (size_t)got;
    return 0;
}

/* Ends the current entry; a source that grew meanwhile is an error too,
 * since the tar header already promised its old size. */
static int ctx_finish_entry(ctx *c, ctx_item *it)
{
    if (c->fd >= 0) {
        char extra;
        ssize_t got = read(c->fd, &extra, 1);
        close(c->fd);
        c->fd = -1;
        if (got != 0) {
            sb_addf(&c->err, "%s: %s while the build context was being sent", it->path,
                    got > 0 ? "grew" : strerror(errno));
            c->state = CTX_FAILED;
            return -1;
        }
    }
    if (lz_archive.write_finish_entry(c->a) != ARCHIVE_OK)
        return ctx_fail_archive(c, it->name);
    c->cur++;
    c->state = c->cur < c->n ? CTX_HEADER : CTX_CLOSE;
    return 0;
}

static int ctx_data(ctx *c)
{
    ctx_item *it = &c->items[c->cur];
    if (c->done == it->len)
        return ctx_finish_entry(c, it);
    const void *p;
    size_t n;
    if (ctx_next_piece(c, it, &p, &n) < 0) {
        c->state = CTX_FAILED;
        return -1;
    }
    la_ssize_t w = lz_archive.write_data(c->a, p, n);
    if (w < 0)
        return ctx_fail_archive(c, it->name);
    if ((size_t)w != n) {
        sb_addf(&c->err, "build context: %s: short write", it->name);
        c->state = CTX_FAILED;
        return -1;
    }
    c->done += n;
    return 0;
}

/* One unit of work for libarchive; may or may not produce output. */
static int ctx_step(ctx *c)
{
    switch (c->state) {
    case CTX_START:
        if (lz_archive.write_open(c->a, c, NULL, ctx_sink, NULL) != ARCHIVE_OK)
            return ctx_fail_archive(c, "open");
        c->state = c->n ? CTX_HEADER : CTX_CLOSE;
        return 0;
    case CTX_HEADER:
        return ctx_header(c);
    case CTX_DATA:
        return ctx_data(c);
    case CTX_CLOSE:
        /* Writes the end-of-archive blocks through ctx_sink. */
        if (lz_archive.write_close(c->a) != ARCHIVE_OK)
            return ctx_fail_archive(c, "close");
        c->state = CTX_DONE;
        return 0;
    case CTX_DONE:
    case CTX_FAILED:
        break;
    }
    return 0;
}

size_t ctx_read(ctx *c, char *buf, size_t len)
{
    if (c->state == CTX_FAILED)
        return (size_t)-1;
    while (c->pos == c->pending.len && c->state != CTX_DONE) {
        sb_reset(&c->pending);
        c->pos = 0;
        if (ctx_step(c) < 0)
            return (size_t)-1;
    }
    size_t n = c->pending.len - c->pos;
    if (n > len)
        n = len;
    if (n)
        memcpy(buf, c->pending.buf + c->pos, n);
    c->pos += n;
    return n;
}

size_t ctx_read_fn(char *buf, size_t len, void *ud)
{
    return ctx_read(ud, buf, len);
}
